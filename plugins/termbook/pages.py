"""The Markdown of every generated page and the content of every generated file.

``build_pages(options, sink) -> GlossaryBuild`` renders term pages, the A–Z index and the graph
page, and the figures and notebooks of each term, at the places the project's
:class:`~termbook.project.Layout` gives them. Links between generated files are relative, so the
pages work under any prefix and from ``file://``.

The graph pictures and formulas are not in this Markdown yet: they are drawn into slots once the
page is HTML (:mod:`termbook.finishing`), by the MkDocs adapter after the search index has read
the page, or by the render core before it writes the page.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import relative
from .execution.verification import SnippetResult
from .glossary import BuildOptions, GlossaryBuild, load_and_verify
from .linking import referenced_by
from .model import Term
from .notebooks import term_notebook
from .presenting import present_snippet, with_equivalents
from .rendering import render_graph_page, render_index, render_notation_page, render_paths, render_term
from .tutorials import find_tutorials

Sink = Callable[[str, str], None]


def build_pages(
    options: BuildOptions,
    progress: Callable[[SnippetResult], None] | None = None,
    sink: Sink | None = None,
) -> GlossaryBuild:
    """Render every page and asset into ``build.pages`` and ``build.assets``.

    With ``sink``, each one is handed to ``sink(path, text)`` as soon as it is rendered instead,
    and the linked prose of each term is let go once its page is written: a large glossary then
    never holds all of its Markdown at once.
    """
    build = load_and_verify(options, progress)
    if build.errors:
        return build

    def put(page: bool, path: str, text: str) -> None:
        if sink is None:
            (build.pages if page else build.assets)[path] = text
        else:
            sink(path, text)

    used_in = tutorial_uses(build)
    by_slug = build.by_slug
    for term in build.terms:
        render_term_files(build, term, used_in, put, by_slug)
        if sink is not None and term.slug in build.linked:
            build.linked[term.slug].fields.clear()  # the page has it now; the targets stay
            build.linked[term.slug].faq_answers.clear()
    for path, text in glossary_pages(build, by_slug).items():
        put(True, path, text)
    return build


def glossary_pages(build: GlossaryBuild, by_slug: dict[str, Term] | None = None) -> dict[str, str]:
    """The pages about the whole glossary: A–Z index, graph, learning paths, notation."""
    layout = build.project.layout
    by_slug = by_slug if by_slug is not None else build.by_slug
    pages = {layout.index_page: render_index(build.terms), layout.graph_page: render_graph_page(build.terms)}
    pages.update(render_paths(build.terms, build.prerequisites, layout))
    if build.notation:
        pages[layout.notation_page] = render_notation_page(build.notation, build.notation_usage, by_slug, layout)
    return pages


UsedIn = dict[str, list[tuple[str, str]]]  # slug -> (title, docs-relative source) of each tutorial using it


def tutorial_uses(build: GlossaryBuild) -> UsedIn:
    """The tutorials that use each term."""
    by_slug = build.by_slug
    used_in: UsedIn = {}
    for tutorial in find_tutorials(build.project):
        for slug in tutorial.terms:
            if slug in by_slug:
                used_in.setdefault(slug, []).append((tutorial.title, tutorial.src_uri))
    return used_in


def render_term_files(
    build: GlossaryBuild,
    term: Term,
    used_in: UsedIn,
    put: Callable[[bool, str, str], None],
    by_slug: dict[str, Term] | None = None,
) -> None:
    """One term's page, figures and notebook, each handed to ``put(is_page, path, text)``."""
    project, layout = build.project, build.project.layout
    by_slug = by_slug if by_slug is not None else build.by_slug
    page_path = layout.term_page(term.slug)
    snippet = None
    if term.snippet is not None:
        code = term.snippet.read_text(encoding="utf-8")
        result = build.results.get(term.slug)
        figure_urls = []
        for i, figure in enumerate(result.figures if result else [], start=1):
            put(False, layout.figure(term.slug, i), figure.svg)
            figure_urls.append(layout.link(page_path, layout.figure(term.slug, i)))
        notebook = layout.notebook(term.slug)
        put(False, notebook, term_notebook(term, project))
        snippet = present_snippet(relative(term.snippet, project.root), code, result, figure_urls, layout.link(page_path, notebook))
        checked = build.equivalents.get(term.slug, [])
        snippet = with_equivalents(snippet, [(term.data.equivalents[r.index], r) for r in checked])
    page = render_term(
        term,
        by_slug,
        linked=build.linked.get(term.slug),
        referenced_by=referenced_by(term, build.incoming),
        snippet=snippet,
        tutorials=[(title, layout.link(page_path, src)) for title, src in used_in.get(term.slug, [])],
        before=[(by_slug[p.slug], p.why.value) for p in build.prerequisites.before.get(term.slug, [])],
        builds_on=[by_slug[s] for s in build.prerequisites.after.get(term.slug, [])],
        notation=[
            (symbol, f"{layout.link(page_path, layout.notation_page)}#{symbol.anchor}")
            for symbol in build.notation
            if term.slug in build.notation_usage.get(symbol.tex, [])
        ],
        template=project.template,
    )
    put(True, page_path, page)
