"""Machine-readable exports: ``terms.json`` and schema.org JSON-LD.

``terms.json`` (format 1) is ``{"format": 1, "generator": "termbook", "terms": [...]}``; each term has
``slug``, ``url`` (relative to the site root), every field of the term file (``term``, ``aliases``,
``summary``, ``definition``, ... with Markdown and LaTeX as written), ``phrases`` (name, aliases and
plurals: what links and search match), ``links`` (slugs its prose links to), ``related``,
``backlinks`` (slugs of terms that link to it), ``prerequisites`` and ``pitfalls`` (as written),
``before`` (the prerequisites with why: ``imports`` when the snippet uses it, ``listed`` when the
author names it), ``builds_on_this`` (slugs) and ``snippet`` (``null``, or ``path``, ``status``,
``verified``, ``reason``, ``output``, ``numpy``, ``seconds``) and ``equivalents`` (one per entry of
the term file: ``library``, ``code``, ``conventions``, ``reference``, ``inputs``, ``outputs``,
``rtol``, ``atol``, and how it fared in this build: ``status`` — agrees, differs, failed,
not-installed or not-run — ``version``, ``cases``, ``max_rel_error``, ``max_abs_error``, ``reason``
and the reader's ``badge``). New keys are only ever added.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .linking import phrases_of
from .model import Term
from .prerequisites import Prerequisites

FORMAT = 1


def glossary_json(
    terms: list[Term],
    url_for: Callable[[str], str],
    links: dict[str, list[str]],
    incoming: dict[str, list[Term]],
    results: dict[str, Any],
    snippet_paths: dict[str, str],
    prerequisites: Prerequisites | None = None,
    equivalents: dict[str, list[Any]] | None = None,
) -> str:
    entries = []
    for term in sorted(terms, key=lambda t: t.slug):
        result = results.get(term.slug)
        snippet = None
        if term.slug in snippet_paths:
            snippet = {"path": snippet_paths[term.slug], "status": "not run", "verified": False}
            if result is not None:
                snippet.update(
                    status=result.status.value,
                    verified=result.verified,
                    reason=result.reason,
                    output=result.stdout,
                    numpy=result.numpy,
                    seconds=round(result.seconds, 4),
                )
        entries.append(
            {
                "slug": term.slug,
                "url": url_for(term.slug),
                **term.data.model_dump(mode="json", exclude={"snippet", "verify", "no_autolink", "equivalents"}),
                "phrases": phrases_of(term),
                "links": links.get(term.slug, []),
                "backlinks": [t.slug for t in incoming.get(term.slug, [])],
                "before": [
                    {"slug": p.slug, "why": p.why.name.lower()} for p in (prerequisites.before.get(term.slug, []) if prerequisites else [])
                ],
                "builds_on_this": list(prerequisites.after.get(term.slug, [])) if prerequisites else [],
                "snippet": snippet,
                "equivalents": _equivalents(term, (equivalents or {}).get(term.slug, [])),
            }
        )
    return json.dumps({"format": FORMAT, "generator": "termbook", "terms": entries}, ensure_ascii=False, indent=1) + "\n"


def _equivalents(term: Term, results: list[Any]) -> list[dict[str, Any]]:
    """Each equivalent as written, with its verdict in this build (``not-run`` when it had none)."""
    by_index = {r.index: r for r in results}
    entries = []
    for index, entry in enumerate(term.data.equivalents):
        data = entry.model_dump(mode="json")
        result = by_index.get(index)
        if result is not None:
            data.update(result.to_dict())
        else:
            data.update(status="not-run", badge="Not checked in this build")
        entries.append(data)
    return entries


def defined_term_jsonld(term: Term, url: str, set_url: str, set_name: str) -> str:
    """schema.org DefinedTerm for one term page, safe to place inside a <script> element."""
    data = {
        "@context": "https://schema.org",
        "@type": "DefinedTerm",
        "@id": url,
        "url": url,
        "name": term.name,
        "alternateName": list(term.data.aliases),
        "description": term.data.summary,
        "termCode": term.slug,
        "inDefinedTermSet": {"@type": "DefinedTermSet", "@id": set_url, "name": set_name},
    }
    if not data["alternateName"]:
        del data["alternateName"]
    return _script_safe(data)


def defined_term_set_jsonld(terms: list[Term], url_for: Callable[[str], str], set_url: str, set_name: str) -> str:
    """schema.org DefinedTermSet listing every term (for the A–Z page)."""
    data = {
        "@context": "https://schema.org",
        "@type": "DefinedTermSet",
        "@id": set_url,
        "name": set_name,
        "hasDefinedTerm": [
            {"@type": "DefinedTerm", "name": t.name, "url": url_for(t.slug), "description": t.data.summary, "termCode": t.slug}
            for t in sorted(terms, key=lambda t: t.name.casefold())
        ],
    }
    return _script_safe(data)


def _script_safe(data: dict) -> str:
    # "</script>" or "<!--" inside a string must not end or confuse the element
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
