"""What to read before a term, and what builds on it.

A term's prerequisites come from two places: the snippets its own snippet imports (the code uses
that concept, so the reader should know it) and its ``prerequisites`` field (what the author says a
reader needs). ``prerequisite_graph(terms, project) -> (Prerequisites, problems)`` finds both; the
problems are unknown slugs and cycles (a term that, through its prerequisites, comes before
itself), each located at the ``prerequisites`` entry that closes it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, did_you_mean, relative
from .execution.deps import direct_dependencies
from .model import Term
from .project import Project


class Why(enum.StrEnum):
    IMPORTS = "its code uses it"  # the snippet imports the prerequisite's snippet
    LISTED = "listed by the author"  # the term's prerequisites field names it


@dataclass(frozen=True)
class Prerequisite:
    slug: str
    why: Why


@dataclass
class Prerequisites:
    before: dict[str, list[Prerequisite]] = field(default_factory=dict)  # slug -> what comes first
    after: dict[str, list[str]] = field(default_factory=dict)  # slug -> terms that build on it

    def order(self, slugs: list[str]) -> list[str]:
        """``slugs`` in an order where every prerequisite (among them) comes first; stable otherwise."""
        chosen, placed, out = set(slugs), set(), []

        def place(slug: str, stack: frozenset[str]) -> None:
            if slug in placed or slug in stack:
                return
            for p in self.before.get(slug, []):
                if p.slug in chosen:
                    place(p.slug, stack | {slug})
            placed.add(slug)
            out.append(slug)

        for slug in slugs:
            place(slug, frozenset())
        return out


def prerequisite_graph(terms: list[Term], project: Project) -> tuple[Prerequisites, list[Problem]]:
    by_snippet: dict[Path, str] = {t.snippet.resolve(): t.slug for t in terms if t.snippet is not None}
    slugs = {t.slug for t in terms}
    graph = Prerequisites()
    problems: list[Problem] = []
    for term in terms:
        found: dict[str, Prerequisite] = {}
        if term.snippet is not None:
            try:
                source = term.snippet.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                source = ""
            for dep in sorted(direct_dependencies(source, project.snippets_dir)):
                slug = by_snippet.get(dep)
                if slug and slug != term.slug:
                    found.setdefault(slug, Prerequisite(slug, Why.IMPORTS))
        file = relative(term.path, project.root)
        for i, slug in enumerate(term.data.prerequisites):
            line, col = term.line_of("prerequisites", i)
            if slug == term.slug:
                problems.append(
                    Problem(
                        file,
                        "a term cannot be its own prerequisite",
                        line,
                        col,
                        f"prerequisites[{i}]",
                        "the slug of another term",
                        "remove it",
                    )
                )
            elif slug not in slugs:
                hint = did_you_mean(slug, slugs) or f"create {relative(project.terms_dir, project.root)}/{slug}.yml, or remove it"
                problems.append(Problem(file, f"unknown term '{slug}'", line, col, f"prerequisites[{i}]", "the slug of a term", hint))
            else:
                found.setdefault(slug, Prerequisite(slug, Why.LISTED))
        graph.before[term.slug] = list(found.values())
        for p in found.values():
            graph.after.setdefault(p.slug, []).append(term.slug)
    problems += _cycles(terms, graph, project)
    return graph, problems


def _cycles(terms: list[Term], graph: Prerequisites, project: Project) -> list[Problem]:
    """One located error per cycle of prerequisites (iterative DFS, so depth is no limit)."""
    by_slug = {t.slug: t for t in terms}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(graph.before):
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            slug, i = stack.pop()
            if i == 0:
                state[slug] = 1
                path.append(slug)
            nexts = graph.before.get(slug, [])
            if i < len(nexts):
                stack.append((slug, i + 1))
                target = nexts[i].slug
                if state.get(target) == 1:
                    cycle = path[path.index(target) :]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        problems.append(_cycle_problem(cycle, slug, target, by_slug, project))
                elif not state.get(target):
                    stack.append((target, 0))
            else:
                state[slug] = 2
                path.pop()
    return problems


def _cycle_problem(cycle: list[str], last: str, target: str, by_slug: dict[str, Term], project: Project) -> Problem:
    term = by_slug[last]
    listed = list(term.data.prerequisites)
    index = listed.index(target) if target in listed else None
    line, col = term.line_of("prerequisites", index) if index is not None else term.line_of("prerequisites")
    chain = " → ".join([*cycle, target])
    return Problem(
        relative(term.path, project.root),
        f"prerequisites go round in a circle: {chain}",
        line,
        col,
        f"prerequisites[{index}]" if index is not None else "prerequisites",
        "prerequisites that lead back to no term itself",
        "remove the prerequisite that is really a related term (a snippet's imports count as prerequisites too)",
    )
