"""pytest plugin: every term's snippet is a test item named after the term, and so is each of its
library equivalents (``batch-normalization[pytorch]``).

``pytest terms/`` (or plain ``pytest`` with ``terms`` in ``testpaths``) collects one item per
``terms/<slug>.yml``; the item validates the term file and verifies its snippet exactly as the
build does (same worker, same judge); an equivalent's item runs it and compares it with the snippet,
and is skipped when its library is not installed. ``-k batch`` and ``pytest -n auto`` work as usual. Runs
are not taken from the cache unless ``--termbook-cache`` is given: a test run runs the code.

The folders are the project's (:meth:`termbook.project.Project.discover`): the termbook options of
``mkdocs.yml`` at pytest's rootdir, so a configured ``terms_dir``, ``snippets_dir`` or
``cache_dir`` is honoured here as in the build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .errors import Severity, format_report
from .execution.cache import Cache
from .execution.equivalence import Agreement, verify_equivalents
from .execution.pool import WorkerPool
from .execution.verification import verify_terms
from .loading import load_term
from .model import Library, module_name
from .project import Project

_POOL = pytest.StashKey[WorkerPool]()
_LIBRARY_POOL = pytest.StashKey[WorkerPool]()
_PROJECT = pytest.StashKey[Project]()


def pytest_addoption(parser):
    group = parser.getgroup("termbook")
    group.addoption("--termbook-cache", action="store_true", help="reuse cached snippet runs (the project's cache folder)")


def project_of(config) -> Project:
    project = config.stash.get(_PROJECT, None)
    if project is None:
        project = config.stash[_PROJECT] = Project.discover(config.rootpath)
    return project


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".yml" and file_path.parent.resolve() == project_of(parent.config).terms_dir:
        return TermFile.from_parent(parent, path=file_path)
    return None


class TermFile(pytest.File):
    def collect(self):
        item = SnippetItem.from_parent(self, name=self.path.stem)
        item.extra_keyword_matches.add(module_name(self.path.stem))  # -k batch_normalization works too
        yield item
        term, _ = load_term(self.path, project_of(self.config))
        if term is None:
            return  # the snippet's item reports why
        seen: dict[str, int] = {}
        for index, entry in enumerate(term.data.equivalents):
            seen[entry.library.value] = seen.get(entry.library.value, 0) + 1
            suffix = entry.library.value + (f"-{seen[entry.library.value]}" if seen[entry.library.value] > 1 else "")
            equivalent = EquivalentItem.from_parent(self, name=f"{self.path.stem}[{suffix}]")
            equivalent.index = index
            equivalent.extra_keyword_matches.update({module_name(self.path.stem), "equivalent"})
            yield equivalent


class SnippetFailure(Exception):
    pass


class _TermItem(pytest.Item):
    """An item of a term file: loads it as the build does; a failure is shown as its located problem."""

    def load(self):
        term, problems = load_term(self.path, project_of(self.config))
        errors = [p for p in problems if p.severity is Severity.ERROR]
        if errors or term is None:
            raise SnippetFailure(format_report(errors))
        return term

    def cache(self) -> Cache:
        return Cache(project_of(self.config).cache_dir, enabled=self.config.getoption("termbook_cache"))

    def fail_with(self, problem, details: str) -> None:
        message = problem.format()
        if details.strip():
            message += "\n\n" + details.rstrip()
        raise SnippetFailure(message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SnippetFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class SnippetItem(_TermItem):
    def runtest(self) -> None:
        term = self.load()
        if term.snippet is None:
            pytest.skip(f"{term.slug} has no snippet")
        result = verify_terms([term], project_of(self.config), _pool(self.config), self.cache())[term.slug]
        self.user_properties.append(("seconds", result.seconds))
        if not result.verified:
            self.fail_with(result.problem(), result.details)

    def reportinfo(self):
        return self.path, None, f"snippet of {self.name}"


class EquivalentItem(_TermItem):
    index = 0

    def runtest(self) -> None:
        term = self.load()
        if self.index >= len(term.data.equivalents):
            raise SnippetFailure("the term file changed since collection")
        results = verify_equivalents([term], project_of(self.config), self.cache(), pool=_library_pool(self.config))[term.slug]
        result = next(r for r in results if r.index == self.index)
        self.user_properties.append(("seconds", result.seconds))
        if result.status is Agreement.NOT_INSTALLED:
            pytest.skip(result.badge())
        if not result.agrees:
            self.fail_with(result.problem(), result.details)

    def reportinfo(self):
        return self.path, None, f"equivalent {self.name}"


def _pool(config, key=_POOL, warm: tuple[str, ...] = ()) -> WorkerPool:
    """One worker for this session, started on first use (``warm``: modules it imports before forking)."""
    pool = config.stash.get(key, None)
    if pool is None:
        pool = WorkerPool(project_of(config).import_root, jobs=1, warm=warm)
        config.stash[key] = pool
        config.add_cleanup(pool.close)
    return pool


def _library_pool(config) -> WorkerPool:
    """The equivalents' worker, warmed once with every library (imported when installed)."""
    return _pool(config, _LIBRARY_POOL, warm=tuple(library.module for library in Library))
