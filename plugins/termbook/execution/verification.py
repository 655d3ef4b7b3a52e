"""Run every term's snippet (or take its run from the cache) and decide whether it is verified.

A snippet is *verified* when it ran to the end, all of its ``check_*`` functions passed, and its
printed output matches the pinned output (``snippets/<module>.out``) numerically.

Two steps, kept apart:

* **running** — what was executed (the snippet, the snippets it imports, Python, NumPy, the
  limits, the runner's own code) is the cache key, and the :class:`~.protocol.RunReply` is the
  cached value;
* **judging** — :func:`judge` compares a reply with the pinned output under the term's
  tolerances. It is pure and cheap, so pinning a new output or changing a tolerance never runs the
  snippet again.

The verdict is a :class:`Verdict`, and why a snippet is not verified a :class:`Failure`: callers
decide on those, never on the wording of ``reason``.
"""

from __future__ import annotations

import enum
import hashlib
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..errors import Problem, Severity, relative
from ..model import Term
from ..project import Project, as_project
from .cache import Cache, make_key
from .deps import dependencies, source_reader
from .outputs import compare_output
from .pool import WorkerPool
from .protocol import CheckOutcome, Figure, Limits, RunReply, RunRequest, RunStatus

DEFAULT_LIMITS = Limits()


class Verdict(enum.StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    UNPINNED = "unpinned"  # everything passed, but there is no pinned output to compare with


class Failure(enum.StrEnum):
    """Why a snippet is not verified."""

    UNREADABLE = "unreadable"  # the snippet file cannot be read
    DID_NOT_RUN = "did-not-run"  # timeout, crash, output limit, runner failure
    DEMO_RAISED = "demo-raised"  # the demo (module body) raised
    CHECKS_FAILED = "checks-failed"
    NO_CHECKS = "no-checks"
    FIGURE_FAILED = "figure-failed"
    NOT_PINNED = "not-pinned"
    OUTPUT_DIFFERS = "output-differs"

    @property
    def pinnable(self) -> bool:
        """Would pinning the new output make the snippet verified? (``check --update``)"""
        return self in (Failure.NOT_PINNED, Failure.OUTPUT_DIFFERS)


@dataclass
class SnippetResult:
    """The verdict on one term's snippet, with what the run printed, checked and drew."""

    slug: str
    snippet: str  # path relative to the project root
    status: Verdict
    failure: Failure | None = None
    reason: str = ""  # one line: why it is not verified (for people)
    details: str = ""  # traceback or diff
    line: int | None = None  # line in the snippet the failure points at
    stdout: str = ""
    expected: str | None = None
    checks: list[CheckOutcome] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0
    max_rss_kb: int = 0
    numpy: str = ""
    python: str = ""
    cached: bool = False

    @property
    def verified(self) -> bool:
        return self.status is Verdict.VERIFIED

    @property
    def output_matches(self) -> bool:
        return self.expected is not None and compare_output(self.expected, self.stdout) is None

    def problem(self) -> Problem:
        """This result as a located warning (for the build log and ``termbook check``)."""
        hint = None
        if self.failure is Failure.NOT_PINNED:
            hint = "run `termbook check --update` to pin the output after reading it"
        elif self.failure is Failure.OUTPUT_DIFFERS:
            hint = "if the new output is right, pin it with `termbook check --update`"
        return Problem(
            self.snippet,
            f"{self.slug}: not verified: {self.reason}",
            line=self.line,
            expected="all checks pass and the output matches the pinned output",
            hint=hint,
            severity=Severity.WARNING,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = self.status.value
        data["failure"] = self.failure.value if self.failure else None
        return data


def expected_path(snippet: Path) -> Path:
    return snippet.with_suffix(".out")


def judge(slug: str, snippet: str, reply: RunReply, expected: str | None, rtol: float, atol: float) -> SnippetResult:
    """The verdict on one run: pure, and cheap enough to redo on every build."""
    result = SnippetResult(
        slug=slug,
        snippet=snippet,
        status=Verdict.FAILED,
        stdout=reply.stdout,
        expected=expected,
        checks=list(reply.checks),
        figures=list(reply.figures),
        seconds=reply.seconds,
        max_rss_kb=reply.max_rss_kb,
        numpy=reply.numpy,
        python=reply.python,
    )

    def fail(failure: Failure, reason: str, details: str = "", line: int | None = None) -> SnippetResult:
        result.failure, result.reason, result.details, result.line = failure, reason, details, line
        return result

    if reply.status is not RunStatus.RAN:
        return fail(Failure.DID_NOT_RUN, reply.reason or "the snippet did not run", reply.stderr[-4000:])
    if reply.demo_error:
        error = reply.demo_error
        return fail(Failure.DEMO_RAISED, f"running the snippet raised {error.type}: {error.message}", error.traceback, error.line)
    failed = [c for c in reply.checks if not c.ok]
    if failed:
        first = failed[0].error
        names = ", ".join(c.name for c in failed)
        what = f"{first.type}: {first.message}" if first else "failed"
        details = "\n".join(c.error.traceback for c in failed if c.error)
        return fail(
            Failure.CHECKS_FAILED,
            f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed ({names}): {what}",
            details,
            first.line if first else None,
        )
    if not reply.checks:
        return fail(Failure.NO_CHECKS, "the snippet defines no check_* functions")
    broken = [f for f in reply.figures if f.error]
    if broken:
        return fail(Failure.FIGURE_FAILED, f"a figure could not be drawn: {broken[0].error}")
    if expected is None:
        result.status = Verdict.UNPINNED
        return fail(Failure.NOT_PINNED, "its output is not pinned yet")
    mismatch = compare_output(expected, reply.stdout, rtol=rtol, atol=atol)
    if mismatch:
        return fail(
            Failure.OUTPUT_DIFFERS, f"output differs from the pinned output at line {mismatch.line}: {mismatch.reason}", mismatch.diff
        )
    result.status = Verdict.VERIFIED
    return result


def unreadable(slug: str, snippet: str, error: Exception) -> SnippetResult:
    return SnippetResult(slug, snippet, Verdict.FAILED, Failure.UNREADABLE, reason=f"cannot read the snippet: {error}")


@lru_cache(maxsize=1)
def runner_version() -> str:
    """Changes whenever the code that runs snippets changes (judging is not cached)."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("worker.py", "protocol.py", "pool.py"):
        digest.update((here / name).read_bytes())
    digest.update((here.parent / "checks.py").read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def numpy_version() -> str:
    try:
        return metadata.version("numpy")
    except metadata.PackageNotFoundError:
        return "missing"


def cache_key(source: str, dep_sources: list[tuple[str, str]], limits: Limits, package: str) -> str:
    """What was executed: not the pinned output, not the tolerances (those only judge the run)."""
    return make_key(
        {
            "runner": runner_version(),
            "python": sys.version,
            "numpy": numpy_version(),
            "snippet": source,
            "deps": dep_sources,
            "package": package,
            "limits": asdict(limits),
        }
    )


def verify_terms(
    terms: list[Term],
    project: Project | Path,
    pool: WorkerPool,
    cache: Cache,
    *,
    force: bool = False,
    base_limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[SnippetResult], None] | None = None,
) -> dict[str, SnippetResult]:
    """Verify every term that has a snippet. Returns results by slug, in the order of ``terms``.

    The project's snippets folder is the package snippets import from; its parent goes first on
    ``sys.path`` of every run.
    """
    project = as_project(project)
    root = project.root
    snippets_root = project.snippets_dir
    results: dict[str, SnippetResult] = {}
    todo: list[tuple[Term, str, str | None]] = []  # (term, key, expected)
    read = source_reader()

    def decide(term: Term, reply: RunReply, expected: str | None, cached: bool) -> None:
        assert term.snippet is not None
        result = judge(term.slug, relative(term.snippet, root), reply, expected, term.data.verify.rtol, term.data.verify.atol)
        result.cached = cached
        results[term.slug] = result
        if progress:
            progress(result)

    for term in terms:
        if term.snippet is None:
            continue
        snippet = term.snippet.resolve()
        try:
            source = read(snippet)
        except (OSError, UnicodeDecodeError) as exc:
            results[term.slug] = unreadable(term.slug, relative(snippet, root), exc)
            continue
        deps = dependencies(snippet, snippets_root, read=read)
        expected = _read_expected(snippet)
        key = cache_key(source, [(relative(d, root), read(d)) for d in deps], _limits(term, base_limits), snippets_root.name)
        hit = None if force else cache.get(key)
        reply = RunReply.from_json(hit) if hit is not None else None
        if reply is not None and reply.status.cacheable:
            decide(term, reply, expected, cached=True)
        else:
            todo.append((term, key, expected))

    requests = [RunRequest(str(t.snippet.resolve()), str(snippets_root.parent), _limits(t, base_limits)) for t, _, _ in todo if t.snippet]

    def done(index: int, reply: RunReply) -> None:
        term, key, expected = todo[index]
        if reply.status.cacheable:  # a property of the snippet, not an accident of the runner
            cache.put(key, reply.to_json())
        decide(term, reply, expected, cached=False)

    pool.run_many(requests, on_result=done)
    return {t.slug: results[t.slug] for t in terms if t.slug in results}


def _limits(term: Term, base: Limits) -> Limits:
    return Limits(
        timeout=term.data.verify.timeout,
        memory_mb=base.memory_mb,
        output_bytes=base.output_bytes,
        max_processes=base.max_processes,
    )


def _read_expected(snippet: Path) -> str | None:
    try:
        return expected_path(snippet).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
