"""Markdown for the generated pages: one page per term, the A–Z index.

Pure functions of the glossary: ``render_term(term, ...) -> str`` and ``render_index(terms) -> str``.
The MkDocs plugin turns the strings into pages; nothing here touches the file system except
reading the page template.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from .graph import SINGLE_PICTURE_MAX
from .linking import PROSE_FIELDS, LinkedTerm
from .model import Term
from .notation import Symbol
from .prerequisites import Prerequisites
from .project import Layout
from .safety import escape_prose, escape_text, link_title

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_TEMPLATE = TEMPLATES / "term.md.j2"


@dataclass(frozen=True)
class Link:
    """A link from one term page to another, with the target's summary."""

    slug: str
    name: str
    summary: str

    @property
    def href(self) -> str:
        return f"{self.slug}.md"


def link_to(term: Term) -> Link:
    return Link(term.slug, term.name, term.data.summary)


def md_attr(text: str) -> str:
    """Text safe inside a double-quoted Markdown link title or admonition title."""
    return link_title(text)


def front_matter(term: Term) -> str:
    """Page meta as YAML (written as JSON, which is valid YAML).

    The theme prints title, description and tags into HTML without escaping them, so they are
    HTML-escaped here: a browser shows the same text, and no tag or attribute can break out.
    """

    def attr(text: str) -> str:
        return html.escape(text, quote=True)

    meta = {
        "title": attr(term.name),
        "description": attr(term.data.summary),
        "search": {"boost": 2},
    }
    if term.data.tags:
        meta["tags"] = [attr(tag) for tag in term.data.tags]
    return "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in meta.items())


@lru_cache(maxsize=8)
def _template(path: Path) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        autoescape=False,  # the output is Markdown; HTML safety is handled on the rendered page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md_attr"] = md_attr
    env.filters["text"] = escape_text
    return env.get_template(path.name)


def render_term(
    term: Term,
    terms_by_slug: Mapping[str, Term],
    *,
    linked: LinkedTerm | None = None,
    referenced_by: Sequence[Term] = (),
    snippet=None,
    tutorials: Sequence[tuple[str, str]] = (),
    before: Sequence[tuple[Term, str]] = (),
    builds_on: Sequence[Term] = (),
    notation: Sequence[tuple[Symbol, str]] = (),
    template: Path | None = None,
) -> str:
    """The Markdown of ``term``'s page.

    ``before`` are its prerequisites with the reason for each, ``builds_on`` the terms that have it
    as a prerequisite (see :mod:`termbook.prerequisites`).

    ``linked`` holds the prose with mentions linked (see :mod:`termbook.linking`); without it the
    prose is used as written. ``related`` slugs that are unknown are skipped here; validation
    reports them. ``snippet`` has a ``markdown`` attribute (see :mod:`termbook.presenting`).
    """
    related = [link_to(terms_by_slug[s]) for s in term.data.related if s in terms_by_slug and s != term.slug]
    data = term.data
    prose = {name: (linked.fields.get(name) if linked else escape_prose(getattr(data, name) or "")) for name in PROSE_FIELDS}
    answers = linked.faq_answers if linked else [escape_prose(item.a) for item in data.faq]
    text = _template(Path(template or DEFAULT_TEMPLATE)).render(
        term=term,
        data=data,
        prose=prose,
        faq=[(item.q, answer) for item, answer in zip(data.faq, answers)],
        related=related,
        referenced_by=[link_to(t) for t in referenced_by],
        snippet=snippet,
        tutorials=list(tutorials),
        before=[(link_to(t), why) for t, why in before],
        builds_on=[link_to(t) for t in builds_on],
        notation=[(symbol.tex, symbol.meaning, href) for symbol, href in notation],
        pitfalls=[(item.mistake, escape_prose(item.spot), escape_prose(item.fix) if item.fix else None) for item in data.pitfalls],
        front_matter=front_matter(term),
    )
    return text.strip() + "\n"


def render_index(terms: list[Term]) -> str:
    """The A–Z page: every term with its summary, grouped by first letter, with a letter bar."""
    groups: dict[str, list[Term]] = {}
    for term in sorted(terms, key=lambda t: t.name.casefold()):
        first = term.name[:1].upper()
        letter = first if first.isascii() and first.isalpha() else "#"
        groups.setdefault(letter, []).append(term)
    lines = [
        "---",
        'title: "A–Z index"',
        'description: "Every term in the glossary, with a one-line summary."',
        "search:",
        "  exclude: true",
        "---",
        "",
        "# A–Z index",
        "",
        f"{len(terms)} terms. " + " · ".join(f"[{letter}](#{_anchor(letter)})" for letter in groups),
        "",
    ]
    for letter, group in groups.items():
        lines += [f"## {letter} {{ #{_anchor(letter)} }}", ""]
        lines += [f'- [{escape_text(t.name)}]({t.slug}.md "{md_attr(t.data.summary)}"): {escape_text(t.data.summary)}' for t in group]
        lines.append("")
    return "\n".join(lines)


def render_paths(terms: list[Term], prerequisites: Prerequisites, layout: Layout) -> dict[str, str]:
    """A learning path per tag: its terms in an order where every prerequisite comes first.

    Returns the Markdown of each path page and of the index of paths, by docs-relative path.
    Each step says why it is where it is: what it needs among the earlier steps, or that it
    needs none of them.
    """
    from .model import slugify

    by_slug = {t.slug: t for t in terms}
    tags: dict[str, list[str]] = {}
    for term in sorted(terms, key=lambda t: t.name.casefold()):
        for tag in term.data.tags:
            tags.setdefault(tag, []).append(term.slug)
    pages: dict[str, str] = {}
    index_lines = [
        "---",
        'title: "Learning paths"',
        'description: "The terms of each tag in an order where every prerequisite comes first."',
        "search:",
        "  exclude: true",
        "---",
        "",
        "# Learning paths",
        "",
        "Each path takes the terms of one tag in an order where every term comes after what it builds on:",
        "the terms its code uses and the prerequisites its author lists.",
        "",
    ]
    for tag in sorted(tags, key=str.casefold):
        page = layout.path_page(slugify(tag))
        order = prerequisites.order(tags[tag])
        index_lines.append(f"- [{escape_text(tag)}]({layout.link(layout.paths_index, page)}): {len(order)} terms")
        lines = [
            "---",
            f"title: {json.dumps('Learning path: ' + html.escape(tag, quote=True), ensure_ascii=False)}",
            "search:",
            "  exclude: true",
            "---",
            "",
            f"# Learning path: {escape_text(tag)}",
            "",
            f"{len(order)} terms tagged *{escape_text(tag)}*, each after the ones it builds on.",
            "",
        ]
        seen: set[str] = set()
        for step, slug in enumerate(order, start=1):
            term = by_slug[slug]
            needs = [p for p in prerequisites.before.get(slug, []) if p.slug in seen]
            if needs:
                why = "after " + ", ".join(f"{escape_text(by_slug[p.slug].name)} ({escape_text(p.why.value)})" for p in needs)
            else:
                why = "needs none of the terms before it"
            href = layout.term_link(page, slug)
            lines.append(f'{step}. [{escape_text(term.name)}]({href} "{md_attr(term.data.summary)}"): {escape_text(term.data.summary)}  ')
            lines.append(f"    *{why}*")
            seen.add(slug)
        pages[page] = "\n".join(lines) + "\n"
    pages[layout.paths_index] = "\n".join(index_lines) + "\n"
    return pages


def render_notation_page(symbols: list[Symbol], usage: dict[str, list[str]], terms: Mapping[str, Term], layout: Layout) -> str:
    """The site-wide notation: each symbol, its meaning and the terms whose formulas use it."""
    page = layout.notation_page
    lines = [
        "---",
        'title: "Notation"',
        'description: "The symbols the glossary\'s formulas use, what they mean, and the terms that use them."',
        "---",
        "",
        "# Notation",
        "",
        "The symbols of the glossary's formulas, with the meaning they have throughout it. A term page lists",
        "the symbols it uses and links here.",
        "",
        "| Symbol | Meaning | Used in |",
        "|:--|:--|:--|",
    ]
    for symbol in symbols:
        users = [terms[s] for s in usage.get(symbol.tex, []) if s in terms]
        links = ", ".join(f"[{escape_text(t.name)}]({layout.link(page, layout.term_page(t.slug))})" for t in users) or "—"
        tex = symbol.tex.replace("|", "\\vert ")
        lines.append(f'| <span id="{symbol.anchor}"></span>${tex}$ | {escape_text(symbol.meaning)} | {links} |')
    return "\n".join(lines) + "\n"


def render_graph_page(terms: list[Term]) -> str:
    """The whole-glossary graph page; the picture itself is drawn into the slot at HTML time."""
    if len(terms) > SINGLE_PICTURE_MAX:
        what = f"All {len(terms)} terms, in one picture per tag; a line joins two terms of a picture when one lists the other as related"
    else:
        what = f"All {len(terms)} terms; a line joins two terms when one lists the other as related"
    return "\n".join(
        [
            "---",
            'title: "Graph of terms"',
            'description: "Every term in the glossary and the links between them."',
            "hide: [navigation, toc]",
            "search:",
            "  exclude: true",
            "---",
            "",
            "# Graph of terms",
            "",
            f"{what} (each page also shows the terms it mentions).",
            "Click a term to open it; hover for its summary.",
            "",
            '<div class="termbook-graph-slot termbook-graph-all"></div>',
            "",
        ]
    )


def _anchor(letter: str) -> str:
    return "letter-" + (letter.lower() if letter != "#" else "other")
