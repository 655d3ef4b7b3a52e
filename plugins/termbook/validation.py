"""Checks that need the whole glossary: related slugs, names and aliases across terms.

``check_glossary(terms, root) -> problems`` is pure: it reads nothing and raises nothing.
``present`` names the slugs of term files that exist but did not load (they have problems of
their own); a ``related`` entry naming one of them is not reported again as unknown.
"""

from __future__ import annotations

from pathlib import Path

from .errors import Problem, did_you_mean, relative
from .model import Term

# "did you mean" compares against every slug; past this many per file a hostile list of
# thousands of unknown slugs would make it quadratic, so the rest get the plain hint
SUGGESTIONS_PER_FILE = 20


def check_glossary(terms: list[Term], root: Path, present: set[str] | frozenset[str] = frozenset()) -> list[Problem]:
    problems: list[Problem] = []
    slugs = {t.slug for t in terms}
    problems += _check_related(terms, slugs, root, set(present) - slugs)
    problems += _check_names(terms, root)
    return problems


def check_related(terms: list[Term], slugs: set[str], root: Path) -> list[Problem]:
    """The ``related`` lists of ``terms``, against the slugs of the whole glossary."""
    return _check_related(terms, slugs, root, set())


def _check_related(terms: list[Term], slugs: set[str], root: Path, broken: set[str]) -> list[Problem]:
    problems = []
    for term in terms:
        file = relative(term.path, root)
        seen: set[str] = set()
        suggestions = 0
        for i, slug in enumerate(term.data.related):
            line, col = term.line_of("related", i)
            field = f"related[{i}]"
            if slug == term.slug:
                problems.append(
                    Problem(file, "a term cannot be related to itself", line, col, field, "the slug of another term", "remove it")
                )
            elif slug in broken:
                pass  # terms/<slug>.yml exists; its own problems are reported
            elif slug not in slugs:
                suggestions += 1
                close = did_you_mean(slug, slugs - {term.slug}) if suggestions <= SUGGESTIONS_PER_FILE else None
                problems.append(
                    Problem(
                        file,
                        f"unknown term '{slug}'",
                        line,
                        col,
                        field,
                        "the slug of a file in terms/",
                        close or f"create terms/{slug}.yml, or remove it",
                    )
                )
            elif slug in seen:
                problems.append(Problem(file, f"'{slug}' is listed twice", line, col, field, "each related term once", "remove one"))
            seen.add(slug)
    return problems


def _check_names(terms: list[Term], root: Path) -> list[Problem]:
    """Names and aliases must each point at exactly one term (case-insensitively)."""
    problems = []
    owner: dict[str, tuple[Term, str]] = {}  # folded name -> (term, "name"|"alias")
    for term in terms:
        key = term.name.casefold()
        if key in owner:
            other, _ = owner[key]
            line, col = term.line_of("term")
            problems.append(
                Problem(
                    relative(term.path, root),
                    f"term name '{term.name}' is already used by {relative(other.path, root)}",
                    line,
                    col,
                    "term",
                    "a name no other term has",
                    "merge the two files, or make the names distinct",
                )
            )
        else:
            owner[key] = (term, "name")
    for term in terms:
        file = relative(term.path, root)
        own: set[str] = {term.name.casefold()}
        for i, alias in enumerate(term.data.aliases):
            key = alias.casefold()
            line, col = term.line_of("aliases", i)
            field = f"aliases[{i}]"
            if key in own:
                what = "the term's own name" if key == term.name.casefold() else "listed twice"
                problems.append(Problem(file, f"alias '{alias}' is {what}", line, col, field, "a different name", "remove it"))
                continue
            own.add(key)
            if key in owner and owner[key][0] is not term:
                other, kind = owner[key]
                if kind == "name":
                    message = f"alias '{alias}' is the name of another term ({other.slug})"
                    hint = f"remove it; mention {other.name} in 'related' instead"
                else:
                    message = f"alias '{alias}' is also an alias of {other.slug}"
                    hint = "an alias must lead to one term; keep it on the term readers mean most often"
                problems.append(Problem(file, message, line, col, field, "a name that belongs to this term alone", hint))
            else:
                owner[key] = (term, "alias")
    return problems
