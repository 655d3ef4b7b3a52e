"""The one error type of termbook: a problem with a place.

Pure functions return lists of :class:`Problem`; the callers (CLI, MkDocs plugin, pytest plugin)
decide how to show them. :class:`TermbookError` carries problems across a boundary that cannot
return them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """Something wrong in a term file or snippet, located as precisely as we know."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None
    expected: str | None = None
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def format(self) -> str:
        """Render as ``file:line:col: field: message`` plus indented expected/hint lines."""
        head = f"{self.location()}: "
        if self.field:
            head += f"{self.field}: "
        lines = [head + self.message]
        if self.expected:
            lines.append(f"    expected: {self.expected}")
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


@dataclass
class TermbookError(Exception):
    """Raised where problems cannot be returned; ``str()`` is the full report."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return format_report(self.problems)


def format_report(problems: Iterable[Problem]) -> str:
    problems = list(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    body = "\n".join(p.format() for p in problems)
    counts = []
    if errors:
        counts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        counts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{body}\n{', '.join(counts) or 'no problems'}" if body else "no problems"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A ``did you mean 'x'?`` hint, or None when nothing is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it, as a POSIX string for messages."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
