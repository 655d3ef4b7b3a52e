"""Turn the glossary into pages: load and validate, verify snippets, render Markdown.

``build_pages(options) -> GlossaryBuild`` is what the MkDocs plugin, the CLI and the tests call.
It never raises for bad input: problems come back in ``GlossaryBuild.problems``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .auditing import audit_pages
from .cache import Cache
from .errors import Problem, relative
from .graph import Edge, edges, health
from .linking import Linker, LinkedTerm, backlinks, link_term, referenced_by
from .loading import load_glossary
from .markdown_html import MarkdownProfile
from .model import Term
from .notebooks import term_notebook
from .tutorials import find_tutorials
from .presenting import present_snippet
from .rendering import render_graph_page, render_index, render_term
from .runner import WorkerPool
from .verification import SnippetResult, verify_terms

TERMS_URL_DIR = "terms"
FIGURES_DIR = "figures"
NOTEBOOKS_DIR = "notebooks"
GRAPH_PAGE = "graph.md"


@dataclass(frozen=True)
class Options:
    root: Path
    terms_dir: str = "terms"
    snippets_dir: str = "snippets"
    run_snippets: bool = True
    cache_dir: str = ".cache/termbook"
    use_cache: bool = True
    force: bool = False
    jobs: int | None = None
    template: Path | None = None
    only: frozenset[str] = frozenset()  # verify only these slugs (all are still validated)
    docs_dir: str = "site_src"  # where tutorials/*.ipynb are found
    audit_html: bool = False  # render every term page as HTML and report what the sanitiser would remove


@dataclass
class GlossaryBuild:
    terms: list[Term] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    results: dict[str, SnippetResult] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # docs-relative path -> Markdown
    assets: dict[str, str] = field(default_factory=dict)  # docs-relative path -> file content
    linked: dict[str, LinkedTerm] = field(default_factory=dict)  # prose with links, by slug
    graph: list[Edge] = field(default_factory=list)  # every link between terms
    incoming: dict[str, list[Term]] = field(default_factory=dict)  # backlinks, by slug
    _outgoing: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def suggestions(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "suggestion"]

    def outgoing(self, slug: str) -> list[str]:
        """Slugs ``slug`` links to (related first, then prose mentions)."""
        if self._outgoing is None:
            self._outgoing = {}
            for edge in self.graph:
                self._outgoing.setdefault(edge.source, []).append(edge.target)
        return self._outgoing.get(slug, [])

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def load_and_verify(options: Options, progress: Callable[[SnippetResult], None] | None = None) -> GlossaryBuild:
    """Validate every term; when valid and asked to, run every snippet."""
    root = options.root.resolve()
    terms, problems = load_glossary(root, options.terms_dir, options.snippets_dir)
    build = GlossaryBuild(terms=terms, problems=problems)
    linker = Linker(terms)
    for term in terms:
        build.linked[term.slug], link_problems = link_term(term, linker, relative(term.path, root))
        build.problems += link_problems
    prose_targets = {slug: linked.targets for slug, linked in build.linked.items()}
    build.graph = edges(terms, prose_targets)
    build.incoming = backlinks(terms, prose_targets)
    build.problems += health(terms, build.graph, root)
    if options.audit_html:
        build.problems += audit_glossary(build, options)
    if build.errors or not options.run_snippets:
        return build
    cache = Cache(root / options.cache_dir, enabled=options.use_cache)
    with WorkerPool(root, jobs=options.jobs) as pool:
        chosen = [t for t in terms if not options.only or t.slug in options.only]
        build.results = verify_terms(
            chosen, root, pool, cache, snippets_dir=options.snippets_dir, force=options.force, progress=progress
        )
    build.problems += [r.problem() for r in build.results.values() if not r.verified]
    return build


def audit_glossary(build: GlossaryBuild, options: Options) -> list[Problem]:
    """What the sanitiser would remove from each term page, as ``termbook check`` reports it.

    (A build sanitises the HTML that MkDocs makes of the page instead; see the plugin.)
    """
    root = options.root.resolve()
    by_slug = {t.slug: t for t in build.terms}
    pages = {
        term.slug: render_term(
            term,
            by_slug,
            linked=build.linked.get(term.slug),
            referenced_by=referenced_by(term, build.incoming),
            template=options.template,
        )
        for term in build.terms
    }
    return audit_pages(build.terms, pages, root, MarkdownProfile.from_mkdocs_yml(root / "mkdocs.yml"))


def build_pages(
    options: Options,
    progress: Callable[[SnippetResult], None] | None = None,
    sink: Callable[[str, str], None] | None = None,
) -> GlossaryBuild:
    """Render every page and asset into ``build.pages`` and ``build.assets``.

    With ``sink``, each one is handed to ``sink(path, text)`` as soon as it is rendered instead,
    and the linked prose of each term is let go once its page is written: a large glossary then
    never holds all of its Markdown at once.
    """
    build = load_and_verify(options, progress)
    if build.errors:
        return build

    def put(table: dict[str, str], path: str, text: str) -> None:
        if sink is None:
            table[path] = text
        else:
            sink(path, text)
    root = options.root.resolve()
    by_slug = {t.slug: t for t in build.terms}
    used_in: dict[str, list[tuple[str, str]]] = {}
    for tutorial in find_tutorials(root / options.docs_dir):
        for slug in tutorial.terms:
            used_in.setdefault(slug, []).append((tutorial.title, f"../{tutorial.src_uri}"))
    for term in build.terms:
        snippet = None
        if term.snippet is not None:
            code = term.snippet.read_text(encoding="utf-8")
            result = build.results.get(term.slug)
            figure_urls = []
            for i, figure in enumerate(result.figures if result else [], start=1):
                put(build.assets, f"{FIGURES_DIR}/{term.slug}-{i}.svg", figure["svg"])
                figure_urls.append(f"../{FIGURES_DIR}/{term.slug}-{i}.svg")
            notebook = f"{NOTEBOOKS_DIR}/{term.slug}.ipynb"
            put(build.assets, notebook, term_notebook(term, root, options.snippets_dir))
            snippet = present_snippet(relative(term.snippet, root), code, result, figure_urls, f"../{notebook}")
        page = render_term(
            term,
            by_slug,
            linked=build.linked.get(term.slug),
            referenced_by=referenced_by(term, build.incoming),
            snippet=snippet,
            tutorials=used_in.get(term.slug, []),
            template=options.template,
        )
        put(build.pages, f"{TERMS_URL_DIR}/{term.slug}.md", page)
        if sink is not None and term.slug in build.linked:
            build.linked[term.slug].fields.clear()  # the page has it now; the targets stay
            build.linked[term.slug].faq_answers.clear()
    put(build.pages, f"{TERMS_URL_DIR}/index.md", render_index(build.terms))
    put(build.pages, GRAPH_PAGE, render_graph_page(build.terms))
    return build
