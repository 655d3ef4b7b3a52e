"""Running snippets: isolation, containment of faults, verdicts, the cache."""

from __future__ import annotations

import json
import os

import pytest
from termbook.execution.cache import Cache
from termbook.execution.pool import Limits, RunRequest, RunStatus, WorkerPool
from termbook.execution.verification import Failure, verify_terms
from termbook.loading import load_glossary

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term


@pytest.fixture
def pool(project):
    with WorkerPool(project.root, jobs=2) as p:
        yield p


def run(pool, project, source, timeout=2.0, **limits):
    path = project.add_snippet("s", source)
    return pool.run(RunRequest(str(path), str(project.root), Limits(timeout=timeout, **limits)))


FAULTS = [
    ("infinite loop", "while True:\n    pass\n", "timeout", "timed out after 1 s"),
    ("sleep", "import time\ntime.sleep(1e6)\n", "timeout", "timed out after 1 s"),
    ("segfault", "import ctypes\nctypes.string_at(0)\n", "crashed", "segmentation fault"),
    ("os._exit", "import os\nos._exit(0)\n", "crashed", "exited with status 0 before reporting"),
    ("output flood", "while True:\n    print('x' * 1000)\n", "limit", "output limit exceeded"),
]


@pytest.mark.parametrize("source,status,reason", [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_faults_are_contained_and_named(pool, project, source, status, reason):
    reply = run(pool, project, source, timeout=1.0)
    assert reply.status is RunStatus(status)
    assert reason in reply.reason
    # the pool still works afterwards
    ok = run(pool, project, "print('fine')\ndef check_x():\n    pass\n")
    assert ok.status is RunStatus.RAN and ok.stdout == "fine\n"


def test_sys_exit_is_reported_as_the_demo_error(pool, project):
    reply = run(pool, project, "import sys\nsys.exit(3)\n")
    assert reply.demo_error.message == "the snippet called sys.exit(3)"


def test_memory_cap(pool, project):
    reply = run(pool, project, "import numpy as np\nx = np.ones(50 * 10**9 // 8)\n", memory_mb=1024)
    assert reply.demo_error.type == "MemoryError"
    assert "memory limit exceeded" in reply.demo_error.message


def test_isolation_cwd_stdin_hashseed(pool, project):
    reply = run(
        pool,
        project,
        "import os, sys\nprint(os.listdir('.'))\nprint(repr(sys.stdin.read()))\nprint(os.environ['PYTHONHASHSEED'])\n"
        "open('scratch.txt', 'w').write('x')\n",
    )
    assert reply.stdout.splitlines() == ["[]", "''", "0"]
    assert not (project.root / "snippets" / "scratch.txt").exists()


def test_traceback_points_at_the_snippet_line(pool, project):
    reply = run(pool, project, "x = 1\n\ndef check_fails():\n    assert x == 2, 'x is not 2'\n")
    [check] = reply.checks
    assert not check.ok
    assert check.error.line == 4
    assert check.error.message == "x is not 2"
    assert 's.py", line 4, in check_fails' in check.error.traceback
    assert "worker.py" not in check.error.traceback


def test_module_state_is_fresh_for_every_run(pool, project):
    source = "import numpy as np\nnp.seterr(all='raise')\nimport json\njson.MARK = getattr(json, 'MARK', 0) + 1\nprint(json.MARK)\n"
    first = run(pool, project, source)
    second = run(pool, project, source)
    assert first.stdout == second.stdout == "1\n"


def _glossary(project):
    terms, problems = load_glossary(project.root)
    assert problems == []
    return terms


def test_verdicts(pool, project, tmp_path):
    project.add_term("good", term("Good"))
    project.add_snippet("good", GOOD_SNIPPET, GOOD_OUTPUT)
    project.add_term("drifted", term("Drifted"))
    project.add_snippet("drifted", GOOD_SNIPPET, "double: [0. 2. 5.]\n")
    project.add_term("unpinned", term("Unpinned"))
    project.add_snippet("unpinned", GOOD_SNIPPET)
    project.add_term("no-checks", term("No Checks"))
    project.add_snippet("no_checks", "print(1)\n", "1\n")
    project.add_term("failing", term("Failing"))
    project.add_snippet("failing", "def check_one():\n    assert False, 'broken'\n", "")
    results = verify_terms(_glossary(project), project.root, pool, Cache(tmp_path / "c", enabled=False))
    verdicts = {slug: (r.status, r.reason) for slug, r in results.items()}
    assert verdicts["good"] == ("verified", "")
    assert verdicts["drifted"][0] == "failed"
    assert "output differs from the pinned output at line 1" in verdicts["drifted"][1]
    assert verdicts["unpinned"] == ("unpinned", "its output is not pinned yet")
    assert verdicts["no-checks"] == ("failed", "the snippet defines no check_* functions")
    assert verdicts["failing"] == ("failed", "1 check failed (check_one): AssertionError: broken")
    assert results["failing"].line == 2


def test_cache_hit_change_and_dependency(pool, project, tmp_path):
    project.add_term("base", term("Base"))
    project.add_snippet("base", "def f():\n    return 1\n\ndef check_f():\n    assert f() == 1\n", "")
    project.add_term("user", term("User"))
    project.add_snippet("user", "from snippets.base import f\n\ndef check_g():\n    assert f() == 1\n", "")
    cache = Cache(tmp_path / "cache")
    first = verify_terms(_glossary(project), project.root, pool, cache)
    assert [r.cached for r in first.values()] == [False, False]
    second = verify_terms(_glossary(project), project.root, pool, cache)
    assert [r.cached for r in second.values()] == [True, True]
    assert all(r.verified for r in second.values())
    # editing the dependency re-runs its dependent, and the failure shows
    project.add_snippet("base", "def f():\n    return 2\n\ndef check_f():\n    assert f() == 2\n")
    third = verify_terms(_glossary(project), project.root, pool, cache)
    assert [r.cached for r in third.values()] == [False, False]
    assert third["base"].verified and not third["user"].verified


def test_corrupt_cache_entry_is_ignored_and_rewritten(pool, project, tmp_path):
    project.add_term("good", term("Good"))
    project.add_snippet("good", GOOD_SNIPPET, GOOD_OUTPUT)
    cache = Cache(tmp_path / "cache")
    verify_terms(_glossary(project), project.root, pool, cache)
    [entry] = list((tmp_path / "cache").rglob("*.json"))
    entry.write_text(entry.read_text()[:50])  # truncated
    again = verify_terms(_glossary(project), project.root, pool, cache)
    assert not again["good"].cached and again["good"].verified
    assert json.loads(entry.read_text())["value"]["status"] == "ran"  # the run is cached; the verdict is judged each time


def test_force_ignores_the_cache(pool, project, tmp_path):
    project.add_term("good", term("Good"))
    project.add_snippet("good", GOOD_SNIPPET, GOOD_OUTPUT)
    cache = Cache(tmp_path / "cache")
    verify_terms(_glossary(project), project.root, pool, cache)
    forced = verify_terms(_glossary(project), project.root, pool, cache, force=True)
    assert not forced["good"].cached


@pytest.mark.skipif(os.geteuid() != 0, reason="the repository is protected by dropping root; as a user it is not")
def test_snippet_cannot_write_into_the_repository(pool, project):
    target = project.root / "terms" / "evil.yml"
    reply = run(pool, project, f"open({str(target)!r}, 'w').write('x')\n")
    assert "Permission denied" in reply.demo_error.message
    assert not target.exists()


def test_a_timeout_is_not_cached(pool, project, tmp_path):
    """How long a run takes depends on the machine's load: the next build tries again."""
    project.add_snippet("slow", "import time\ntime.sleep(1e6)\n\ndef check_x():\n    pass\n", "")
    project.add_term("slow", {"term": "Slow", "summary": "s.", "definition": "a\n\nb", "verify": {"timeout": 1}})
    terms = _glossary(project)
    cache = Cache(tmp_path / "cache")
    first = verify_terms(terms, project.root, pool, cache)["slow"]
    again = verify_terms(terms, project.root, pool, cache)["slow"]
    assert first.failure is Failure.DID_NOT_RUN and "timed out" in first.reason
    assert not again.cached, "a timeout is run again, not taken from the cache"
