"""The glossary of one build: load and validate every term, link them, run and verify snippets.

``load_and_verify(options) -> GlossaryBuild`` is what the MkDocs plugin, the CLI, the pytest plugin
and the render core start from. It never raises for bad input: problems come back in
``GlossaryBuild.problems``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import Problem, Severity, relative
from .execution.cache import Cache
from .execution.equivalence import EquivalenceResult, verify_equivalents
from .execution.pool import WorkerPool
from .execution.verification import SnippetResult, verify_terms
from .graph import Edge, edges, health
from .linking import LinkedTerm, Linker, backlinks, link_term
from .loading import load_glossary
from .model import Term
from .notation import Symbol, load_notation, notation_usage
from .prerequisites import Prerequisites, prerequisite_graph
from .project import Project


@dataclass(frozen=True)
class BuildOptions:
    """What one run does with a project; the folders are the project's."""

    project: Project
    run_snippets: bool = True
    use_cache: bool = True
    force: bool = False
    jobs: int | None = None
    only: frozenset[str] = frozenset()  # verify only these slugs (all are still validated)
    shard: tuple[int, int] | None = None  # (k, n): verify only the k-th of n stable parts (1-based)
    audit_html: bool = False  # render every term page as HTML and report what the sanitiser would remove


@dataclass
class GlossaryBuild:
    project: Project
    terms: list[Term] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    results: dict[str, SnippetResult] = field(default_factory=dict)
    equivalents: dict[str, list[EquivalenceResult]] = field(default_factory=dict)  # by slug, in the term's order
    pages: dict[str, str] = field(default_factory=dict)  # docs-relative path -> Markdown
    assets: dict[str, str] = field(default_factory=dict)  # docs-relative path -> file content
    linked: dict[str, LinkedTerm] = field(default_factory=dict)  # prose with links, by slug
    graph: list[Edge] = field(default_factory=list)  # every link between terms
    incoming: dict[str, list[Term]] = field(default_factory=dict)  # backlinks, by slug
    prerequisites: Prerequisites = field(default_factory=Prerequisites)  # before / builds on, by slug
    notation: list[Symbol] = field(default_factory=list)  # the shared notation file's symbols
    notation_usage: dict[str, list[str]] = field(default_factory=dict)  # symbol -> slugs using it
    _outgoing: dict[str, list[str]] | None = field(default=None, repr=False)
    _by_slug: tuple[int, int, dict[str, Term]] | None = field(default=None, repr=False, compare=False)

    @property
    def by_slug(self) -> dict[str, Term]:
        """Terms by slug, built once per ``terms`` list (pages ask for it several times each: at
        10,000 terms rebuilding it every time was quadratic). Assigning ``terms`` or changing its
        length rebuilds it; replace the list rather than one of its items."""
        key = (id(self.terms), len(self.terms))
        if self._by_slug is None or self._by_slug[:2] != key:
            self._by_slug = (*key, {t.slug: t for t in self.terms})
        return self._by_slug[2]

    def __setattr__(self, name: str, value: object) -> None:
        if name == "terms":  # a new list, even one at the address of a freed one
            object.__setattr__(self, "_by_slug", None)
        object.__setattr__(self, name, value)

    def outgoing(self, slug: str) -> list[str]:
        """Slugs ``slug`` links to (related first, then prose mentions)."""
        if self._outgoing is None:
            self._outgoing = {}
            for edge in self.graph:
                self._outgoing.setdefault(edge.source, []).append(edge.target)
        return self._outgoing.get(slug, [])

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def suggestions(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.SUGGESTION]


def in_shard(slug: str, shard: tuple[int, int] | None) -> bool:
    """Is ``slug`` in part k of n? A stable split by the slug's hash: adding a term moves no other."""
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha256(slug.encode("utf-8")).hexdigest(), 16) % n == k - 1


def connect(build: GlossaryBuild) -> list[Problem]:
    """Set what follows from the terms and their links: graph, backlinks, prerequisites, notation.

    Returns the problems found on the way (health suggestions, prerequisite and notation problems).
    """
    project, terms = build.project, build.terms
    problems: list[Problem] = []
    prose_targets = {slug: linked.targets for slug, linked in build.linked.items()}
    build.graph = edges(terms, prose_targets)
    build._outgoing = None
    build.incoming = backlinks(terms, prose_targets)
    problems += health(terms, build.graph, project.root)
    build.prerequisites, prerequisite_problems = prerequisite_graph(terms, project)
    problems += prerequisite_problems
    if project.notation_file is not None:
        build.notation, notation_problems = load_notation(project.notation_file, project.root)
        build.notation_usage, usage_problems = notation_usage(
            terms, build.notation, project.root, relative(project.notation_file, project.root)
        )
        problems += notation_problems + usage_problems
    return problems


def load_and_verify(options: BuildOptions, progress: Callable[[SnippetResult], None] | None = None) -> GlossaryBuild:
    """Validate every term; when valid and asked to, run every snippet."""
    project = options.project
    terms, problems = load_glossary(project)
    build = GlossaryBuild(project=project, terms=terms, problems=problems)
    linker = Linker(terms)
    for term in terms:
        build.linked[term.slug], link_problems = link_term(term, linker, relative(term.path, project.root))
        build.problems += link_problems
    build.problems += connect(build)
    if options.audit_html:
        from .auditing import audit_glossary

        build.problems += audit_glossary(build, use_cache=options.use_cache and not options.force)
    if build.errors:
        return build
    cache = Cache(project.cache_dir, enabled=options.use_cache)
    chosen = [t for t in terms if (not options.only or t.slug in options.only) and in_shard(t.slug, options.shard)]
    if options.run_snippets:
        with WorkerPool(project.import_root, jobs=options.jobs) as pool:
            build.results = verify_terms(chosen, project, pool, cache, force=options.force, progress=progress)
        build.problems += [r.problem() for r in build.results.values() if not r.verified]
    build.equivalents = verify_equivalents(chosen, project, cache, run=options.run_snippets, force=options.force, jobs=options.jobs)
    build.problems += [r.problem() for entries in build.equivalents.values() for r in entries if r.disagrees]
    return build
