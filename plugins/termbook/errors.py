"""The one error type of termbook: a problem with a place.

Pure functions return lists of :class:`Problem`; the callers (CLI, MkDocs plugin, pytest plugin)
decide how to show them. :class:`TermbookError` carries problems across a boundary that cannot
return them.
"""

from __future__ import annotations

import difflib
import enum
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.StrEnum):
    ERROR = "error"  # the build cannot publish this
    WARNING = "warning"  # published, but `--strict` stops
    SUGGESTION = "suggestion"  # a hint about the glossary's links; never fails anything


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
    severity: Severity = Severity.ERROR

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def format(self) -> str:
        """Render as ``file:line:col: field: message`` plus indented expected/hint lines.

        Control characters that came from a term file (a key written as ``"\\e[2J"``, say) are
        shown escaped, so a report never drives the terminal it is printed on.
        """
        head = f"{self.location()}: "
        if self.field:
            head += f"{self.field}: "
        lines = [head + self.message]
        if self.expected:
            lines.append(f"    expected: {self.expected}")
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return printable("\n".join(lines))

    def __str__(self) -> str:
        return self.format()


@dataclass
class TermbookError(Exception):
    """Raised where problems cannot be returned; ``str()`` is the full report."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return format_report(self.problems)


# C0 and C1 controls but newline and tab; DEL; the bidirectional overrides ("trojan source");
# lone surrogates (a file name that is not UTF-8), which could not even be printed
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with terminal control characters escaped (``\\x1b``); newlines and tabs kept."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def format_report(problems: Iterable[Problem]) -> str:
    problems = list(problems)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = sum(p.severity is Severity.WARNING for p in problems)
    body = "\n".join(p.format() for p in problems)
    counts = []
    if errors:
        counts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        counts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{body}\n{', '.join(counts) or 'no problems'}" if body else "no problems"


def dotted(path: tuple) -> str:
    """A place in a term file as a reader writes it: ``("faq", 0, "a")`` → ``faq[0].a``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A ``did you mean 'x'?`` hint, or None when nothing is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it, as a POSIX string for messages.

    Tried as written first, then with symbolic links resolved: a term file that is a (broken,
    looping or outward) symbolic link is still named by its place in the project. Never raises.
    """
    for normalise in (lambda p: Path(os.path.abspath(p)), lambda p: Path(p).resolve()):
        try:
            return normalise(path).relative_to(normalise(root)).as_posix()
        except (ValueError, OSError, RuntimeError):  # outside root; a symlink loop (RuntimeError before 3.13)
            continue
    return str(path)
