"""Load every ``terms/<slug>.yml`` into :class:`~termbook.model.Term` objects.

``load_terms(terms_dir, root) -> (terms, problems)`` reads, parses and validates each file on its
own; problems that need the whole glossary (unknown related slugs, alias clashes) are found by
:func:`termbook.validation.check_glossary`. :func:`load_glossary` does both.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem, did_you_mean, dotted, relative
from .execution.equivalence import static_problems
from .model import FIELDS, SLUG_RE, SUMMARY_MAX, Term, TermData, module_name, slugify
from .project import Project, as_project
from .safety import describe_character, invisible_characters
from .scaffold import SNIPPET_PLACEHOLDER, placeholder_fields
from .yaml_source import KEY, FieldLines, parse_yaml

MAX_FILE_BYTES = 256 * 1024


def load_glossary(project: Project | Path) -> tuple[list[Term], list[Problem]]:
    """Load and cross-check the whole glossary of ``project`` (or of the project at a folder)."""
    from .validation import check_glossary

    project = as_project(project)
    terms, problems = load_terms(project)
    # a related slug whose file exists but has its own problems is not "unknown": that file's
    # problems are reported, and repeating them as "create terms/x.yml" would mislead
    present = {path.stem for path in _term_files(project.terms_dir)}
    root = project.root
    return terms, problems + check_glossary(terms, root, present=present) + check_snippet_sources(project.snippets_dir, root)


def invisible_problems(text: str, file: str, positions: dict | None = None) -> list[Problem]:
    """A located error for every invisible or direction-changing character in ``text``."""
    fields = FieldLines(positions or {})
    problems = []
    for line, column, char in invisible_characters(text):
        field = fields.field_at(line)
        problems.append(
            Problem(
                file,
                f"contains the invisible character {describe_character(char)}",
                line=line,
                column=column,
                field=field,
                expected="visible text: no direction controls, zero-width or other format characters",
                hint='delete it: it changes how the text is shown without being seen ("Trojan Source", '
                "CVE-2021-42574); an editor's 'show invisibles' or `grep -nP '\\p{Cf}'` finds it",
            )
        )
    return problems


def check_snippet_sources(snippets_dir: Path, root: Path) -> list[Problem]:
    """Invisible characters in any snippet (``.py``) or pinned output (``.out``): they run and are published."""
    if not snippets_dir.is_dir():
        return []
    problems: list[Problem] = []
    for path in sorted(snippets_dir.rglob("*")):
        if path.suffix not in (".py", ".out") or not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the runner reports unreadable snippets where they are used
        problems += invisible_problems(text, relative(path, root))
    return problems


def load_terms(project: Project) -> tuple[list[Term], list[Problem]]:
    terms_dir, root = project.terms_dir, project.root
    terms: list[Term] = []
    problems: list[Problem] = []
    if not terms_dir.is_dir():
        return [], [
            Problem(
                relative(terms_dir, root),
                "terms directory not found",
                expected="a directory of <slug>.yml files",
                hint="run termbook from the project directory, or pass --root",
            )
        ]
    try:
        paths = _term_files(terms_dir)
    except OSError as exc:
        return [], [Problem(relative(terms_dir, root), f"cannot be listed: {exc.strerror}", hint="check its permissions")]
    for path in paths:
        term, file_problems = load_term(path, project)
        problems += file_problems
        if term is not None:
            terms.append(term)
    return terms, problems


def _term_files(terms_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in terms_dir.iterdir() if not p.name.startswith(".") and p.suffix in (".yml", ".yaml"))
    except FileNotFoundError:
        return []


def load_term(path: Path, project: Project | Path) -> tuple[Term | None, list[Problem]]:
    """Read and validate one term file; return the term (or None) and its problems."""
    project = as_project(project)
    root = project.root
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
        return None, problems + [
            Problem(file, "is a directory, not a term file", expected="a YAML file", hint="remove or rename the directory")
        ]
    if not path.is_file():  # checked before opening: reading a FIFO or /dev/zero would never end
        if path.is_symlink() and not path.exists():
            message = "is a symbolic link to nothing (or a loop of links)"
        else:
            message = "is not a regular file (a device, FIFO or socket, or a link to one)"
        return None, problems + [Problem(file, message, expected="a YAML file", hint="replace it with the term's YAML file")]
    if not _inside(path, root):  # its text would be published with the site
        return None, problems + [
            Problem(
                file,
                "is a symbolic link to a file outside the project",
                expected="a YAML file inside the project",
                hint="copy the term file into terms/ instead of linking to it",
            )
        ]
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # never more, whatever the file claims to be
    except OSError as exc:
        return None, problems + [Problem(file, f"cannot be read: {exc.strerror}", hint="check the file's permissions")]
    if len(raw) > MAX_FILE_BYTES:
        size = _size(path, len(raw))
        return None, problems + [
            Problem(
                file,
                f"file is {size // 1024} KiB",
                expected=f"at most {MAX_FILE_BYTES // 1024} KiB",
                hint="a term page should be readable in one sitting; move long material into a tutorial",
            )
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # a byte-order mark: the whole file is UTF-16
            return None, problems + [
                Problem(
                    file, "the file is encoded as UTF-16", line=1, expected="a UTF-8 encoded text file", hint="re-save the file as UTF-8"
                )
            ]
        return None, problems + [
            Problem(
                file,
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                line=raw[: exc.start].count(b"\n") + 1,
                expected="a UTF-8 encoded text file",
                hint="re-save the file as UTF-8",
            )
        ]
    text = text.removeprefix("\ufeff")
    data, positions, yaml_problems = parse_yaml(text, file)
    hidden = invisible_problems(text, file, positions)
    if yaml_problems or hidden:
        return None, problems + hidden + yaml_problems
    if data is None:
        return None, problems + [
            Problem(
                file,
                "file is empty",
                expected="a mapping with at least term, summary and definition",
                hint="run `termbook new` for a template",
            )
        ]
    if not isinstance(data, dict):
        return None, problems + [
            Problem(
                file,
                f"the document is {_kind(data)}",
                line=1,
                expected="a mapping of fields (term: ..., summary: ..., definition: ...)",
                hint="write one 'field: value' per line, starting with 'term:'; run `termbook new` for a template",
            )
        ]
    try:
        model = TermData.model_validate(data)
    except ValidationError as exc:
        return None, problems + [_translate(dict(err), file, positions, data) for err in exc.errors()]
    snippet, snippet_problems = _snippet_path(model, slug, project, positions, file)
    problems += snippet_problems + _placeholder_problems(model, positions, file, snippet, root)
    term = Term(slug=slug, path=path, data=model, snippet=snippet, positions=positions)
    problems += static_problems(term, file, relative(snippet, root) if snippet else "")
    return term, problems


def _text_values(model: TermData) -> dict[tuple, str]:
    values: dict[tuple, str] = {}
    for name, value in model.model_dump(exclude_none=True).items():
        if isinstance(value, str):
            values[(name,)] = value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    values[(name, i)] = item
                elif isinstance(item, dict):
                    values.update({(name, i, k): v for k, v in item.items() if isinstance(v, str)})
    return values


def _placeholder_problems(model: TermData, positions, file: str, snippet: Path | None, root: Path) -> list[Problem]:
    """Text still as `termbook new` wrote it: published, it would read as a template."""
    problems = []
    for loc, placeholder in placeholder_fields(_text_values(model)):
        line, col = _position(positions, loc)
        problems.append(
            Problem(
                file,
                f"still has the placeholder text of `termbook new` ('{_short(placeholder, 60)}')",
                line=line,
                column=col,
                field=dotted(loc),
                expected="the term's own text",
                hint="write this field, or remove it if the term does not need it",
            )
        )
    if snippet is not None:
        try:
            code = snippet.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            code = ""
        if SNIPPET_PLACEHOLDER in code:
            line = code[: code.index(SNIPPET_PLACEHOLDER)].count("\n") + 1
            problems.append(
                Problem(
                    relative(snippet, root),
                    "is still the example snippet of `termbook new`",
                    line=line,
                    expected="the term's own functions, checks and demo",
                    hint="replace the example function `scale` and its check with the concept's code; see 'How to add a term'",
                )
            )
    return problems


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def _size(path: Path, at_least: int) -> int:
    try:
        return max(path.stat().st_size, at_least)
    except OSError:
        return at_least


def _snippet_path(model: TermData, slug: str, project: Project, positions, file: str) -> tuple[Path | None, list[Problem]]:
    root = project.root
    snippets_folder = relative(project.snippets_dir, root)
    if model.snippet is None:
        default_path = project.snippets_dir / f"{module_name(slug)}.py"
        if not default_path.is_file():
            return None, []
        if _inside(default_path, root):
            return default_path, []
        return None, [
            Problem(
                relative(default_path, root),
                f"the snippet of '{slug}' is a link to a file outside the project",
                expected="a .py file inside the project",
                hint="copy the code into the project instead of linking to it",
            )
        ]
    try:
        candidate = (root / model.snippet).resolve()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a loop of links
        candidate = None
    default = f"{snippets_folder}/{module_name(slug)}.py"
    default_hint = f"the default is {default}; leave 'snippet' out to use it"
    name = _short(model.snippet)
    if candidate is None:
        message = f"snippet {model.snippet[:40]!r} is not a usable path"
        hint = f"write a plain path such as {default}, or leave 'snippet' out"
    elif not _inside(candidate, root):
        # its code would be run, and shown on the site: only files of the project may be
        message = f"snippet '{name}' is outside the project"
        hint = f"move the code into {snippets_folder}/ (snippets are run and published with the site)"
    elif candidate.is_file() and candidate.suffix == ".py":
        return candidate, []
    elif not candidate.exists():
        message, hint = f"snippet '{name}' does not exist", default_hint
    else:
        message, hint = f"snippet '{name}' is not a .py file", default_hint
    line, col = positions.get(("snippet",), (None, None))
    return None, [
        Problem(
            file,
            message,
            line=line,
            column=col,
            field="snippet",
            expected="a path to a .py file inside the project, relative to its root",
            hint=hint,
        )
    ]


def _translate(err: dict[str, Any], file: str, positions, data) -> Problem:
    """Turn one pydantic error into our Problem, with the place and words a contributor needs."""
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    where = dotted(loc)
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
        message = f"is {len(value or '')} characters long"
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
        hint = _type_hint(kind, loc, value)
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"):
        message = f"{value!r} is out of range"
        expected = err["msg"].replace("Input should be", "a number").strip()
        hint = _RANGE_HINTS.get(loc[-1] if loc else "", "use a number in the expected range")
    return Problem(file, message, line=line, column=col, field=where or None, expected=expected, hint=hint or _FORMAT_HINT)


_FORMAT_HINT = "see 'The term file' in the contributing guide (site_src/contributing.md)"

_RANGE_HINTS = {
    "year": "the year the work was published, e.g. 2015",
    "timeout": "a positive number of seconds, at most 600; leave it out for the default of 10",
    "rtol": "a tolerance is zero or positive, e.g. 1.0e-5",
    "atol": "a tolerance is zero or positive, e.g. 1.0e-8",
}

_ITEM_HINTS = {
    "faq": "write each question as '- q: ...' with 'a: ...' on the next line, indented under it",
    "references": "write each reference as '- title: ...' with authors, year and url indented under it",
    "verify": "write 'verify:' on its own line, then indented settings such as 'timeout: 5'",
}


def _type_hint(kind: str, loc: tuple, value: Any) -> str | None:
    """What to type instead, for a value of the wrong kind at ``loc``."""
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if isinstance(value, bool) and kind in ("string_type", "list_type"):
        return "YAML reads yes/no/on/off/true/false as booleans; put the text in quotes"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return "YAML reads this as a date; put it in quotes"
    if isinstance(value, (bytes, set)):
        return "term files hold plain text, lists and mappings; remove the '!!' tag"
    if kind == "string_type":
        if value is None:
            return "write the text after the colon, or remove the line"
        if isinstance(value, (int, float)):
            return f"YAML reads this as a number; put the text in quotes: '{value}'"
        if isinstance(value, list) and field == "authors":
            return "write the authors as one text: 'Ada Lovelace, Charles Babbage'"
        if isinstance(value, list):
            return "write the text itself, without brackets or '- ' (a block after '|' may span lines)"
        if isinstance(value, dict):
            return "': ' inside the text starts a mapping; put the text in quotes or in a block after '|'"
    if kind == "list_type":
        if value is None:
            return "write [] for none, or remove the line"
        if field in _ITEM_HINTS:
            return _ITEM_HINTS[field]
        if isinstance(value, (str, int, float)):
            return f"write a list: [{_short(value)}] or one '- item' per line"
        return "write a list: one '- item' per line"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _ITEM_HINTS.get(field)
    if kind == "int_type":
        return "write the number without quotes" if isinstance(value, str) else "write a whole number, e.g. 2015"
    if kind == "float_type":
        if isinstance(value, str) and re.fullmatch(r"[-+]?[0-9]+[eE][-+]?[0-9]+", value.strip()):
            return f"YAML reads '{value}' as text; it needs a dot: '{value.replace('e', '.0e').replace('E', '.0E')}'"
        if isinstance(value, str):
            return "write a plain number, without quotes or units"
        return "write a number, e.g. 5 or 1.0e-5"
    return None


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
    from .model import Faq, Pitfall, Reference, VerifyOptions

    section = loc[0]
    models: dict[str, type[BaseModel]] = {"faq": Faq, "pitfalls": Pitfall, "references": Reference, "verify": VerifyOptions}
    model = models.get(section)
    return tuple(model.model_fields) if model else FIELDS


def _position(positions, loc: tuple) -> tuple[int | None, int | None]:
    while True:
        if loc in positions:
            return positions[loc]
        if not loc:
            return None, None
        loc = loc[:-1]


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
