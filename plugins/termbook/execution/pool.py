"""A pool of warm workers (see :mod:`.worker`) that runs snippets in parallel.

``WorkerPool(root).run_many(requests)`` starts one worker per core on first use (each imports
NumPy once), hands each :class:`~.protocol.RunRequest` to an idle worker and returns the typed
:class:`~.protocol.RunReply` of each, in order. A worker that dies is replaced and its request
reported as :attr:`~.protocol.RunStatus.WORKER_DIED`; the other requests still run.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from .protocol import Limits, RunReply, RunRequest, RunStatus

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent.parent)

__all__ = ["Limits", "RunReply", "RunRequest", "RunStatus", "WorkerPool"]


def worker_env(root: Path, warm: tuple[str, ...] = ()) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="0",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join(p for p in (PACKAGE_PARENT, str(root), env.get("PYTHONPATH", "")) if p),
        TERMBOOK_WARM=",".join(warm),  # libraries imported once, before forking (equivalents)
    )
    env.pop("PYTHONSTARTUP", None)
    return env


class _Worker:
    def __init__(self, root: Path, python: str, warm: tuple[str, ...] = ()):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [python, "-m", "termbook.execution.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=tempfile.gettempdir(),
            env=worker_env(root, warm),
            text=True,
            encoding="utf-8",
            start_new_session=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both are pipes
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def ask(self, message: dict) -> object | None:
        """The worker's JSON answer, or None when it died (or answered with something not JSON)."""
        try:
            self.stdin.write(json.dumps(message) + "\n")
            self.stdin.flush()
            line = self.stdout.readline()
        except (BrokenPipeError, OSError):
            return None
        try:
            return json.loads(line) if line else None
        except ValueError:
            return None

    def stderr_tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:].decode("utf-8", "replace")

    def close(self) -> None:
        try:
            self.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stdout.close()
        self.log.close()


class WorkerPool:
    """Warm workers, started lazily; use as a context manager or call :meth:`close`."""

    def __init__(self, root: Path, jobs: int | None = None, python: str = sys.executable, warm: tuple[str, ...] = ()):
        self.root = Path(root).resolve()
        self.warm = warm  # modules each worker imports before its first fork (see worker.WARM_MODULES)
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.python = python
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._started = 0
        self._ids = 0

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, request: RunRequest) -> RunReply:
        worker = self._acquire()
        with self._lock:
            self._ids += 1
            ident = self._ids
        reply = worker.ask(replace(request, id=ident).to_json())
        if reply is None:  # the worker itself died; replace it
            detail = worker.stderr_tail()
            self._replace(worker)
            reason = "the snippet worker died" + (f": {detail.strip().splitlines()[-1]}" if detail.strip() else "")
            return RunReply(status=RunStatus.WORKER_DIED, reason=reason, id=ident, stderr=detail)
        self._idle.put(worker)
        return RunReply.from_json(reply)

    def run_many(self, requests: Iterable[RunRequest], on_result: Callable[[int, RunReply], None] | None = None) -> list[RunReply]:
        requests = list(requests)
        if not requests:
            return []
        results: list[RunReply | None] = [None] * len(requests)

        def one(index: int) -> None:
            reply = results[index] = self.run(requests[index])
            if on_result:
                on_result(index, reply)

        with ThreadPoolExecutor(max_workers=min(self.jobs, len(requests))) as ex:
            list(ex.map(one, range(len(requests))))
        return results  # type: ignore[return-value]

    def _acquire(self) -> _Worker:
        with self._lock:
            if self._idle.empty() and self._started < self.jobs:
                self._started += 1
                worker = _Worker(self.root, self.python, self.warm)
                self._all.append(worker)
                return worker
        return self._idle.get()

    def _replace(self, dead: _Worker) -> None:
        dead.close()
        fresh = _Worker(self.root, self.python, self.warm)
        with self._lock:
            self._all.remove(dead)
            self._all.append(fresh)
        self._idle.put(fresh)

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.close()
