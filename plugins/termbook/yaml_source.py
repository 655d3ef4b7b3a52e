"""Read one YAML document with ``safe_load`` semantics, keeping where every value came from.

``parse_yaml(text, file) -> (data, positions, problems)``. ``positions`` maps a path such as
``("faq", 0, "q")`` to the 1-based ``(line, column)`` of its value, and ``("faq", 0, "q", KEY)``
to the place of the key itself. Anchors and aliases are refused (term files have no use for them,
and they are how a "billion laughs" document blows up), as are duplicate keys, which
``yaml.safe_load`` would silently resolve to the last one, keys that are not text (``yes:``,
``2015:``), nesting deeper than :data:`MAX_DEPTH` and values YAML cannot build (``2023-02-30``).
Whatever the text holds, the result is problems with a place, never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

import yaml

from .errors import Problem, dotted

KEY = "<key>"  # marker in a position path for the key rather than the value

Path_ = tuple[Any, ...]


class FieldLines:
    """Which field of a document a line belongs to: the value that starts last at or above it."""

    def __init__(self, positions: dict[Path_, tuple[int, int]]):
        self.starts = sorted((line, dotted(path)) for path, (line, _col) in positions.items() if path and path[-1] != KEY)

    def field_at(self, line: int) -> str | None:
        field = None
        for start, name in self.starts:
            if start > line:
                break
            field = name
        return field


def parse_yaml(text: str, file: str) -> tuple[Any, dict[Path_, tuple[int, int]], list[Problem]]:
    """Never raises: whatever ``text`` holds, bad input comes back as problems.

    A well-formed file is read with libyaml's scanner (about seven times faster than PyYAML's, same
    nodes, same marks); anything else is read again by PyYAML's own, whose messages are the ones
    reported.
    """
    fast = fast_reading(text, file)
    return fast if fast is not None else exact_reading(text, file)


def fast_reading(text: str, file: str) -> tuple[Any, dict[Path_, tuple[int, int]], list[Problem]] | None:
    """The libyaml reading of ``text`` if it found nothing wrong, else None."""
    if _FastLoader is None or _UNLIKE.search(text):
        return None
    try:
        data, positions, problems = _parse(text, file, _FastLoader)
    except Exception:
        return None
    return None if problems else (data, positions, problems)


def exact_reading(text: str, file: str) -> tuple[Any, dict[Path_, tuple[int, int]], list[Problem]]:
    """PyYAML's own reading, whose messages and places are the ones reported."""
    return _parse(text, file, _Loader)


def _parse(text: str, file: str, loader_class) -> tuple[Any, dict[Path_, tuple[int, int]], list[Problem]]:
    positions: dict[Path_, tuple[int, int]] = {}
    loader = None
    try:
        loader = loader_class(text)  # checks every character already: a NUL or ESC fails here
        node = loader.get_single_node()
        if node is None:
            return None, positions, []
        problems = _walk(node, (), positions, file, loader)
        if problems:
            return None, positions, problems
        return loader.construct_document(node), _shared(positions), []
    except yaml.reader.ReaderError as exc:
        return None, positions, [_from_reader(exc, text, file)]
    except yaml.MarkedYAMLError as exc:
        return None, positions, [_from_marked(exc, file)]
    except yaml.YAMLError as exc:  # other unmarked errors
        return None, positions, [Problem(file, f"YAML could not be read: {exc}", expected="valid YAML", hint=_GENERIC_HINT)]
    except _TooDeep as exc:
        return None, positions, [_too_deep(file, exc.mark.line + 1, exc.mark.column + 1)]
    except RecursionError:  # not expected since _TooDeep, but deep recursion must not escape
        return None, positions, [_too_deep(file, getattr(loader, "line", -1) + 1 or None, None)]
    except Exception as exc:
        if loader_class is not _Loader:
            raise
        return None, positions, [Problem(file, f"YAML could not be read: {exc}", expected="valid YAML", hint=_GENERIC_HINT)]
    finally:
        if loader is not None:
            loader.dispose()


_SHARED: dict[Any, Any] = {}


def _shared(positions: dict[Path_, tuple[int, int]]) -> dict[Path_, tuple[int, int]]:
    """``positions`` with its keys and values shared between files.

    Every term file has the same paths (``("faq", 0, "a")``) at much the same places, and a build
    keeps every term's positions to the end, for locating problems: as tuples of its own they were
    about 10 KiB a term, a hundred MiB at 10,000 terms. Equal tuples are one object here.
    """
    if len(_SHARED) > 1_000_000:  # an unusual glossary, or `mkdocs serve` for days: start over
        _SHARED.clear()
    return {_SHARED.setdefault(path, path): _SHARED.setdefault(place, place) for path, place in positions.items()}


MAX_DEPTH = 32  # a term file nests four levels (references: - url:); past this it is an accident or an attack


class _TooDeep(Exception):
    def __init__(self, mark):
        self.mark = mark


if TYPE_CHECKING:  # a mixin over PyYAML's composer and parser, whose stubs split the methods between them
    _ComposerBase = Any
else:
    _ComposerBase = object


class _Composing(_ComposerBase):
    """Composer steps shared by both loaders: marks each alias (``*name``) with its own place, and
    stops deep nesting.

    PyYAML hands back the anchored node itself for an alias, so the alias could only be found as
    "a node seen twice" and located at its anchor. Here every alias becomes a copy that remembers
    where the ``*name`` was written; the copy is reported and never descended into, so a "billion
    laughs" document costs one step per alias written, not per alias expanded.

    Composing is recursive (and PyYAML's scanner slows down with every open bracket), so nesting
    deeper than :data:`MAX_DEPTH` is refused where it starts instead of running into Python's
    recursion limit.
    """

    _depth = 0

    def compose_node(self, parent, index):
        if not self.check_event(yaml.AliasEvent):
            if self._depth >= MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        event = self.peek_event()
        target = super().compose_node(parent, index)  # consumes the event; raises on an undefined alias
        alias = type(target)(target.tag, target.value, event.start_mark, event.end_mark)
        alias.alias = event.anchor
        return alias


class _Loader(_Composing, yaml.SafeLoader):
    """``yaml.SafeLoader`` (pure Python) with the steps above."""


# Text on which the two scanners are known to differ: characters PyYAML refuses (libyaml allows a
# few of them), byte-order marks, which libyaml takes as text where PyYAML skips them, and tabs,
# which PyYAML refuses in places libyaml allows (after a plain value, for one).
_UNLIKE = re.compile(f"{yaml.reader.Reader.NON_PRINTABLE.pattern}|[\ufeff\t]")

_FastLoader: type | None
try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: every file takes the Python path
    _FastLoader = None
else:

    class _FastLoader(_Composing, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[no-redef]
        """The same composing, constructing and resolving over libyaml's scanner and parser."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)

        def compose_scalar_node(self, anchor):
            event: Any = self.peek_event()
            if event.value == "" and not event.style:  # an empty value: libyaml places it elsewhere
                raise _NotFast
            return super().compose_scalar_node(anchor)


class _NotFast(Exception):
    """The fast reading would differ from the exact one here; read exactly."""


_GENERIC_HINT = "check the indentation and quoting on this line or the one before"

# Scalars that YAML resolves to something other than text when written plainly as a key.
_NON_TEXT = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:binary": "binary data",
}


def _walk(node, path: Path_, positions, file: str, loader) -> list[Problem]:
    if getattr(node, "alias", None) is not None:  # *name: located by its key, or where it is written
        return [_alias_problem(file, path, *positions.get((*path, KEY), _place(node)))]
    positions[path] = _place(node)
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        keys_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Problem(
                        file,
                        "YAML merge keys (<<) are not allowed in term files",
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                        field=dotted(path) or None,
                        hint="write the fields out in full",
                    )
                )
                continue
            line, col = _place(key_node)
            if getattr(key_node, "alias", None) is not None:
                problems.append(_alias_problem(file, path, line, col))
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag in _NON_TEXT:
                problems.append(_not_a_field_name(key_node, path, file))
                continue
            key = key_node.value
            child = (*path, key)
            if key in keys_seen:
                problems.append(
                    Problem(
                        file,
                        f"duplicate key '{key}' (first on line {keys_seen[key]})",
                        line=line,
                        column=col,
                        field=dotted(child),
                        expected="each key once",
                        hint="remove one of the two, or merge them",
                    )
                )
                continue
            keys_seen[key] = line
            positions[(*child, KEY)] = (line, col)
            problems += _walk(value_node, child, positions, file, loader)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += _walk(item, (*path, i), positions, file, loader)
    else:
        problems += _construct_scalar(node, path, file, loader)
    return problems


def _too_deep(file: str, line: int | None, column: int | None) -> Problem:
    return Problem(
        file,
        f"YAML is nested too deeply (more than {MAX_DEPTH} levels)",
        line=line,
        column=column,
        expected="a mapping of fields, nested a few levels at most",
        hint="term files nest at most a few levels (faq: - q:); check the brackets and the indentation",
    )


def _place(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _alias_problem(file: str, path: Path_, line: int, col: int) -> Problem:
    return Problem(
        file,
        "YAML anchors and aliases (&name / *name) are not allowed in term files",
        line=line,
        column=col,
        field=dotted(path) or None,
        expected="plain values",
        hint="write the value out in full",
    )


def _construct_scalar(node: yaml.ScalarNode, path: Path_, file: str, loader) -> list[Problem]:
    """Build one scalar now, so a value YAML cannot build is reported at its place.

    Resolved plain scalars can still fail to construct: ``2021-02-30`` looks like a date,
    ``!!int abc`` is asked to be a number, a 5000-digit number exceeds Python's limit. The
    constructor caches the result, so the document is not built twice.
    """
    line, col = _place(node)
    try:
        loader.construct_object(node)
    except yaml.MarkedYAMLError as exc:  # a tag that is not allowed (!!python/..., !custom)
        return [_from_marked(exc, file)]
    except Exception as exc:
        kind = node.tag.rsplit(":", 1)[-1]
        return [
            Problem(
                file,
                f"'{_short(node.value)}' cannot be read as a YAML {kind} ({exc})",
                line=line,
                column=col,
                field=dotted(path) or None,
                expected="a valid value",
                hint="put the value in quotes to keep it as text" if node.style is None else "remove the '!!' tag",
            )
        ]
    return []


def _not_a_field_name(key_node, path: Path_, file: str) -> Problem:
    if isinstance(key_node, yaml.ScalarNode):
        text, what = key_node.value, _NON_TEXT[key_node.tag]
        key = f"key '{_short(text)}'" if text else "an empty key"
        message = f"{key} is read as {what}, not as a field name"
        hint = "field names are words such as 'term' or 'summary'; remove the key or correct it"
    else:
        what = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
        message = f"a key is {what}, not a field name"
        hint = "a '?' or brackets before ':' make a complex key; write 'name: value'"
    return Problem(
        file,
        message,
        line=key_node.start_mark.line + 1,
        column=key_node.start_mark.column + 1,
        field=dotted(path) or None,
        expected="a field name (text)",
        hint=hint,
    )


def _from_reader(exc: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    """A character YAML refuses (NUL, ESC and other control characters): say which and where."""
    position = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    char = exc.character if isinstance(exc.character, int) else 0
    name = unicodedata.name(chr(char), "") or _CONTROL_NAMES.get(char, "a control character")
    return Problem(
        file,
        f"character U+{char:04X} ({name}) is not allowed in YAML",
        line=line,
        column=column,
        expected="printable text (tabs and line breaks are fine)",
        hint="remove it; control characters usually come from pasted terminal output or binary data",
    )


_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BACKSPACE", 0x0B: "VERTICAL TAB", 0x0C: "FORM FEED", 0x1B: "ESCAPE", 0x7F: "DELETE"}


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _from_marked(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    hint = _GENERIC_HINT
    if "'\\t'" in problem or "\\t" in problem:
        hint = "YAML does not allow tab characters for indentation; indent with spaces"
    elif "could not determine a constructor" in problem or "python/" in problem:
        problem = problem.replace("could not determine a constructor for the tag", "tag not allowed:")
        hint = "term files hold plain data; remove the '!!' tag"
    elif "mapping values are not allowed" in problem:
        hint = "a ':' inside a value needs the value in quotes, or a block scalar ('|')"
    return Problem(
        file,
        f"YAML syntax error: {problem}" + (f" ({exc.context})" if exc.context else ""),
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        expected="valid YAML",
        hint=hint,
    )
