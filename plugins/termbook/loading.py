"""Load every ``terms/<slug>.yml`` into :class:`~termbook.model.Term` objects.

``load_terms(terms_dir, root) -> (terms, problems)`` reads, parses and validates each file on its
own; problems that need the whole glossary (unknown related slugs, alias clashes) are found by
:func:`termbook.validation.check_glossary`. :func:`load_glossary` does both.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import Problem, did_you_mean, relative
from .model import FIELDS, SLUG_RE, SUMMARY_MAX, Term, TermData, module_name, slugify
from .yaml_source import KEY, parse_yaml

MAX_FILE_BYTES = 256 * 1024


def load_glossary(root: Path, terms_dir: str = "terms", snippets_dir: str = "snippets") -> tuple[list[Term], list[Problem]]:
    """Load and cross-check the whole glossary under ``root``."""
    from .validation import check_glossary

    terms, problems = load_terms(root / terms_dir, root, snippets_dir)
    return terms, problems + check_glossary(terms, root)


def load_terms(terms_dir: Path, root: Path, snippets_dir: str = "snippets") -> tuple[list[Term], list[Problem]]:
    terms: list[Term] = []
    problems: list[Problem] = []
    if not terms_dir.is_dir():
        return [], [Problem(relative(terms_dir, root), "terms directory not found", expected="a directory of <slug>.yml files")]
    for path in sorted(terms_dir.iterdir()):
        if path.name.startswith(".") or path.suffix not in (".yml", ".yaml"):
            continue
        term, file_problems = load_term(path, root, snippets_dir)
        problems += file_problems
        if term is not None:
            terms.append(term)
    return terms, problems


def load_term(path: Path, root: Path, snippets_dir: str = "snippets") -> tuple[Term | None, list[Problem]]:
    """Read and validate one term file; return the term (or None) and its problems."""
    file = relative(path, root)
    slug = path.stem
    problems: list[Problem] = []
    if path.suffix == ".yaml":
        problems.append(Problem(file, "term files end in '.yml'", expected=f"{slug}.yml", hint=f"rename it to {slug}.yml"))
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                file,
                f"the file name '{path.name}' is not a valid slug",
                expected="lower-case ASCII letters and digits, words joined by single hyphens, e.g. 'batch-normalization.yml'",
                hint=f"rename it to '{slugify(slug)}.yml'",
            )
        )
    if path.is_dir():
        return None, [Problem(file, "is a directory, not a term file", expected="a YAML file", hint="remove or rename the directory")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file, f"cannot be read: {exc.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, problems + [
            Problem(
                file,
                f"file is {len(raw) // 1024} KiB",
                expected=f"at most {MAX_FILE_BYTES // 1024} KiB",
                hint="a term page should be readable in one sitting; move long material into a tutorial",
            )
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, problems + [
            Problem(
                file,
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                line=line,
                expected="a UTF-8 encoded text file",
                hint="re-save the file as UTF-8",
            )
        ]
    text = text.removeprefix("\ufeff")
    data, positions, yaml_problems = parse_yaml(text, file)
    if yaml_problems:
        return None, problems + yaml_problems
    if data is None:
        return None, problems + [
            Problem(file, "file is empty", expected="a mapping with at least term, summary and definition", hint="run `termbook new` for a template")
        ]
    if not isinstance(data, dict):
        return None, problems + [
            Problem(
                file,
                f"the document is {_kind(data)}",
                line=1,
                expected="a mapping of fields (term: ..., summary: ..., definition: ...)",
            )
        ]
    try:
        model = TermData.model_validate(data)
    except ValidationError as exc:
        return None, problems + [_translate(err, file, positions, data) for err in exc.errors()]
    snippet, snippet_problems = _snippet_path(model, slug, path, root, snippets_dir, positions, file)
    problems += snippet_problems
    term = Term(slug=slug, path=path, data=model, snippet=snippet, positions=positions)
    return term, problems


def _snippet_path(model: TermData, slug, path, root, snippets_dir, positions, file) -> tuple[Path | None, list[Problem]]:
    if model.snippet is None:
        default = root / snippets_dir / f"{module_name(slug)}.py"
        return (default if default.is_file() else None), []
    candidate = (root / model.snippet).resolve()
    if candidate.is_file() and candidate.suffix == ".py":
        return candidate, []
    line, col = positions.get(("snippet",), (None, None))
    return None, [
        Problem(
            file,
            f"snippet '{model.snippet}' does not exist" if not candidate.exists() else f"snippet '{model.snippet}' is not a .py file",
            line=line,
            column=col,
            field="snippet",
            expected="a path to a .py file, relative to the project root",
            hint=f"the default is {snippets_dir}/{module_name(slug)}.py; leave 'snippet' out to use it",
        )
    ]


def _translate(err: dict[str, Any], file: str, positions, data) -> Problem:
    """Turn one pydantic error into our Problem, with the place and words a contributor needs."""
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    dotted = _dotted(loc)
    line, col = _position(positions, loc)
    message, expected, hint = err["msg"], None, None

    if kind == "missing":
        message = "required field is missing"
        expected = _describe(loc)
        parent = loc[:-1]
        line, col = _position(positions, parent) if parent else (1, 1)
        hint = f"add '{loc[-1]}:'"
    elif kind == "extra_forbidden":
        key = loc[-1]
        line, col = positions.get((*loc, KEY), (line, col))
        allowed = FIELDS if len(loc) == 1 else _allowed_keys(loc)
        message = f"unknown key '{key}'"
        expected = "one of: " + ", ".join(allowed)
        hint = did_you_mean(str(key), allowed) or "remove it"
    elif kind in ("string_too_short",) or (kind == "string_pattern_mismatch" and ctx.get("pattern") == r"\S"):
        message = "must not be empty"
        expected = _describe(loc)
        hint = "write the text, or remove the field"
    elif kind == "string_too_long":
        message = f"is {len(value)} characters long"
        expected = f"at most {ctx.get('max_length', SUMMARY_MAX)} characters"
        hint = "the summary is one sentence shown in tooltips and related lists; move detail into the definition"
    elif kind == "string_pattern_mismatch" and loc[-1] == "url":
        message = f"'{_short(value)}' is not an http(s) URL"
        expected = "a URL starting with https:// or http://"
        hint = "link the DOI (https://doi.org/...) or the arXiv page"
    elif kind == "string_pattern_mismatch" and loc and loc[0] == "related":
        message = f"'{_short(value)}' is not a slug"
        expected = "a term's slug: its file name without .yml, e.g. 'batch-normalization'"
        hint = f"try '{slugify(str(value))}'"
    elif kind.endswith("_type") or kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"expected {_describe(loc)}, got {_kind(value)}"
        expected = _describe(loc)
        if isinstance(value, bool) and "string" in kind:
            hint = "YAML reads yes/no/on/off/true/false as booleans; put the text in quotes"
        elif isinstance(value, (_dt.date, _dt.datetime)):
            hint = "YAML reads this as a date; put it in quotes"
        elif kind == "list_type" and isinstance(value, str):
            hint = f"write a list: [{_short(value)}] or one '- item' per line"
        elif kind == "int_type" and isinstance(value, str):
            hint = "write the number without quotes"
        elif kind == "float_type" and isinstance(value, str):
            hint = "write the number without quotes; YAML needs a dot in '1.0e-5'"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        message = f"{value!r} is out of range"
        expected = err["msg"].replace("Input should be", "a number").strip()
    return Problem(file, message, line=line, column=col, field=dotted or None, expected=expected, hint=hint)


_DESCRIPTIONS = {
    "term": "text: the display name",
    "summary": "one sentence of text",
    "definition": "Markdown text",
    "how_it_works": "Markdown text",
    "example": "Markdown text",
    "why_it_matters": "Markdown text",
    "aliases": "a list of names",
    "faq": "a list of {q: ..., a: ...}",
    "related": "a list of term slugs",
    "tags": "a list of tags",
    "references": "a list of {title, authors, year, url}",
    "snippet": "a path to a .py file",
    "verify": "a mapping {timeout, rtol, atol}",
    "plurals": "a list of plural forms",
    "no_autolink": "a list of phrases",
    "q": "the question as text",
    "a": "the answer as Markdown text",
    "title": "text",
    "authors": "text",
    "year": "a whole number (the year)",
    "url": "an http(s) URL",
    "timeout": "a number of seconds",
    "rtol": "a number",
    "atol": "a number",
}


def _describe(loc: tuple) -> str:
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return "a value"
    last = names[-1]
    if loc and isinstance(loc[-1], int):
        return {
            "aliases": "a name (text)",
            "related": "a term slug",
            "tags": "a tag (text)",
            "faq": "a mapping {q: ..., a: ...}",
            "references": "a mapping {title, authors, year, url}",
            "plurals": "text",
            "no_autolink": "text",
        }.get(last, "a value")
    return _DESCRIPTIONS.get(last, "a value")


def _allowed_keys(loc: tuple) -> tuple[str, ...]:
    from .model import Faq, Reference, VerifyOptions

    section = loc[0]
    model = {"faq": Faq, "references": Reference, "verify": VerifyOptions}.get(section)
    return tuple(model.model_fields) if model else FIELDS


def _position(positions, loc: tuple) -> tuple[int | None, int | None]:
    while True:
        if loc in positions:
            return positions[loc]
        if not loc:
            return None, None
        loc = loc[:-1]


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"a number ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ('{_short(value)}')"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f"a date ({value.isoformat()})"
    return type(value).__name__


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
