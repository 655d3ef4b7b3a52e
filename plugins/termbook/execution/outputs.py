"""Compare a snippet's printed output with its pinned output, numerically.

Numbers (also inside NumPy array reprs) must agree within ``rtol``/``atol``; everything else must
agree as text, with runs of whitespace treated as one space (NumPy re-pads arrays when a number's
width changes). NumPy 2 scalar reprs (``np.float64(0.5)``) compare equal to their values (``0.5``).

``compare_output(expected, actual, rtol, atol) -> Mismatch | None`` is pure.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

_NUMBER = re.compile(
    r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])|[-+]?\b(?:inf|nan)\b",
)
_NP_SCALAR = re.compile(r"\bnp\.(?:float|int|uint|complex|longdouble|clongdouble)\d*\(([^()]*)\)")
_NP_BOOL = re.compile(r"\bnp\.(True|False)_")
_NP_STR = re.compile(r"\bnp\.(?:str_|bytes_)\(([^()]*)\)")
_SPACES = re.compile(r"[ \t]+")
_BRACKET_SPACE = re.compile(r"(?<=[\[(])\s+|\s+(?=[\])])")


@dataclass(frozen=True)
class Mismatch:
    """Why two outputs differ: the first differing place, and a unified diff of the lines."""

    line: int
    reason: str
    diff: str

    def format(self) -> str:
        return f"output differs at line {self.line}: {self.reason}\n{self.diff}"


def normalize_line(line: str) -> str:
    """The comparison form of one line (used for text, not for numbers)."""
    line = _NP_SCALAR.sub(r"\1", line)
    line = _NP_BOOL.sub(r"\1", line)
    line = _NP_STR.sub(r"\1", line)
    line = _SPACES.sub(" ", line.strip())
    return _BRACKET_SPACE.sub("", line)


def tokens(line: str) -> list[str | float]:
    """Split a normalised line into text pieces and numbers."""
    out: list[str | float] = []
    pos = 0
    for match in _NUMBER.finditer(line):
        if match.start() > pos:
            out.append(line[pos : match.start()])
        out.append(float(match.group()))
        pos = match.end()
    if pos < len(line):
        out.append(line[pos:])
    return [t.strip() if isinstance(t, str) else t for t in out if not (isinstance(t, str) and not t.strip())]


def compare_output(expected: str, actual: str, rtol: float = 1e-5, atol: float = 1e-8) -> Mismatch | None:
    """None when ``actual`` matches ``expected``; otherwise the first mismatch and a diff."""
    exp_lines = _lines(expected)
    act_lines = _lines(actual)
    for i in range(max(len(exp_lines), len(act_lines))):
        if i >= len(exp_lines):
            return _mismatch(i, "unexpected extra output", expected, actual)
        if i >= len(act_lines):
            return _mismatch(i, "output ends early", expected, actual)
        reason = _compare_line(exp_lines[i], act_lines[i], rtol, atol)
        if reason:
            return _mismatch(i, reason, expected, actual)
    return None


def _lines(text: str) -> list[str]:
    lines = [normalize_line(line) for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _compare_line(exp: str, act: str, rtol: float, atol: float) -> str | None:
    if exp == act:
        return None
    a, b = tokens(exp), tokens(act)
    if len(a) != len(b):
        return f"expected {exp!r}, got {act!r}"
    for x, y in zip(a, b):
        if isinstance(x, float) and isinstance(y, float):
            if not _close(x, y, rtol, atol):
                return f"number {_fmt(y)} differs from pinned {_fmt(x)} by more than rtol={rtol:g}, atol={atol:g}"
        elif x != y:
            return f"expected {exp!r}, got {act!r}"
    return None


def _close(x: float, y: float, rtol: float, atol: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= atol + rtol * abs(x)


def _fmt(x: float) -> str:
    return repr(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def _mismatch(index: int, reason: str, expected: str, actual: str) -> Mismatch:
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "pinned output", "this run", lineterm="", n=2))
    return Mismatch(index + 1, reason, diff)
