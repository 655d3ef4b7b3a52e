"""The typed messages between the pool and a warm worker, one JSON line each way.

A :class:`RunRequest` asks a worker to run one snippet under :class:`Limits`; the worker answers
with what happened as a :class:`RunReply`: how the run ended (:class:`RunStatus`), what it
printed, each check's outcome (:class:`CheckOutcome`), the figures it drew and where it failed
(:class:`ErrorInfo`). The worker builds its reply as plain JSON (it imports nothing else of
termbook); :meth:`RunReply.from_json` is the one place that reads it, and a reply of the wrong
shape becomes a :attr:`RunStatus.ERROR` reply, never an exception.

This module imports only the standard library: the worker process imports it too.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

PROTOCOL = 3  # bump when a field changes meaning


class RunStatus(enum.StrEnum):
    """How a run ended, as the worker (or the pool) saw it."""

    RAN = "ran"  # the snippet ran; its checks and demo may still have failed
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # killed by a signal, or exited before reporting
    LIMIT = "limit"  # output limit exceeded
    WORKER_DIED = "worker-died"  # the warm worker itself died: a runner failure
    ERROR = "error"  # the runner failed (or the reply was malformed)

    @property
    def cacheable(self) -> bool:
        """A property of the snippet (worth remembering), not an accident of the runner.

        A timeout is not remembered: how long a run takes depends on how busy the machine is, and
        a snippet that timed out on a loaded machine must get its next chance.
        """
        return self in (RunStatus.RAN, RunStatus.CRASHED, RunStatus.LIMIT)


@dataclass(frozen=True)
class Limits:
    """What one snippet run may use."""

    timeout: float = 10.0  # seconds of wall-clock time
    memory_mb: int = 2048  # address space
    output_bytes: int = 1024 * 1024  # printed output kept (and allowed)
    max_processes: int = 256  # per user; enforced because the child never runs as root


@dataclass(frozen=True)
class EquivalentSpec:
    """Run a library's code on the snippet's cases and compare it with the snippet's reference."""

    module: str  # import name of the snippet, e.g. "snippets.batch_normalization"
    code: str
    reference: str
    inputs: str
    outputs: tuple[str, ...]
    rtol: float
    atol: float
    library: str  # the module the code imports (its version is reported)


@dataclass(frozen=True)
class RunRequest:
    path: str  # absolute path of the snippet
    root: str  # the directory put first on sys.path (the snippets package's parent)
    limits: Limits = Limits()
    id: int = 0
    equivalent: EquivalentSpec | None = None  # None: run the snippet itself

    def to_json(self) -> dict[str, Any]:
        data = {"protocol": PROTOCOL, "id": self.id, "path": self.path, "root": self.root, **asdict(self.limits)}
        if self.equivalent is not None:
            data["equivalent"] = asdict(self.equivalent)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRequest:
        limits = Limits(**{k: data[k] for k in Limits.__dataclass_fields__ if k in data})
        spec = data.get("equivalent")
        equivalent = EquivalentSpec(**{**spec, "outputs": tuple(spec["outputs"])}) if isinstance(spec, dict) else None
        return cls(path=str(data["path"]), root=str(data["root"]), limits=limits, id=int(data.get("id", 0)), equivalent=equivalent)


@dataclass(frozen=True)
class ErrorInfo:
    """An exception raised by the snippet, its traceback trimmed to the snippet's own frames."""

    type: str
    message: str
    line: int | None = None
    traceback: str = ""

    @classmethod
    def from_json(cls, data: Any) -> ErrorInfo | None:
        if not isinstance(data, dict):
            return None
        line = data.get("line")
        return cls(
            type=str(data.get("type", "Exception")),
            message=str(data.get("message", "")),
            line=line if isinstance(line, int) else None,
            traceback=str(data.get("traceback", "")),
        )


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    ok: bool
    seconds: float = 0.0
    error: ErrorInfo | None = None


@dataclass(frozen=True)
class Figure:
    """A figure the demo left open, as SVG, with its label as alt text."""

    alt: str
    svg: str
    error: str | None = None  # why it could not be drawn


@dataclass(frozen=True)
class Comparison:
    """One output of one case: the library's value against the snippet's."""

    case: int  # 0-based
    output: str
    ok: bool
    shape: tuple[int, ...] | None  # the library's (None: not an array of numbers)
    expected_shape: tuple[int, ...] | None  # the snippet's
    max_abs: float = 0.0  # largest |library - snippet|
    max_rel: float = 0.0  # max |library - snippet| / max |snippet| (norm-wise relative error)
    index: tuple[int, ...] = ()  # where the worst element is (the largest excess over the tolerance when not ok)
    got: float | None = None  # the library's value there
    expected: float | None = None  # the snippet's value there
    note: str = ""  # why it cannot be compared (shape, type, NaN pattern)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Comparison:
        def shape(value: Any) -> tuple[int, ...] | None:
            return None if value is None else tuple(int(n) for n in value)

        def number(value: Any) -> float | None:
            return None if value is None else float(value)

        return cls(
            case=int(data["case"]),
            output=str(data["output"]),
            ok=data["ok"] if isinstance(data["ok"], bool) else _bad("ok"),
            shape=shape(data.get("shape")),
            expected_shape=shape(data.get("expected_shape")),
            max_abs=float(data.get("max_abs", 0.0)),
            max_rel=float(data.get("max_rel", 0.0)),
            index=tuple(int(i) for i in data.get("index") or ()),
            got=number(data.get("got")),
            expected=number(data.get("expected")),
            note=str(data.get("note", "")),
        )


@dataclass(frozen=True)
class EquivalenceRun:
    """What running an equivalent on every case gave."""

    library_version: str
    cases: tuple[str, ...]  # one line per case: its inputs' shapes and values
    comparisons: tuple[Comparison, ...]
    error: ErrorInfo | None = None  # what raised, if anything did
    failed_in: str = ""  # "inputs", "reference" or "code": whose error it is
    case: int | None = None  # the case that raised

    @classmethod
    def from_json(cls, data: Any) -> EquivalenceRun | None:
        if not isinstance(data, dict):
            return None
        return cls(
            library_version=str(data.get("library_version", "")),
            cases=tuple(str(c) for c in data.get("cases") or ()),
            comparisons=tuple(Comparison.from_json(c) for c in data.get("comparisons") or ()),
            error=ErrorInfo.from_json(data.get("error")),
            failed_in=str(data.get("failed_in", "")),
            case=data.get("case") if isinstance(data.get("case"), int) else None,
        )


@dataclass(frozen=True)
class RunReply:
    """What one run did. Only :meth:`from_json` reads the worker's JSON."""

    status: RunStatus
    reason: str = ""  # one line, for a status other than RAN
    id: int = 0
    stdout: str = ""
    stdout_truncated: bool = False
    stderr: str = ""
    seconds: float = 0.0
    max_rss_kb: int = 0
    checks: tuple[CheckOutcome, ...] = ()
    figures: tuple[Figure, ...] = ()
    demo_error: ErrorInfo | None = None
    numpy: str = ""
    python: str = ""
    equivalence: EquivalenceRun | None = None  # for a request with an equivalent
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> RunReply:
        """A reply from the worker's JSON (or a cached one); malformed data gives an ERROR reply."""
        try:
            status = RunStatus(data["status"])
            checks = tuple(
                CheckOutcome(
                    name=str(c["name"]),
                    ok=bool(c["ok"]) if isinstance(c["ok"], bool) else _bad("ok"),
                    seconds=float(c.get("seconds", 0.0)),
                    error=ErrorInfo.from_json(c.get("error")),
                )
                for c in data.get("checks") or ()
            )
            figures = tuple(
                Figure(alt=str(f.get("alt", "")), svg=f["svg"] if isinstance(f["svg"], str) else _bad("svg"), error=f.get("error"))
                for f in data.get("figures") or ()
            )
            return cls(
                status=status,
                reason=str(data.get("reason", "")),
                id=int(data.get("id") or 0),
                stdout=data.get("stdout", "") if isinstance(data.get("stdout", ""), str) else _bad("stdout"),
                stdout_truncated=bool(data.get("stdout_truncated", False)),
                stderr=str(data.get("stderr", "")),
                seconds=float(data.get("seconds", 0.0)),
                max_rss_kb=int(data.get("max_rss_kb") or 0),
                checks=checks,
                figures=figures,
                demo_error=ErrorInfo.from_json(data.get("demo_error")),
                numpy=str(data.get("numpy", "")),
                python=str(data.get("python", "")),
                equivalence=EquivalenceRun.from_json(data.get("equivalence")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return cls(status=RunStatus.ERROR, reason=f"runner failure: malformed reply ({type(exc).__name__}: {exc})")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra", None)
        data["status"] = self.status.value
        return data


def _bad(name: str) -> Any:
    raise TypeError(f"field {name!r} has the wrong type")
