"""The edit loop: after a term file or snippet is saved, redo only what the change touches.

:class:`LiveGlossary` keeps the glossary of the last good build (terms, links, graph, snippet
results, the Markdown of every generated page on disk) and :meth:`LiveGlossary.update` brings it
up to date with the files as they are now:

* it re-reads only the term files whose stamp (modification time, size) changed, and re-runs only
  the snippets whose run could differ (the changed snippets, the snippets importing them, and the
  snippets of changed terms; everything else is judged from the cache);
* it re-links only the terms whose pages it renders again: names and aliases are unchanged in an
  update (or the build is whole), so what each term links to is too, and only the link tooltips
  (the targets' summaries) can differ; the graph, backlinks and notation are recomputed whole, the
  prerequisites when a snippet's imports or a ``prerequisites`` field may have changed;
* a term page is rendered again when anything it shows changed: its own term or snippet, or the
  name, summary or tags of a term in its related list, *Referenced by*, *Before this*, *Builds on
  this* or its neighbourhood picture. The A–Z index, learning paths, notation page, ``terms.json``
  and ``terms.js`` (the term index of search and the link previews) are rendered whole and kept only when they changed; the graph
  page when a name, summary, tag or link changed.

The answer is an :class:`Update`: the pages whose HTML must be made again (among them the edited
terms' own, which the plugin makes first) and the generated files to copy, or :attr:`Outcome.FULL` when the change needs a whole build (a term added or removed, a
name, alias, plural, tag or ``no_autolink`` changed — they change what every page links and the
tags page — or the notation file or page template changed), or :attr:`Outcome.BROKEN` with the
errors of an edit that cannot be built (checked before a whole build too, which would stop at them):
then nothing is written and the last good site stays, and the next save that fixes it is compared
with the last good state.

Nothing here imports MkDocs: the plugin turns the pages into HTML (:mod:`termbook.plugin`).
"""

from __future__ import annotations

import enum
import html
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import Problem, Severity, relative
from .execution.cache import Cache
from .execution.equivalence import verify_equivalents
from .execution.pool import WorkerPool
from .execution.verification import SnippetResult, verify_terms
from .files import atomic_write_text
from .finishing import Site, data_files
from .glossary import BuildOptions, GlossaryBuild, load_and_verify
from .graph import edges
from .linking import Linker, backlinks, link_term, phrases_of
from .loading import invisible_problems, load_term
from .model import Term
from .notation import notation_usage
from .pages import UsedIn, glossary_pages, render_term_files, tutorial_uses
from .prerequisites import prerequisite_graph
from .project import Project
from .validation import check_related

Stamp = tuple[int, int]  # (st_mtime_ns, st_size)


class Outcome(enum.StrEnum):
    UNCHANGED = "unchanged"  # no term file, snippet or pinned output changed
    UPDATED = "updated"  # Update.pages and Update.files were written again
    FULL = "full"  # the change needs a whole build (Update.reason says why)
    BROKEN = "broken"  # the edit has errors (Update.problems); nothing was written


@dataclass
class Update:
    outcome: Outcome
    pages: list[str] = field(default_factory=list)  # docs-relative pages whose HTML must be made again
    edited: list[str] = field(default_factory=list)  # those of them of the terms whose file or own snippet was edited
    files: list[str] = field(default_factory=list)  # docs-relative generated files written again
    problems: list[Problem] = field(default_factory=list)  # the errors (BROKEN), else the changed terms' warnings
    ran: list[str] = field(default_factory=list)  # slugs whose snippet was executed
    reason: str = ""


_BANNER = re.compile(r"<!-- termbook-edit-error -->.*?<!-- /termbook-edit-error -->\n?", re.S)
_ARTICLE = re.compile(r"<article\b[^>]*>")


def with_error_banner(page: str, problems: list[Problem]) -> str:
    """A served page with the errors of the last edit on top (none: the banner taken away).

    Under `mkdocs serve` an edit that cannot be built leaves the last good page in place; the
    banner on the edited term's page says why the page did not change, and where to look.
    """
    page = _BANNER.sub("", page)
    if not problems:
        return page
    items = "".join(f"<li><pre>{html.escape(p.format())}</pre></li>" for p in problems)
    banner = (
        '<!-- termbook-edit-error --><div class="admonition failure" role="alert">'
        '<p class="admonition-title">The last edit cannot be built: this is the page as it was before it</p>'
        f"<ul>{items}</ul></div><!-- /termbook-edit-error -->\n"
    )
    match = _ARTICLE.search(page)
    at = match.end() if match else 0
    return page[:at] + banner + page[at:]


def take_stamps(project: Project) -> dict[Path, Stamp]:
    """The stamp of every file the glossary is made from: term files, snippets, pinned outputs, notation."""
    out: dict[Path, Stamp] = {}

    def add(path: Path) -> None:
        try:
            st = path.stat()
        except OSError:
            return
        out[path] = (st.st_mtime_ns, st.st_size)

    for folder, suffixes in ((project.terms_dir, (".yml", ".yaml")), (project.snippets_dir, (".py", ".out"))):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            for name in filenames:
                if name.endswith(suffixes) and not name.startswith("."):
                    add(Path(dirpath) / name)
    for extra in (project.notation_file, project.template):
        if extra is not None:
            add(extra)
    return out


class LiveGlossary:
    """The glossary of the last good build, kept between rebuilds of ``mkdocs serve``."""

    def __init__(self, site: Site, options: BuildOptions, stamps: dict[Path, Stamp]):
        self.site = site
        self.options = options
        self.stamps = stamps  # taken before the build read the files: an edit during it is seen next time
        self.store = site.build.project.cache_dir / "generated"
        self.used_in: UsedIn = tutorial_uses(site.build)
        self._pool: WorkerPool | None = None
        self._views = _views(site.build)
        self._linker = Linker(site.build.terms)  # the phrases stay as they are in an update: only summaries change
        self._symbols: dict[str, list[str]] = {}  # slug -> the notation symbols its formulas use
        for tex, slugs in site.build.notation_usage.items():
            for slug in slugs:
                self._symbols.setdefault(slug, []).append(tex)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- the update ------------------------------------------------------------------------------

    def update(self) -> Update:
        project = self.site.build.project
        old = self.site.build
        now = take_stamps(project)
        changed = {p for p in now.keys() | self.stamps.keys() if now.get(p) != self.stamps.get(p)}
        if not changed:
            return Update(Outcome.UNCHANGED)
        for extra in (project.notation_file, project.template):
            if extra in changed:
                return self._whole(f"{relative(extra, project.root)} changed")
        term_paths = sorted(p for p in changed if p.parent == project.terms_dir)
        for path in term_paths:
            if path not in now or path not in self.stamps:
                return self._whole(f"{relative(path, project.root)} was {'added' if path in now else 'removed'}")
        snippet_paths = sorted(p for p in changed if p not in term_paths)
        for path in snippet_paths:
            if path.suffix == ".py" and (path not in now or path not in self.stamps):
                return self._whole(f"{relative(path, project.root)} was {'added' if path in now else 'removed'}")

        # 1. the changed term files, each on its own
        problems: list[Problem] = []
        by_slug = old.by_slug
        fresh: dict[str, Term] = {}
        for path in term_paths:
            term, file_problems = load_term(path, project)
            problems += file_problems
            if term is not None:
                fresh[term.slug] = term
        if errors := [p for p in problems if p.severity is Severity.ERROR]:
            return Update(Outcome.BROKEN, problems=errors)
        for slug, term in fresh.items():
            before = by_slug.get(slug)
            if before is None:
                return self._whole(f"{slug} is a new term")
            if (
                phrases_of(before) != phrases_of(term)
                or before.data.no_autolink != term.data.no_autolink
                or before.data.tags != term.data.tags
            ):
                return self._whole(f"{slug}: its name, aliases, plurals, tags or no_autolink changed")
        terms = [fresh.get(t.slug, t) for t in old.terms]
        build = GlossaryBuild(project=project, terms=terms)
        root = project.root
        # names and aliases are unchanged (or the build is whole), so only the changed related lists
        problems += check_related(list(fresh.values()), {t.slug for t in terms}, root)
        for path in snippet_paths:
            if path in now:
                try:
                    problems += invisible_problems(path.read_text(encoding="utf-8"), relative(path, root))
                except (OSError, UnicodeDecodeError):
                    pass  # the runner reports an unreadable snippet where it is used

        # 2. links: the phrases are unchanged, so what every other term links to is too (a page that
        # links a changed term, and so shows its summary as a tooltip, is linked again when it is
        # rendered again, below)
        linker = self._linker.retargeted(fresh.values())
        new_by_slug = build.by_slug
        build.linked = dict(old.linked)
        for slug in fresh:
            term = new_by_slug[slug]
            build.linked[slug], link_problems = link_term(term, linker, relative(term.path, root))
            problems += link_problems
        problems += self._connect(build, old, fresh, snippet_paths)
        if errors := [p for p in problems if p.severity is Severity.ERROR]:
            return Update(Outcome.BROKEN, problems=errors)

        # 3. snippets: the changed ones, those of changed terms, and everything importing them
        verify = self._to_verify(build, old, set(fresh), snippet_paths)
        results = dict(old.results)
        if verify and self.options.run_snippets:
            chosen = [t for t in terms if t.slug in verify]
            ran = verify_terms(chosen, project, self._workers(), Cache(project.cache_dir, enabled=self.options.use_cache))
            results.update(ran)
        build.results = {t.slug: results[t.slug] for t in terms if t.slug in results and t.snippet is not None}
        for slug in verify:
            if len(_figures(build.results.get(slug))) != len(_figures(old.results.get(slug))):
                return self._whole(f"{slug}: its snippet draws a different number of figures")
        problems += [build.results[s].problem() for s in verify if s in build.results and not build.results[s].verified]
        # their library equivalents too (the cases and the reference are the snippet's)
        equivalents = {slug: entries for slug, entries in old.equivalents.items() if slug not in verify}
        redo = [t for t in terms if t.slug in verify and t.data.equivalents]
        if redo:
            cache = Cache(project.cache_dir, enabled=self.options.use_cache)
            equivalents.update(verify_equivalents(redo, project, cache, run=self.options.run_snippets, jobs=self.options.jobs))
        build.equivalents = {t.slug: equivalents[t.slug] for t in terms if t.slug in equivalents}
        problems += [r.problem() for s in verify for r in build.equivalents.get(s, []) if r.disagrees]

        # 4. what is shown where: the pages whose inputs changed
        old_view, new_view = self._views, _views(build)
        # made again whatever their Markdown: what a page shows of other terms is also in its HTML
        # (the neighbourhood picture), and a changed term's own data in its head (JSON-LD)
        forced = set(fresh) | {s for s in new_view if new_view[s] != old_view.get(s)}
        affected = forced | verify  # rendered again; a re-judged snippet shows only in the Markdown
        update = Update(Outcome.UPDATED, ran=sorted(s for s in verify if s in build.results and not build.results[s].cached))
        layout = project.layout
        written: dict[str, bool] = {}

        def put(page: bool, path: str, text: str) -> None:
            written[path] = self._put(path, text) or (page and path.endswith(".md") and layout.slug_of(path) in forced)

        for slug in sorted(affected):
            term = new_by_slug[slug]
            if slug not in fresh:  # with the summaries its links show now
                build.linked[slug] = link_term(term, linker, relative(term.path, root))[0]
            render_term_files(build, term, self.used_in, put, new_by_slug)
        for rel, text in glossary_pages(build, new_by_slug).items():
            put(True, rel, text)
        if _graph_view(old) != _graph_view(build):
            written[layout.graph_page] = True
        self.site.build = build
        self._views, self._linker = new_view, linker
        for rel, text in data_files(self.site, whole=False).items():
            put(False, rel, text)
        for rel, changed_now in written.items():
            if changed_now:
                (update.pages if rel.endswith(".md") else update.files).append(rel)
        edited = set(fresh) | _owners(terms, snippet_paths)
        update.edited = [rel for rel in update.pages if layout.slug_of(rel) in edited]
        self.stamps = now
        paths = (
            {relative(p, root) for p in [*term_paths, *snippet_paths]}
            | {relative(t.snippet, root) for t in terms if t.slug in verify and t.snippet}
            | {relative(t.path, root) for t in redo}
        )  # an equivalent's problem is located in its term file
        update.problems = [p for p in problems if p.severity is Severity.WARNING and p.file in paths]
        return update

    def finish(self) -> list[str]:
        """Write what no page shows and is slow to make (``terms.json``); the files that changed.

        The plugin calls it once the pages of an update are served.
        """
        rel = self.site.build.project.layout.terms_json
        return [rel] if self._put(rel, data_files(self.site)[rel]) else []

    # -- parts -----------------------------------------------------------------------------------

    def _whole(self, reason: str) -> Update:
        """A whole build, unless it would stop at errors in the term files: then nothing changes."""
        errors = load_and_verify(replace(self.options, run_snippets=False)).errors
        if errors:
            return Update(Outcome.BROKEN, problems=errors)
        return Update(Outcome.FULL, reason=reason)

    def _connect(self, build: GlossaryBuild, old: GlossaryBuild, fresh: dict[str, Term], snippet_paths: list[Path]) -> list[Problem]:
        """What follows from the links, as :func:`termbook.glossary.connect`, but each term's formulas read once."""
        project, terms = build.project, build.terms
        prose_targets = {slug: linked.targets for slug, linked in build.linked.items()}
        build.graph = edges(terms, prose_targets)
        build.incoming = backlinks(terms, prose_targets)
        problems: list[Problem] = []
        imports_changed = any(p.suffix == ".py" for p in snippet_paths)
        if imports_changed or any(
            t.data.prerequisites != old.by_slug[s].data.prerequisites or t.snippet != old.by_slug[s].snippet for s, t in fresh.items()
        ):
            build.prerequisites, problems = prerequisite_graph(terms, project)
        else:
            build.prerequisites = old.prerequisites  # no snippet's imports and no prerequisites field changed
        build.notation = old.notation  # the notation file is unchanged (or the build is whole)
        if build.notation and project.notation_file is not None:
            file = relative(project.notation_file, project.root)
            for slug, term in fresh.items():
                usage, usage_problems = notation_usage([term], build.notation, project.root, file)
                self._symbols[slug] = [tex for tex, slugs in usage.items() if slugs]
                problems += usage_problems
            build.notation_usage = {s.tex: [] for s in build.notation}
            for term in terms:
                for tex in self._symbols.get(term.slug, []):
                    build.notation_usage[tex].append(term.slug)
        return problems

    def _workers(self) -> WorkerPool:
        if self._pool is None:  # warm workers for the whole session: a snippet edit runs at once
            self._pool = WorkerPool(self.site.build.project.import_root, jobs=self.options.jobs)
        return self._pool

    def _put(self, rel: str, text: str) -> bool:
        """Write a generated file if its text changed; whether it did."""
        path = self.store / rel
        data = text.encode("utf-8")
        try:
            if path.read_bytes() == data:
                return False
        except OSError:
            pass
        atomic_write_text(path, text)
        return True

    def _to_verify(self, build: GlossaryBuild, old: GlossaryBuild, changed_terms: set[str], snippet_paths: list[Path]) -> set[str]:
        """The terms whose snippet is judged again (from the cache when what runs is unchanged).

        A changed term file or pinned output: its own snippet (the file names the snippet and its
        tolerances). A changed snippet: it and every snippet importing it, since a run's cache key
        holds the sources of its imports.
        """
        snippet_of = {t.snippet: t.slug for t in build.terms if t.snippet is not None}
        own = {s for s in changed_terms if build.by_slug[s].snippet is not None}
        sources: set[str] = set()
        for path in snippet_paths:
            slug = snippet_of.get(path.with_suffix(".py"))
            if slug is None:
                if path.suffix == ".py":  # a helper module no term owns: any snippet may import it
                    return set(snippet_of.values())
            elif path.suffix == ".py":
                sources.add(slug)
            else:
                own.add(slug)
        out, todo = set(), list(sources)
        while todo:  # every snippet that builds on a changed one (imports are prerequisites)
            slug = todo.pop()
            if slug in out:
                continue
            out.add(slug)
            todo += build.prerequisites.after.get(slug, []) + old.prerequisites.after.get(slug, [])
        return {s for s in out | own if s in snippet_of.values()}


def _owners(terms: list[Term], snippet_paths: list[Path]) -> set[str]:
    """The terms whose own snippet or pinned output is among ``snippet_paths`` (a helper module is no term's)."""
    owner = {t.snippet: t.slug for t in terms if t.snippet is not None}
    return {owner[p.with_suffix(".py")] for p in snippet_paths if p.with_suffix(".py") in owner}


def _figures(result: SnippetResult | None) -> list:
    return result.figures if result is not None else []


def _views(build: GlossaryBuild) -> dict[str, tuple]:
    """What each term page shows of other terms, by slug: a page whose view changed is made again."""
    shown = {t.slug: (t.slug, t.name, t.data.summary, tuple(t.data.tags)) for t in build.terms}

    def show(slug: str) -> tuple:
        return shown.get(slug) or (slug,)

    usage: dict[str, list[str]] = {}
    for tex, slugs in build.notation_usage.items():
        for slug in slugs:
            usage.setdefault(slug, []).append(tex)
    before, after = build.prerequisites.before, build.prerequisites.after
    return {
        t.slug: (
            tuple(map(show, t.data.related)),
            tuple(shown[i.slug] for i in build.incoming.get(t.slug, [])),
            tuple((show(p.slug), p.why) for p in before.get(t.slug, [])),
            tuple(map(show, after.get(t.slug, []))),
            tuple(map(show, build.outgoing(t.slug))),
            tuple(usage.get(t.slug, [])),
        )
        for t in build.terms
    }


def _graph_view(build: GlossaryBuild) -> tuple:
    """What the whole-glossary picture shows."""
    terms = tuple((t.slug, t.name, t.data.summary, tuple(t.data.tags)) for t in build.terms)
    return terms, tuple(sorted((e.source, e.target, e.kind) for e in build.graph))
