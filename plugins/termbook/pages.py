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
    project, layout = build.project, build.project.layout

    def put(table: dict[str, str], path: str, text: str) -> None:
        if sink is None:
            table[path] = text
        else:
            sink(path, text)

    by_slug = build.by_slug
    used_in: dict[str, list[tuple[str, str]]] = {}
    for tutorial in find_tutorials(project):
        for slug in tutorial.terms:
            if slug in by_slug:
                used_in.setdefault(slug, []).append((tutorial.title, tutorial.src_uri))
    for term in build.terms:
        page_path = layout.term_page(term.slug)
        snippet = None
        if term.snippet is not None:
            code = term.snippet.read_text(encoding="utf-8")
            result = build.results.get(term.slug)
            figure_urls = []
            for i, figure in enumerate(result.figures if result else [], start=1):
                put(build.assets, layout.figure(term.slug, i), figure.svg)
                figure_urls.append(layout.link(page_path, layout.figure(term.slug, i)))
            notebook = layout.notebook(term.slug)
            put(build.assets, notebook, term_notebook(term, project))
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
        put(build.pages, page_path, page)
        if sink is not None and term.slug in build.linked:
            build.linked[term.slug].fields.clear()  # the page has it now; the targets stay
            build.linked[term.slug].faq_answers.clear()
    put(build.pages, layout.index_page, render_index(build.terms))
    put(build.pages, layout.graph_page, render_graph_page(build.terms))
    for path, text in render_paths(build.terms, build.prerequisites, layout).items():
        put(build.pages, path, text)
    if build.notation:
        put(build.pages, layout.notation_page, render_notation_page(build.notation, build.notation_usage, by_slug, layout))
    return build
