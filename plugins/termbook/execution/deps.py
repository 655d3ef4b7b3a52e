"""Which snippets a snippet imports (``from snippets.softmax import softmax``), transitively.

The package is the snippets directory, whatever its name.

The cache key of a snippet includes the source of everything it depends on, so editing
``softmax.py`` re-runs ``cross_entropy.py`` too.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path


def source_reader() -> Callable[[Path], str]:
    """A reader that reads each file once (for one run over many snippets sharing their imports)."""
    return functools.cache(lambda path: path.read_text(encoding="utf-8"))


def direct_dependencies(source: str, snippets_dir: Path) -> set[Path]:
    """Snippet files imported by ``source``; unparsable source has none (the run reports it).

    The snippets directory is a package named after the directory (``snippets/`` → ``snippets``,
    ``examples/code/`` → ``code``): ``from <package>.softmax import softmax`` is a dependency.
    """
    package = snippets_dir.name
    found = set()
    for name in _imported_names(source, package):
        parts = name.split(".")
        if parts[0] != package or len(parts) < 2:
            continue
        candidate = snippets_dir.joinpath(*parts[1:]).with_suffix(".py")
        if candidate.is_file():
            found.add(candidate.resolve())
    return found


_PARSED: dict[tuple[bytes, str], frozenset[str]] = {}
_PARSED_MAX = 100_000


def _imported_names(source: str, package: str) -> frozenset[str]:
    """Module names a source imports, parsed once per distinct source.

    A build asks three times per snippet (prerequisites, cache key, notebook). Remembered by a
    digest of the source, not the source itself: with 10,000 snippets a cache bounded below that
    (as an ``lru_cache`` of 4,096 was) parsed every snippet three times, and one keyed on the
    text would hold every snippet's source for the life of the process.
    """
    key = (hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).digest(), package)
    names = _PARSED.get(key)
    if names is None:
        if len(_PARSED) >= _PARSED_MAX:  # `mkdocs serve` for days: start over rather than grow
            _PARSED.clear()
        names = _PARSED[key] = _parse_imports(source, package)
    return names


def _parse_imports(source: str, package: str) -> frozenset[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            if node.module == package:
                names |= {f"{package}.{alias.name}" for alias in node.names}
    return frozenset(names)


def dependencies(path: Path, snippets_dir: Path, read=lambda p: p.read_text(encoding="utf-8")) -> list[Path]:
    """All snippet files ``path`` imports, directly or not, sorted; ``path`` itself excluded."""
    path = path.resolve()
    seen: set[Path] = set()
    todo = [path]
    while todo:
        current = todo.pop()
        try:
            source = read(current)
        except (OSError, UnicodeDecodeError):
            continue
        for dep in direct_dependencies(source, snippets_dir):
            if dep not in seen and dep != path:
                seen.add(dep)
                todo.append(dep)
    return sorted(seen)
