"""A Jupyter notebook per term: its definition, its snippet as cells, the checks, the demo last.

``term_notebook(term, root) -> str`` (nbformat 4.5 JSON) is what "Download as notebook" serves.
The notebook runs top to bottom in a fresh kernel with only NumPy (and matplotlib for figures)
installed: snippets it imports and ``termbook.checks`` are written to a temporary package by its
first code cell, so it does not need this repository.
"""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

from .errors import relative
from .execution.deps import dependencies
from .model import Term
from .project import Project

CHECKS_MODULE = Path(__file__).with_name("checks.py")


def split_snippet(source: str) -> tuple[list[str], list[str], str]:
    """(code cells, names of check functions, demo body) from a snippet's source.

    Each top-level function or class is a cell with the comments just above it; imports and
    other statements before the first definition form the first cell. The body of
    ``if __name__ == "__main__":`` is the demo, dedented.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    cells: list[str] = []
    checks: list[str] = []
    demo = ""
    start: int = 0
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        start = body[0].end_lineno or 0  # the module docstring becomes Markdown, not code
        body = body[1:]
    for node in body:
        if isinstance(node, ast.If) and _is_main_guard(node):
            demo = textwrap.dedent("\n".join(lines[node.body[0].lineno - 1 : node.body[-1].end_lineno]))
            start = node.end_lineno or start
            continue
        chunk = "\n".join(lines[start : node.end_lineno]).strip("\n")
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) or not cells:
            cells.append(chunk)
        else:  # a constant or import between definitions stays with the cell before it
            cells[-1] += "\n\n" + chunk
        if isinstance(node, ast.FunctionDef) and node.name.startswith(("check_", "test_")):
            checks.append(node.name)
        start = node.end_lineno or start
    return [c for c in cells if c.strip()], checks, demo


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def setup_cell(modules: dict[str, str]) -> str:
    """Code that writes ``modules`` ({"snippets/softmax.py": source}) to a temp dir on sys.path."""
    lines = [
        "# This notebook imports code from other files of the glossary; write them where Python finds them.",
        "import pathlib, sys, tempfile",
        "_root = pathlib.Path(tempfile.mkdtemp(prefix='termbook-'))",
        "_files = {",
    ]
    lines += [f"    {path!r}: {source!r}," for path, source in sorted(modules.items())]
    lines += [
        "}",
        "for _name, _source in _files.items():",
        "    _path = _root / _name",
        "    _path.parent.mkdir(parents=True, exist_ok=True)",
        "    (_path.parent / '__init__.py').touch()",
        "    _path.write_text(_source)",
        "sys.path.insert(0, str(_root))",
    ]
    return "\n".join(lines)


def term_notebook(term: Term, project: Project) -> str:
    """The term as a notebook: its text, each function of its snippet, the checks, the demo last."""
    assert term.snippet is not None
    source = term.snippet.read_text(encoding="utf-8")
    code_cells, checks, demo = split_snippet(source)
    deps = dependencies(term.snippet, project.snippets_dir)
    # the imported snippets, at their place in the package: {"<package>/softmax.py": source}
    modules = {relative(d, project.import_root): d.read_text(encoding="utf-8") for d in deps}
    if "termbook" in source or any("termbook" in s for s in modules.values()):
        modules["termbook/checks.py"] = CHECKS_MODULE.read_text(encoding="utf-8")
    d = term.data
    intro = f"# {d.term}\n\n*{d.summary}*\n\n## What is {d.term}?\n\n{d.definition.strip()}"
    cells = [_markdown(intro)]
    if d.how_it_works:
        cells.append(_markdown(f"## How it works\n\n{d.how_it_works.strip()}"))
    cells.append(
        _markdown(
            f"## In code\n\nThe code of `{relative(term.snippet, project.root)}`, one cell per function. "
            "It needs NumPy" + (" and matplotlib" if "matplotlib" in source else "") + "."
        )
    )
    if modules:
        cells.append(_code(setup_cell(modules)))
    cells += [_code(c) for c in code_cells]
    if checks:
        cells.append(_markdown("### Checks\n\nEach check asserts a property of the concept; no output means it held."))
        cells.append(_code("\n".join(f"{name}()" for name in checks) + f'\nprint("{len(checks)} checks passed")'))
    if demo:
        cells.append(_markdown("### Demo"))
        cells.append(_code(demo))
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"  # deterministic ids: the same term gives the same file
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "termbook": {"term": term.slug},
        },
        "cells": cells,
    }
    # nbformat's own constructors validate every cell (~10 ms a term); the tests validate the
    # whole notebook against the nbformat schema instead, once.
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}
