"""The glossary's shared notation: one file of symbols, a page listing them, the symbols of each term.

``notation.yml`` (the project's ``notation_file``) is a list of ``{symbol, meaning}``, the symbol
written in LaTeX (``\\eta``). :func:`load_notation` reads it and returns its problems;
:func:`symbols_of` finds the LaTeX commands a term's formulas use; :func:`notation_usage` says
which terms use each defined symbol and suggests (never fails on) Greek letters and operators a
term uses that the file does not define. Consistent symbols across the glossary matter more than a
clever checker: the suggestions are hints for the author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import Problem, Severity, relative
from .model import Term, slugify
from .safety import VERBATIM

# symbols worth a notation entry: Greek letters and the operators a formula's meaning hangs on
CHECKED = re.compile(
    r"\\(?:(?:var)?(?:alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa|lambda|mu|nu|xi|pi|rho|sigma|tau|upsilon|phi|chi|psi|omega)"
    r"|Gamma|Delta|Theta|Lambda|Xi|Pi|Sigma|Phi|Psi|Omega|nabla|odot|otimes|mathbb\{[A-Z]\}|mathcal\{[A-Z]\})(?![A-Za-z])"
)


@dataclass(frozen=True)
class Symbol:
    tex: str  # as written in formulas, e.g. "\\eta"
    meaning: str

    @property
    def anchor(self) -> str:
        return "sym-" + (slugify(self.tex.replace("\\", " ")) or "symbol")

    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.tex) + (r"(?![A-Za-z])" if self.tex[-1:].isalpha() else ""))


def load_notation(path: Path, root: Path) -> tuple[list[Symbol], list[Problem]]:
    """The symbols of the notation file; none (and no problem) when there is no file."""
    if not path.is_file():
        return [], []
    file = relative(path, root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [
            Problem(
                file, f"cannot be read as YAML: {getattr(exc, 'problem', exc)}", line=mark.line + 1 if mark else None, hint="fix the YAML"
            )
        ]
    if not isinstance(data, list):
        return [], [
            Problem(file, "is not a list", line=1, expected="a list of {symbol, meaning}", hint="start each entry with '- symbol:'")
        ]
    symbols: list[Symbol] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        if not (isinstance(item, dict) and isinstance(item.get("symbol"), str) and isinstance(item.get("meaning"), str)):
            problems.append(
                Problem(
                    file,
                    f"entry {i + 1} is not a symbol with a meaning",
                    field=f"[{i}]",
                    expected="symbol: <LaTeX>, meaning: <text>",
                    hint="see the other entries",
                )
            )
            continue
        tex = item["symbol"].strip()
        if tex in seen:
            problems.append(
                Problem(file, f"'{tex}' is defined twice", field=f"[{i}].symbol", expected="each symbol once", hint="merge the meanings")
            )
            continue
        seen.add(tex)
        symbols.append(Symbol(tex, " ".join(item["meaning"].split())))
    return symbols, problems


def formulas_of(term: Term) -> list[str]:
    """The LaTeX of every formula in the term's Markdown fields."""
    d = term.data
    texts = [
        d.definition,
        d.how_it_works,
        d.example,
        d.why_it_matters,
        *(f.a for f in d.faq),
        *(p.spot for p in d.pitfalls),
        *(p.fix or "" for p in d.pitfalls),
    ]
    out: list[str] = []
    for text in texts:
        for match in VERBATIM.finditer(text or ""):
            if match.group(0).startswith("$"):
                out.append(match.group(0).strip("$"))
    return out


def notation_usage(terms: list[Term], symbols: list[Symbol], root: Path, notation_file: str) -> tuple[dict[str, list[str]], list[Problem]]:
    """Slugs of the terms using each symbol; suggestions for checked symbols the file lacks."""
    defined = {s.tex for s in symbols}
    patterns = [(s.tex, s.pattern()) for s in symbols]
    usage: dict[str, list[str]] = {s.tex: [] for s in symbols}
    problems: list[Problem] = []
    for term in terms:
        math = "\n".join(formulas_of(term))
        if not math:
            continue
        for tex, pattern in patterns:
            if pattern.search(math):
                usage[tex].append(term.slug)
        missing = sorted({m.group(0) for m in CHECKED.finditer(math)} - defined)
        if missing and symbols:
            problems.append(
                Problem(
                    relative(term.path, root),
                    f"{term.slug} uses {', '.join(missing)}, which {notation_file} does not define",
                    severity=Severity.SUGGESTION,
                )
            )
    return usage, problems
