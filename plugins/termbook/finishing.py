"""The site of one build, from generated files to finished HTML pages: the core behind the hooks.

:func:`prepare_site` does everything before pages are rendered: verify and render the glossary
(:func:`termbook.pages.build_pages`), write the generated pages and files where a generator can
read them, execute the tutorials, and list every file the site needs. It returns a :class:`Site`,
which then finishes each page: :meth:`Site.content` sanitises a page's HTML and sets the
highlighted code aside (so a search indexer does not walk it), :meth:`Site.page` puts the code
back and draws formulas (MathML), graph pictures, JSON-LD and the Content-Security-Policy in.

The MkDocs plugin calls these from its hooks; nothing here imports MkDocs. Pages are named by
their docs-relative source path (``terms/dropout.md``); URLs come from ``url_of``, given by the
generator (MkDocs knows whether it writes ``dropout.html`` or ``dropout/``).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .auditing import Source, removal_problems
from .csp import content_security_policy
from .errors import Problem, Severity, relative
from .export import defined_term_jsonld, defined_term_set_jsonld, glossary_json
from .generated import GeneratedFiles
from .glossary import BuildOptions, GlossaryBuild
from .graph import glossary_svg, neighbourhood_svg
from .mathml import MathIssueKind, convert_math
from .model import json_schema_text
from .pages import build_pages
from .sanitizing import sanitize
from .search_index import term_index_js, use_worker
from .tutorials import execute_tutorial, figure_alt_texts, with_alt_texts

ASSETS = Path(__file__).parent / "assets"
ASSET_NAMES = (
    "termbook.css",
    "graph-explorer.css",
    "graph-explorer.js",
    "iframe-worker-shim.js",
    "no-mathjax.js",
    "previews.js",
    "search-worker.js",
)
SCRIPTS = ("previews.js", "graph-explorer.js")  # previews (they load their data, terms.js, once the page is shown); the graph explorer
SEARCH_WORKER = "search-worker.js"  # replaces Material's lunr worker (search_index.py)
STYLES = ("termbook.css", "graph-explorer.css")

_CODE = re.compile(r'<div class="termbook-code"[^>]*>.*?</pre></div>\s*</div>', re.S)
_CODE_SLOT = re.compile(r'<div class="termbook-code-slot" data-n="(\d+)"></div>')
GRAPH_SLOT = re.compile(r'<div class="termbook-graph-slot(?P<all> termbook-graph-all)?"></div>')
# the theme's search "share" link is a javascript: URL (the policy refuses it anyway); it copies
# the search link by its click handler, which needs no href
_SHARE_HREF = ' href="javascript:void(0)"'


@dataclass(frozen=True)
class SiteFile:
    """A file the site needs: its docs-relative path and where its content is on disk."""

    path: str
    source: Path
    replaces: bool = False  # replaces a file of the docs folder with the same path (executed tutorials)


@dataclass
class Site:
    """The glossary of one build while its pages are finished; one per build."""

    build: GlossaryBuild
    files: list[SiteFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # warnings to report; errors stop before
    url_of: Callable[[str], str] = lambda path: page_url(path, False)
    site_url: str = ""
    site_name: str = "termbook"
    csp: bool = True
    figure_alts: dict[str, list[str | None]] = field(default_factory=dict)  # tutorial figures, by page
    parked: dict[str, list[str]] = field(default_factory=dict)  # code set aside, by page

    # -- pages -----------------------------------------------------------------------------------

    def content(self, html: str, page: str) -> tuple[str, list[Problem]]:
        """A page's content HTML, sanitised (Markdown pages) with the highlighted code set aside."""
        problems: list[Problem] = []
        if page.endswith(".md"):  # every Markdown page; notebooks are the maintainers' HTML
            html, removals = sanitize(html)
            if removals:  # the term file is read only to locate a removal
                problems += removal_problems(removals, self.source(page))
        blocks: list[str] = []

        def park(match: re.Match[str]) -> str:
            blocks.append(match.group(0))
            return f'<div class="termbook-code-slot" data-n="{len(blocks) - 1}"></div>'

        html = _CODE.sub(park, html)
        self.parked[page] = blocks
        alts = self.figure_alts.get(page)
        if alts:
            labelled = with_alt_texts(html, alts)
            if labelled is None:
                problems.append(
                    Problem(
                        page,
                        "its figures and their alt texts do not line up; check for an image without alt text",
                        severity=Severity.WARNING,
                    )
                )
            else:
                html = labelled
        return html, problems

    def reuse(self, page: str, html: str, parked: list[str]) -> str:
        """A page's content as an earlier build's :meth:`content` left it (see :mod:`termbook.page_cache`)."""
        self.parked[page] = list(parked)
        return html

    def page(self, html: str, page: str, content: str) -> tuple[str, list[Problem]]:
        """The whole page's HTML, finished: code, MathML, graphs, JSON-LD, the policy."""
        problems: list[Problem] = []
        if self.csp:
            # first, while the content is still as the template inserted it: only the template's
            # scripts are allowed by hash (a notebook's own scripts are the maintainers')
            html = content_security_policy(html, content if page.endswith(".md") else "")
        html = use_worker(html.replace(_SHARE_HREF, "", 1), self.build.project.layout.asset(SEARCH_WORKER))
        blocks = self.parked.pop(page, [])
        html = _CODE_SLOT.sub(lambda m: blocks[int(m.group(1))] if int(m.group(1)) < len(blocks) else "", html)
        html, issues = convert_math(html)
        for issue in issues:
            if issue.kind is MathIssueKind.FAILED:
                problems.append(Problem(page, f"cannot convert formula to MathML: {issue.tex}", severity=Severity.WARNING))
            else:
                problems += removal_problems(list(issue.removals), self.source(page), in_math=True)
        html = GRAPH_SLOT.sub(lambda m: self.graph_svg(page, bool(m.group("all"))), html, count=1)
        data = self.jsonld(page)
        if data:
            html = html.replace("</head>", f'<script type="application/ld+json">{data}</script>\n</head>', 1)
        return html, problems

    def template(self, html: str) -> str:
        """A page that is not a page of the docs (404.html): the same policy."""
        if self.csp:
            html = content_security_policy(html, "")
        return use_worker(html.replace(_SHARE_HREF, "", 1), self.build.project.layout.asset(SEARCH_WORKER))

    # -- parts -----------------------------------------------------------------------------------

    def slug_of(self, page: str) -> str | None:
        slug = self.build.project.layout.slug_of(page)
        return slug if slug in self.build.by_slug else None

    def source(self, page: str) -> Source:
        """Where a problem found in a page's HTML is reported: its term file, or the page."""
        slug = self.slug_of(page)
        if slug is None:
            return Source(page)
        term = self.build.by_slug[slug]
        return Source.of_term(term, relative(term.path, self.build.project.root))

    def link(self, page: str, target: str) -> str:
        """The URL of ``target`` relative to the URL of ``page`` (both docs-relative sources)."""
        return relative_url(self.url_of(target), self.url_of(page))

    def graph_svg(self, page: str, whole: bool) -> str:
        layout, build = self.build.project.layout, self.build
        here = self.url_of(page)  # once, not once per node

        def url_for(slug: str) -> str:
            return relative_url(self.url_of(layout.term_page(slug)), here)

        if whole:
            return glossary_svg(build.terms, build.graph, url_for)
        slug = self.slug_of(page)
        if slug is None:
            return ""
        terms = build.by_slug
        term = terms[slug]
        outgoing = [terms[s] for s in build.outgoing(slug)]
        return neighbourhood_svg(term, outgoing, build.incoming.get(slug, []), url_for)

    def jsonld(self, page: str) -> str | None:
        layout, build = self.build.project.layout, self.build
        set_url = self.site_url + self.url_of(layout.index_page)
        name = f"{self.site_name} glossary"
        if page == layout.index_page:
            return defined_term_set_jsonld(build.terms, lambda s: self.site_url + self.url_of(layout.term_page(s)), set_url, name)
        slug = self.slug_of(page)
        if slug is None:
            return None
        return defined_term_jsonld(build.by_slug[slug], self.site_url + self.url_of(page), set_url, name)

    def summary_of(self, page: str) -> str | None:
        """A term page's summary (search finds and shows it); None for other pages."""
        slug = self.slug_of(page)
        return self.build.by_slug[slug].data.summary if slug else None


def prepare_site(
    options: BuildOptions,
    *,
    directory_urls: bool,
    tutorials: Sequence[Path] = (),
    execute_tutorials: bool = True,
    progress=None,
) -> Site:
    """Verify and render the glossary; write generated files under the cache; execute tutorials.

    ``tutorials`` are the notebooks of the docs folder the generator will render. Raises nothing
    for bad input: with errors in ``site.build.errors`` nothing is written and the caller stops.
    """
    project = options.project
    layout = project.layout
    store = GeneratedFiles(project.cache_dir / "generated")
    site = Site(build=GlossaryBuild(project=project), url_of=lambda path: page_url(path, directory_urls))
    generated: list[SiteFile] = []
    build = build_pages(options, progress=progress, sink=lambda path, text: generated.append(SiteFile(path, store.put(path, text))))
    site.build = build
    if build.errors:
        return site
    site.problems += build.warnings
    # a build reports warnings, never suggestions (`termbook check` lists those): at 10,000 terms
    # they are about 100,000 problems held to the end of the build for nothing
    build.problems = [p for p in build.problems if p.severity is not Severity.SUGGESTION]
    site.files += generated
    for path, text in data_files(site).items():
        site.files.append(SiteFile(path, store.put(path, text)))
    for name in ASSET_NAMES:
        site.files.append(SiteFile(layout.asset(name), ASSETS / name))
    if execute_tutorials:
        for notebook in tutorials:
            executed, problem = execute_tutorial(notebook, project)
            if problem:
                build.problems.append(problem)
                continue
            assert executed is not None
            page = notebook.resolve().relative_to(project.docs_dir).as_posix()
            alts, alt_problems = figure_alt_texts(json.loads(executed.read_text(encoding="utf-8")), relative(notebook, project.root))
            site.problems += alt_problems
            site.figure_alts[page] = alts
            site.files.append(SiteFile(page, executed, replaces=True))
    return site


def data_files(site: Site, whole: bool = True) -> dict[str, str]:
    """The files made from the whole glossary: terms.js (the term index of search and the previews), the schema, terms.json.

    ``whole=False`` leaves out terms.json, which no page shows and which takes longest.
    """
    build, layout = site.build, site.build.project.layout
    terms_js = term_index_js(build.terms, lambda slug: site.url_of(layout.term_page(slug)))  # search and previews
    files = {layout.asset("terms.js"): terms_js, layout.schema: json_schema_text()}
    if not whole:
        return files
    snippet_paths = {t.slug: relative(t.snippet, build.project.root) for t in build.terms if t.snippet}
    terms_json = glossary_json(
        build.terms,
        lambda slug: site.url_of(layout.term_page(slug)),
        {t.slug: build.outgoing(t.slug) for t in build.terms},
        build.incoming,
        build.results,
        snippet_paths,
        build.prerequisites,
        build.equivalents,
    )
    return {layout.terms_json: terms_json, **files}


PAGE_SUFFIXES = (".md", ".ipynb")


def page_url(path: str, directory_urls: bool) -> str:
    """The URL of a docs-relative file, as MkDocs writes it (``terms/x.md`` → ``terms/x.html`` or ``terms/x/``)."""
    stem, suffix = posixpath.splitext(path)
    if suffix not in PAGE_SUFFIXES:
        return path
    head, name = posixpath.split(stem)
    if name in ("index", "README"):
        return (head + "/" if head else "./") if directory_urls else posixpath.join(head, "index.html")
    return f"{stem}/" if directory_urls else f"{stem}.html"


def relative_url(url: str, other: str) -> str:
    """``url`` relative to the page at ``other`` (as MkDocs' get_relative_url)."""
    if other != ".":
        head, tail = posixpath.split(other)
        other = head if "." in tail else other
    rel = posixpath.relpath(url or ".", other or ".")
    return rel + "/" if url.endswith("/") and not rel.endswith("/") else rel
