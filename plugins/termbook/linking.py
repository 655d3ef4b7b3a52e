"""How terms point at each other: related lists and the backlinks they induce.

Terms induce a graph, not a tree; everything here is computed once from the whole glossary.
"""

from __future__ import annotations

from .model import Term


def backlinks(terms: list[Term]) -> dict[str, list[Term]]:
    """For each slug, the terms that list it in ``related`` (sorted by name, no self-links)."""
    by_slug = {t.slug: t for t in terms}
    incoming: dict[str, dict[str, Term]] = {t.slug: {} for t in terms}
    for term in terms:
        for slug in term.data.related:
            if slug in incoming and slug != term.slug:
                incoming[slug][term.slug] = term
    return {
        slug: sorted(sources.values(), key=lambda t: t.name.casefold())
        for slug, sources in incoming.items()
        if slug in by_slug
    }


def referenced_by(term: Term, incoming: dict[str, list[Term]]) -> list[Term]:
    """Backlinks of ``term`` not already shown in its own related list."""
    shown = set(term.data.related)
    return [t for t in incoming.get(term.slug, []) if t.slug not in shown]
