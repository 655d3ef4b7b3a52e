"""Faulty and hostile snippets, verified next to a good one: each is contained and reported.

Every case is a real term and snippet in a project of its own, verified through
``verify_terms`` together with one good snippet in the same run (one worker, the faulty snippet
first, so the good one runs on whatever the fault left behind). For each: the verdict and its
reason, the good snippet still verified, and the project byte-for-byte unchanged. Per-term
timeouts are 2 s (``verify: {timeout: 2}``) to keep the suite fast.

Some containment comes from the runner dropping root to ``nobody`` (it cannot write into the
repository, and the process limit applies); those cases run only where the tests run as root and
the worker can drop to ``nobody``, as in CI.
"""

from __future__ import annotations

import functools
import hashlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from termbook.execution.cache import Cache
from termbook.execution.pool import WorkerPool
from termbook.execution.verification import Verdict, verify_terms
from termbook.loading import load_glossary

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, Project, term

VERIFIED, FAILED = Verdict.VERIFIED, Verdict.FAILED

TIMEOUT = 2


@functools.cache
def runs_as_nobody() -> bool:
    """True when snippets run as ``nobody``: the tests run as root and the kernel lets us drop it."""
    from termbook.execution.worker import _probe_drop_root

    return os.geteuid() == 0 and _probe_drop_root()


needs_nobody = pytest.mark.skipif(
    "not runs_as_nobody()",
    reason="needs root that can drop to nobody (as in CI): only then is the repository read-only "
    "to snippets and the process limit enforced; as a user a snippet has that user's rights",
)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root``: kind, mode and content hash (files) or target (links)."""
    entries = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            if path.is_symlink():
                entries[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                entries[rel] = ("dir", st.st_mode)
            else:
                entries[rel] = ("file", st.st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return entries


@dataclass(frozen=True)
class Fault:
    name: str
    source: str
    reason: str  # a fragment of the verdict's reason
    nobody: bool = False  # contained only because the snippet runs as nobody

    def __str__(self) -> str:
        return self.name


FAULTS = [
    Fault("infinite loop", "while True:\n    pass\n", f"timed out after {TIMEOUT} s (wall clock); the process was killed"),
    Fault("sleep", "import time\ntime.sleep(1e6)\n", f"timed out after {TIMEOUT} s (wall clock); the process was killed"),
    Fault(
        "allocate 50 GB",
        "import numpy as np\nx = np.ones(50 * 10**9 // 8)\n",
        "running the snippet raised MemoryError: memory limit exceeded: Unable to allocate 46.6 GiB",
    ),
    Fault("print 100 MB", "print('x' * 100_000_000)\n", "output limit exceeded: more than 1048576 bytes printed"),
    Fault(
        "print 100 MB in pieces",
        "for _ in range(100):\n    print('x' * 1_000_000)\n",
        "output limit exceeded: more than 1048576 bytes printed",
    ),
    Fault("sys.exit(3)", "import sys\nsys.exit(3)\n", "running the snippet raised SystemExit: the snippet called sys.exit(3)"),
    Fault(
        "os._exit(0) before the checks",
        "import os\nos._exit(0)\n\ndef check_never_reached():\n    pass\n",
        "the process exited with status 0 before reporting its checks (os._exit?)",
    ),
    Fault("segfault", "import ctypes\nctypes.string_at(0)\n", "the interpreter crashed (segmentation fault) (SIGSEGV)"),
    Fault(
        "read stdin",
        "import sys\nassert sys.stdin.read() == ''\ninput('never answered? ')\n",
        "running the snippet raised EOFError: EOF when reading a line",
    ),
    Fault(
        "write ../terms/ (relative to its working directory)",
        "import os\nos.makedirs('../terms', exist_ok=True)\nopen('../terms/evil.yml', 'w').write('term: Evil\\n')\n",
        "running the snippet raised PermissionError: [Errno 13] Permission denied: '../terms'",
        nobody=True,
    ),
    Fault(
        "write the project's terms/ (absolute path)",
        "import os\nterms = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'terms')\n"
        "open(os.path.join(os.path.abspath(terms), 'evil.yml'), 'w').write('term: Evil\\n')\n",
        "running the snippet raised PermissionError: [Errno 13] Permission denied: '{root}/terms/evil.yml'",
        nobody=True,
    ),
    Fault(
        "overwrite its own pinned output",
        "open(__file__[:-3] + '.out', 'w').write('')\n\ndef check_nothing():\n    pass\n",
        "running the snippet raised PermissionError: [Errno 13] Permission denied: '{root}/snippets/fault.out'",
        nobody=True,
    ),
    Fault(
        "delete a term file",
        "import os\nos.remove(os.path.join(os.path.dirname(__file__), '..', 'terms', 'good.yml'))\n",
        "running the snippet raised PermissionError: [Errno 13] Permission denied: '{root}/snippets/../terms/good.yml'",
        nobody=True,
    ),
]


def faulty_project(tmp_path: Path, source: str, timeout: float = TIMEOUT) -> Project:
    """A project with the faulty term (runs first: 'fault' < 'good') and a good one."""
    project = Project(tmp_path / "proj")
    project.add_term("fault", term("Fault", verify={"timeout": timeout}))
    project.add_snippet("fault", source, "")
    project.add_term("good", term("Good"))
    project.add_snippet("good", GOOD_SNIPPET, GOOD_OUTPUT)
    return project


def verify(project: Project, cache: Cache, force: bool = False) -> dict:
    terms, problems = load_glossary(project.root)
    assert problems == []
    with WorkerPool(project.root, jobs=1) as pool:  # one worker: the good snippet runs after the fault, on it
        return verify_terms(terms, project.root, pool, cache, force=force)


@pytest.mark.parametrize("fault", [pytest.param(f, marks=[needs_nobody] if f.nobody else []) for f in FAULTS], ids=str)
def test_fault_is_contained_and_reported(tmp_path, fault):
    project = faulty_project(tmp_path, fault.source)
    before = snapshot(project.root)
    results = verify(project, Cache(tmp_path / "cache"))
    assert results["good"].status == VERIFIED, results["good"].reason
    assert results["fault"].status == FAILED
    assert fault.reason.format(root=project.root.resolve()) in results["fault"].reason
    assert snapshot(project.root) == before


# --- processes the snippet starts -------------------------------------------------------------------


def holders(marker: Path) -> list[int]:
    """Processes that hold ``marker`` open: the snippet and everything it forked."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
            if any(os.readlink(fd) == str(marker) for fd in fds):
                pids.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return pids


def wait_for_no_holders(marker: Path, seconds: float = 10.0) -> list[int]:
    """Poll until nothing holds ``marker`` (SIGKILL is asynchronous); generous, only catches leaks."""
    deadline = time.monotonic() + seconds
    while (left := holders(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture
def marker(tmp_path):
    """A file the snippet keeps open, so that every process it started can be found in /proc."""
    path = tmp_path / f"marker-{uuid.uuid4().hex}"
    path.write_text("")
    yield path
    for pid in holders(path):  # a leaked process of this test only, found by its open marker
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@needs_nobody
def test_fork_in_a_loop_is_bounded_and_every_process_ends(tmp_path, marker):
    # every child sleeps, holding its process slot: only the process limit can end the loop
    # (children that fork on would make a chain reaction whose length depends on the scheduler)
    source = (
        f"import os, time\nkeep = open({str(marker)!r})\nwhile True:\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\n"
    )
    project = faulty_project(tmp_path, source, timeout=30)  # forking 256 processes takes < 1 s, even loaded
    before = snapshot(project.root)
    results = verify(project, Cache(tmp_path / "cache"))
    assert results["good"].status == VERIFIED
    assert results["fault"].status == FAILED
    # the process limit stops the loop: fork() fails with EAGAIN instead of filling the machine
    assert results["fault"].reason == "running the snippet raised BlockingIOError: [Errno 11] Resource temporarily unavailable"
    assert wait_for_no_holders(marker) == []  # and the sleeping children went with the snippet
    assert snapshot(project.root) == before


@needs_nobody
def test_a_child_that_leaves_the_process_group_does_not_outlive_the_run(tmp_path, marker):
    source = f"""
import os, time

keep = open({str(marker)!r})
ready, told = os.pipe()
if os.fork() == 0:
    os.setsid()  # a session, and so a process group, of its own
    os.write(told, b"x")
    time.sleep(60)
    os._exit(0)
assert os.read(ready, 1) == b"x"  # the child has left the group


def check_the_child_started():
    pass
"""
    project = faulty_project(tmp_path, source)
    results = verify(project, Cache(tmp_path / "cache"))
    assert results["good"].status == VERIFIED
    assert results["fault"].status == VERIFIED, results["fault"].reason  # the escape did happen
    assert wait_for_no_holders(marker, seconds=2) == []


# --- a check that passes only on the first run ---------------------------------------------------------


def test_a_check_that_passes_only_once_fails_visibly_on_a_forced_run(tmp_path):
    # the state lives outside the snippet's (fresh, temporary) working directory, where it survives
    state = Path("/tmp") / f"termbook-first-run-{uuid.uuid4().hex}"
    source = f"""
import os

STATE = {str(state)!r}


def check_passes_only_once():
    assert not os.path.exists(STATE), "ran before: " + STATE + " exists"
    open(STATE, "w").close()
"""
    project = faulty_project(tmp_path, source)
    cache = Cache(tmp_path / "cache")
    before = snapshot(project.root)
    try:
        first = verify(project, cache)
        assert first["fault"].status == VERIFIED and not first["fault"].cached
        # an unchanged snippet is not run again: the cache answers, with the first verdict
        again = verify(project, cache)
        assert again["fault"].status == VERIFIED and again["fault"].cached
        # a forced run runs it: the hidden state makes it fail, and the failure is reported...
        forced = verify(project, cache, force=True)
        assert forced["fault"].status == FAILED and not forced["fault"].cached
        assert forced["fault"].reason == (f"1 check failed (check_passes_only_once): AssertionError: ran before: {state} exists")
        assert forced["good"].status == VERIFIED
        # ...and it replaces the cached success: the next plain run does not go back to "verified"
        after = verify(project, cache)
        assert after["fault"].status == FAILED and after["fault"].cached
    finally:
        state.unlink(missing_ok=True)
    assert snapshot(project.root) == before
