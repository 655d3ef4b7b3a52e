"""Run every term's snippet (or take it from the cache) and decide whether it is verified.

A snippet is *verified* when it ran to the end, all of its ``check_*`` functions passed, and its
printed output matches the pinned output (``snippets/<module>.out``) numerically.

``judge(term_slug, snippet, raw, expected, rtol, atol) -> SnippetResult`` is pure;
``verify_terms(...)`` does the I/O: hashing sources, the cache, the worker pool.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from .cache import Cache, make_key
from .deps import dependencies
from .errors import Problem, relative
from .model import Term
from .outputs import compare_output
from .runner import Limits, RunRequest, WorkerPool

VERIFIED = "verified"
FAILED = "failed"
UNPINNED = "unpinned"


@dataclass
class SnippetResult:
    slug: str
    snippet: str  # path relative to the project root
    status: str  # verified | failed | unpinned
    reason: str = ""  # one line: why it is not verified
    details: str = ""  # traceback or diff
    line: int | None = None  # line in the snippet the failure points at
    stdout: str = ""
    expected: str | None = None
    checks: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)  # {"alt", "svg"} per figure the demo drew
    seconds: float = 0.0
    max_rss_kb: int = 0
    numpy: str = ""
    python: str = ""
    cached: bool = False

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    @property
    def output_matches(self) -> bool:
        return self.expected is not None and compare_output(self.expected, self.stdout) is None

    def problem(self, term: Term | None = None, root: Path | None = None) -> Problem:
        """This result as a located warning (for the build log and ``termbook check``)."""
        hint = None
        if self.status == UNPINNED:
            hint = "run `termbook check --update` to pin the output after reading it"
        elif "output differs" in self.reason:
            hint = "if the new output is right, pin it with `termbook check --update`"
        return Problem(
            self.snippet,
            f"{self.slug}: not verified: {self.reason}",
            line=self.line,
            expected="all checks pass and the output matches the pinned output",
            hint=hint,
            severity="warning",
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SnippetResult | None:
        """Rebuild a cached result; None when the data is not a well-formed result."""
        try:
            known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            result = cls(**known)
        except TypeError:
            return None
        shapes_ok = (
            result.status in (VERIFIED, FAILED, UNPINNED)
            and all(isinstance(getattr(result, f), str) for f in ("slug", "snippet", "reason", "details", "stdout", "numpy"))
            and isinstance(result.checks, list)
            and all(isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("ok"), bool) for c in result.checks)
            and isinstance(result.figures, list)
            and all(isinstance(f, dict) and isinstance(f.get("svg"), str) for f in result.figures)
            and isinstance(result.seconds, (int, float))
            and (result.expected is None or isinstance(result.expected, str))
        )
        if not shapes_ok or (result.status == VERIFIED and not result.checks):
            return None
        return result


def expected_path(snippet: Path) -> Path:
    return snippet.with_suffix(".out")


def judge(slug: str, snippet: str, raw: dict, expected: str | None, rtol: float, atol: float) -> SnippetResult:
    """Decide the verdict for one run reply from the worker."""
    result = SnippetResult(
        slug=slug,
        snippet=snippet,
        status=FAILED,
        stdout=raw.get("stdout", ""),
        expected=expected,
        checks=raw.get("checks", []),
        figures=raw.get("figures", []),
        seconds=float(raw.get("seconds", 0.0)),
        max_rss_kb=int(raw.get("max_rss_kb", 0) or 0),
        numpy=raw.get("numpy", ""),
        python=raw.get("python", ""),
    )
    if raw.get("status") != "ran":
        result.reason = raw.get("reason", "the snippet did not run")
        result.details = raw.get("stderr", "")[-4000:]
        return result
    demo_error = raw.get("demo_error")
    if demo_error:
        result.reason = f"running the snippet raised {demo_error['type']}: {demo_error['message']}"
        result.details = demo_error.get("traceback", "")
        result.line = demo_error.get("line")
        return result
    failed = [c for c in result.checks if not c.get("ok")]
    if failed:
        first = failed[0]["error"]
        names = ", ".join(c["name"] for c in failed)
        result.reason = f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed ({names}): {first['type']}: {first['message']}"
        result.details = "\n".join(c["error"].get("traceback", "") for c in failed)
        result.line = first.get("line")
        return result
    if not result.checks:
        result.reason = "the snippet defines no check_* functions"
        return result
    broken = [f for f in result.figures if f.get("error")]
    if broken:
        result.reason = f"a figure could not be drawn: {broken[0]['error']}"
        return result
    if expected is None:
        result.status = UNPINNED
        result.reason = "its output is not pinned yet"
        return result
    mismatch = compare_output(expected, result.stdout, rtol=rtol, atol=atol)
    if mismatch:
        result.reason = f"output differs from the pinned output at line {mismatch.line}: {mismatch.reason}"
        result.details = mismatch.diff
        return result
    result.status = VERIFIED
    return result


@lru_cache(maxsize=1)
def runner_version() -> str:
    """Changes whenever the code that runs or judges snippets changes."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("worker.py", "checks.py", "outputs.py", "verification.py", "runner.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def numpy_version() -> str:
    try:
        return metadata.version("numpy")
    except metadata.PackageNotFoundError:
        return "missing"


def cache_key(term: Term, source: str, dep_sources: list[tuple[str, str]], expected: str | None, limits: Limits) -> str:
    return make_key(
        {
            "runner": runner_version(),
            "python": sys.version,
            "numpy": numpy_version(),
            "snippet": source,
            "deps": dep_sources,
            "expected": expected,
            "rtol": term.data.verify.rtol,
            "atol": term.data.verify.atol,
            "limits": asdict(limits),
        }
    )


def verify_terms(
    terms: list[Term],
    root: Path,
    pool: WorkerPool,
    cache: Cache,
    *,
    snippets_dir: str = "snippets",
    force: bool = False,
    base_limits: Limits = Limits(),
    progress: Callable[[SnippetResult], None] | None = None,
) -> dict[str, SnippetResult]:
    """Verify every term that has a snippet. Returns results by slug, in the order of ``terms``."""
    root = Path(root).resolve()
    snippets_root = root / snippets_dir
    results: dict[str, SnippetResult] = {}
    todo: list[tuple[Term, str, str | None]] = []  # (term, key, expected)
    sources: dict[Path, str] = {}

    def read(path: Path) -> str:
        if path not in sources:
            sources[path] = path.read_text(encoding="utf-8")
        return sources[path]

    for term in terms:
        if term.snippet is None:
            continue
        snippet = term.snippet.resolve()
        rel = relative(snippet, root)
        try:
            source = read(snippet)
        except (OSError, UnicodeDecodeError) as exc:
            results[term.slug] = SnippetResult(term.slug, rel, FAILED, reason=f"cannot read the snippet: {exc}")
            continue
        deps = dependencies(snippet, snippets_root, read=read)
        expected = _read_expected(snippet)
        limits = _limits(term, base_limits)
        key = cache_key(term, source, [(relative(d, root), read(d)) for d in deps], expected, limits)
        hit = None if force else cache.get(key)
        result = SnippetResult.from_dict(hit) if hit is not None else None
        if result is not None:
            result.cached = True
            results[term.slug] = result
            if progress:
                progress(result)
        else:
            todo.append((term, key, expected))

    requests = [RunRequest(t.snippet.resolve(), _limits(t, base_limits)) for t, _, _ in todo]

    def done(index: int, raw: dict) -> None:
        term, key, expected = todo[index]
        result = judge(term.slug, relative(term.snippet, root), raw, expected, term.data.verify.rtol, term.data.verify.atol)
        if raw.get("status") in ("ran", "timeout", "crashed", "limit"):  # not a runner failure: worth keeping
            cache.put(key, result.to_dict())
        results[term.slug] = result
        if progress:
            progress(result)

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
