"""pytest plugin: every term's snippet is a test item named after the term.

``pytest terms/`` (or plain ``pytest`` with ``terms`` in ``testpaths``) collects one item per
``terms/<slug>.yml``; the item validates the term file and verifies its snippet exactly as the
build does (same worker, same judge). ``-k batch`` and ``pytest -n auto`` work as usual. Runs
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
from .execution.pool import WorkerPool
from .execution.verification import verify_terms
from .loading import load_term
from .model import module_name
from .project import Project

_POOL = pytest.StashKey[WorkerPool]()
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


class SnippetFailure(Exception):
    pass


class SnippetItem(pytest.Item):
    def runtest(self) -> None:
        project = project_of(self.config)
        term, problems = load_term(self.path, project)
        errors = [p for p in problems if p.severity is Severity.ERROR]
        if errors or term is None:
            raise SnippetFailure(format_report(errors))
        if term.snippet is None:
            pytest.skip(f"{term.slug} has no snippet")
        cache = Cache(project.cache_dir, enabled=self.config.getoption("termbook_cache"))
        result = verify_terms([term], project, _pool(self.config), cache)[term.slug]
        self.user_properties.append(("seconds", result.seconds))
        if not result.verified:
            message = result.problem().format()
            if result.details.strip():
                message += "\n\n" + result.details.rstrip()
            raise SnippetFailure(message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SnippetFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"snippet of {self.name}"


def _pool(config) -> WorkerPool:
    pool = config.stash.get(_POOL, None)
    if pool is None:
        pool = WorkerPool(project_of(config).import_root, jobs=1)
        config.stash[_POOL] = pool
        config.add_cleanup(pool.close)
    return pool
