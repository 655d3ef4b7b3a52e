"""Tutorial notebooks (``site_src/tutorials/*.ipynb``): which terms they use, and running them.

* :func:`read_tutorial` — title and the term slugs a tutorial links to (``../terms/<slug>.md``),
  so term pages can link back.
* :func:`figure_alt_texts` / :func:`with_alt_texts` — the alt text of each figure, written by the
  author in the cell's metadata, put where nbconvert leaves a placeholder.
* :func:`execute_tutorial` — run a notebook top to bottom in a fresh kernel (nbclient) and cache
  the executed copy under ``.cache/termbook/tutorials/``. The cache key covers the notebook, every
  snippet it imports (transitively), the Python and NumPy versions: unlike a cache keyed on the
  notebook alone, editing a snippet re-runs the tutorials that use it. Returns a Problem (cell
  number, error) instead of raising when a cell fails.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path

from .errors import Problem, Severity, relative
from .execution.deps import dependencies, direct_dependencies
from .execution.verification import numpy_version, runner_version
from .files import atomic_write_text
from .project import Project


def _term_link(url_prefix: str) -> re.Pattern[str]:
    """A Markdown link to a term page: ``](../terms/dropout.md)`` (under the layout's prefix)."""
    return re.compile(r"\]\((?:\.\./)+" + re.escape(url_prefix) + r"/([a-z0-9]+(?:-[a-z0-9]+)*)\.md(?:#[^)]*)?\)")


@dataclass(frozen=True)
class Tutorial:
    src_uri: str  # relative to docs_dir, e.g. "tutorials/gradient-descent-variants.ipynb"
    title: str
    terms: tuple[str, ...]  # slugs linked from its Markdown cells, in order


def read_tutorial(path: Path, docs_dir: Path, url_prefix: str) -> Tutorial:
    nb = json.loads(path.read_text(encoding="utf-8"))
    title, slugs = path.stem.replace("-", " ").capitalize(), []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        text = "".join(cell.get("source", ""))
        heading = re.search(r"^#\s+(.+)$", text, re.M)
        if heading and title == path.stem.replace("-", " ").capitalize():
            title = heading.group(1).strip()
        slugs += _term_link(url_prefix).findall(text)
    return Tutorial(path.relative_to(docs_dir).as_posix(), title, tuple(dict.fromkeys(slugs)))


def find_tutorials(project: Project) -> list[Tutorial]:
    """Every ``*.ipynb`` of the project's tutorials folder, named relative to its docs folder."""
    folder = project.tutorials_dir
    if not folder.is_dir():
        return []
    return [read_tutorial(p, project.docs_dir, project.layout.url_prefix) for p in sorted(folder.glob("*.ipynb"))]


def tutorial_cache_key(path: Path, project: Project) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join(
        line
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
        for line in "".join(c.get("source", "")).splitlines()
        if not line.lstrip().startswith(("%", "!"))  # IPython magics are not Python
    )
    snippets, root = project.snippets_dir, project.root
    deps: set[Path] = set()
    for direct in direct_dependencies(code, snippets):
        deps |= {direct, *dependencies(direct, snippets)}
    digest = hashlib.sha256()
    for part in (path.read_bytes(), sys.version.encode(), numpy_version().encode(), runner_version().encode()):
        digest.update(part)
    for dep in sorted(deps):
        digest.update(relative(dep, root).encode())
        digest.update(dep.read_bytes())
    return digest.hexdigest()


def execute_tutorial(path: Path, project: Project, *, timeout: int = 300) -> tuple[Path | None, Problem | None]:
    """The executed copy of ``path`` (from the cache when nothing it depends on changed).

    The kernel runs in the tutorial's folder with the project's import root first on its path,
    so ``from <snippets package>.softmax import softmax`` works whatever the folders are called.
    """
    root, cache_dir = project.root, project.cache_dir
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    key = tutorial_cache_key(path, project)
    target = cache_dir / "tutorials" / f"{path.stem}-{key[:20]}.ipynb"
    if target.is_file():
        return target, None
    nb = nbformat.read(path, as_version=4)
    import os

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(path.parent)}}
    )
    pythonpath = os.pathsep.join(p for p in (str(project.import_root), os.environ.get("PYTHONPATH", "")) if p)
    try:
        client.execute(env={**os.environ, "PYTHONPATH": pythonpath})
    except (CellExecutionError, CellTimeoutError) as exc:
        index = next((i for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # the kernel colours its tracebacks
        summary = text.splitlines()[-1] if text else type(exc).__name__
        return None, Problem(
            relative(path, root),
            f"tutorial failed{f' in cell {index + 1}' if index is not None else ''}: {summary}",
            expected="every cell runs without an error",
            hint="open it in Jupyter and run all cells from a fresh kernel",
        )
    atomic_write_text(target, nbformat.writes(nb))
    return target, None


# --- alt text of the figures ------------------------------------------------------------------
# nbconvert gives an output image no alt text but a placeholder; a tutorial's author writes one per
# figure in the cell's metadata, {"termbook": {"alt": "..."}} (a list for a cell of several figures).

NBCONVERT_PLACEHOLDER = 'alt="No description has been provided for this image"'
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


def figure_alt_texts(nb: dict, file: str) -> tuple[list[str | None], list[Problem]]:
    """The alt text of every image among a notebook's outputs, in page order (None: missing)."""
    alts: list[str | None] = []
    problems: list[Problem] = []
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        images = sum(1 for out in cell.get("outputs", []) if any(t in out.get("data", {}) for t in _IMAGE_TYPES))
        if not images:
            continue
        given = (cell.get("metadata", {}).get("termbook") or {}).get("alt")
        given = [given] if isinstance(given, str) else given if isinstance(given, list) else []
        texts = [" ".join(a.split()) for a in given if isinstance(a, str) and a.strip()]
        if len(texts) != images:
            problems.append(
                Problem(
                    file,
                    f"cell {number} draws {images} figure{'s' if images > 1 else ''} but has "
                    f"{len(texts) or 'no'} alt text{'s' if len(texts) != 1 else ''}",
                    field=f"cells[{number - 1}].metadata.termbook.alt",
                    expected=f"{'a list of ' + str(images) + ' descriptions' if images > 1 else 'a description'} of what the figure shows",
                    hint='in Jupyter: Property Inspector > Cell Metadata, add {"termbook": {"alt": "..."}}; '
                    "say what a reader should see, not how it was plotted",
                    severity=Severity.WARNING,
                )
            )
        alts += (texts + [None] * images)[:images]
    return alts, problems


def with_alt_texts(html: str, alts: list[str | None]) -> str | None:
    """``html`` with nbconvert's placeholders replaced by ``alts`` in order; None if they do not
    line up (another image without alt text on the page), so that nothing is mislabelled."""
    if html.count(NBCONVERT_PLACEHOLDER) != len(alts):
        return None
    texts = iter(alts)

    def alt(_match) -> str:
        text = next(texts)
        return NBCONVERT_PLACEHOLDER if text is None else f'alt="{html_escape(text, quote=True)}"'

    return re.sub(re.escape(NBCONVERT_PLACEHOLDER), alt, html)
