"""Read one YAML document with ``safe_load`` semantics, keeping where every value came from.

``parse_yaml(text, file) -> (data, positions, problems)``. ``positions`` maps a path such as
``("faq", 0, "q")`` to the 1-based ``(line, column)`` of its value, and ``("faq", 0, "q", KEY)``
to the place of the key itself. Anchors and aliases are refused (term files have no use for them,
and they are how a "billion laughs" document blows up), as are duplicate keys, which
``yaml.safe_load`` would silently resolve to the last one.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Problem

KEY = "<key>"  # marker in a position path for the key rather than the value

Path_ = tuple[Any, ...]


def parse_yaml(text: str, file: str) -> tuple[Any, dict[Path_, tuple[int, int]], list[Problem]]:
    loader = yaml.SafeLoader(text)
    positions: dict[Path_, tuple[int, int]] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            return None, positions, []
        problems = _walk(node, (), positions, file, set())
        if problems:
            return None, positions, problems
        return loader.construct_document(node), positions, []
    except yaml.MarkedYAMLError as exc:
        return None, positions, [_from_marked(exc, file)]
    except yaml.YAMLError as exc:  # unmarked reader errors
        return None, positions, [Problem(file, f"YAML could not be read: {exc}", expected="valid YAML")]
    except RecursionError:
        return None, positions, [
            Problem(file, "YAML is nested too deeply", expected="a flat mapping of fields", hint="check the indentation")
        ]
    finally:
        loader.dispose()


def _walk(node, path: Path_, positions, file: str, seen: set[int]) -> list[Problem]:
    if id(node) in seen:  # the same node twice: an alias (*name); locate it by its key
        line, col = positions.get((*path, KEY), (node.start_mark.line + 1, node.start_mark.column + 1))
        return [
            Problem(
                file,
                "YAML anchors and aliases (&name / *name) are not allowed in term files",
                line=line,
                column=col,
                field=_dotted(path) or None,
                expected="plain values",
                hint="write the value out in full",
            )
        ]
    seen.add(id(node))
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
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
                        field=_dotted(path) or None,
                        hint="write the fields out in full",
                    )
                )
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            child = (*path, key)
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key in keys_seen:
                problems.append(
                    Problem(
                        file,
                        f"duplicate key '{key}' (first on line {keys_seen[key]})",
                        line=line,
                        column=col,
                        field=_dotted(child),
                        expected="each key once",
                        hint="remove one of the two, or merge them",
                    )
                )
                continue
            keys_seen[key] = line
            positions[(*child, KEY)] = (line, col)
            problems += _walk(value_node, child, positions, file, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += _walk(item, (*path, i), positions, file, seen)
    return problems


def _from_marked(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    hint = "check the indentation and quoting on this line or the one before"
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


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
