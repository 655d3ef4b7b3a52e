"""Figures from snippets, a notebook per term, tutorials run at build time."""

from __future__ import annotations

import json
import logging
import re

import nbformat
import pytest
from mkdocs.exceptions import Abort
from nbclient import NotebookClient
from termbook.loading import load_glossary
from termbook.notebooks import split_snippet, term_notebook
from termbook.project import Project

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, ROOT, term

FIGURE_SNIPPET = GOOD_SNIPPET.replace(
    'if __name__ == "__main__":\n    print("double:", double(np.arange(3.0)))',
    'if __name__ == "__main__":\n    print("double:", double(np.arange(3.0)))\n'
    "    import matplotlib.pyplot as plt\n"
    "    fig, ax = plt.subplots()\n"
    "    ax.plot([0, 1, 2], double(np.arange(3.0)))\n"
    '    fig.set_label("A straight line of slope two")\n',
)


def test_figures_are_captured_as_svg_with_alt_text(project):
    project.add_term("double", term("Double"))
    project.add_snippet("double", FIGURE_SNIPPET, GOOD_OUTPUT)
    site = project.build()
    html = (site / "terms" / "double.html").read_text()
    assert '<img alt="A straight line of slope two" src="../figures/double-1.svg">' in html
    assert "<figcaption>A straight line of slope two</figcaption>" in html
    svg = (site / "figures" / "double-1.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_figures_are_part_of_the_cache_entry(project):
    project.add_term("double", term("Double"))
    project.add_snippet("double", FIGURE_SNIPPET, GOOD_OUTPUT)
    project.build()
    [entry] = list((project.root / ".cache" / "termbook" / "runs").rglob("*.json"))
    value = json.loads(entry.read_text())["value"]
    assert value["figures"][0]["alt"] == "A straight line of slope two"
    site = project.build()  # from the cache: the figure is still there
    assert (site / "figures" / "double-1.svg").is_file()


def test_split_snippet_into_cells_checks_and_demo():
    source = (
        '"""Doc."""\n\nimport numpy as np\n\nSCALE = 2\n\n\n# comment for f\ndef f(x):\n    return x\n\n\n'
        "def check_f():\n    assert f(1) == 1\n\n\n"
        'if __name__ == "__main__":\n    x = 1\n    print(f(x))\n'
    )
    cells, checks, demo = split_snippet(source)
    assert cells == ["import numpy as np\n\nSCALE = 2", "# comment for f\ndef f(x):\n    return x", "def check_f():\n    assert f(1) == 1"]
    assert checks == ["check_f"]
    assert demo == "x = 1\nprint(f(x))"


@pytest.fixture(scope="module")
def real_terms():
    terms, problems = load_glossary(ROOT)
    assert problems == []
    return {t.slug: t for t in terms}


@pytest.mark.parametrize("slug", ["batch-normalization", "cross-entropy", "deep-learning"])
def test_term_notebook_is_valid_and_runs_in_a_fresh_kernel(real_terms, slug, tmp_path):
    nb = nbformat.reads(term_notebook(real_terms[slug], Project.discover(ROOT)), as_version=4)
    nbformat.validate(nb)
    assert all(re.fullmatch(r"cell-\d+", cell["id"]) for cell in nb.cells)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {real_terms[slug].name}")
    # the kernel runs in an empty directory: nothing from this repository is importable there
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    last = nb.cells[-1]
    assert last.cell_type == "code" and last.outputs, "the demo is the last cell and prints"
    checks = nb.cells[-3]
    assert "checks passed" in "".join(o.get("text", "") for o in checks.outputs)


def test_notebook_is_offered_on_the_page(project):
    project.add_term("double", term("Double"))
    project.add_snippet("double", GOOD_SNIPPET, GOOD_OUTPUT)
    site = project.build()
    html = (site / "terms" / "double.html").read_text()
    assert '<a class="termbook-notebook" download="" href="../notebooks/double.ipynb">Download as notebook</a>' in html
    nbformat.validate(nbformat.read(site / "notebooks" / "double.ipynb", as_version=4))


TUTORIAL_YML = """
  - mkdocs-jupyter:
      include: ["tutorials/*.ipynb"]
      execute: false
      markdown_cell_processor: mkdocs
      mathjax_version: 2
      custom_mathjax_url: "data:text/javascript,"
"""


def _tutorial_project(project, code: str, metadata: dict | None = None):
    text = (project.root / "mkdocs.yml").read_text()
    text = text.replace("      jobs: 2\n", "      jobs: 2\n" + TUTORIAL_YML.lstrip("\n"))
    text = text.replace("  - Graph: graph.md\n", "  - Graph: graph.md\n  - Tutorial: tutorials/intro.ipynb\n")
    (project.root / "mkdocs.yml").write_text(text)
    project.add_term("double", term("Double"))
    project.add_snippet("double", GOOD_SNIPPET, GOOD_OUTPUT)
    (project.root / "docs" / "tutorials").mkdir()
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Intro tutorial\n\nWe use [double](../terms/double.md): $y = 2x$."),
            nbformat.v4.new_code_cell(code, metadata=metadata or {}),
        ]
    )
    nbformat.write(nb, project.root / "docs" / "tutorials" / "intro.ipynb")


def test_tutorial_is_executed_cached_and_linked_both_ways(project, caplog):
    code = (
        "import pathlib, sys\n"
        "root = next(p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / 'snippets').is_dir())\n"
        "sys.path.insert(0, str(root))\n"
        "from snippets.double import double\nprint('twice three is', double(3))"
    )
    _tutorial_project(project, code)
    site = project.build()
    html = (site / "tutorials" / "intro.html").read_text()
    assert "twice three is 6" in html  # executed at build time
    assert 'href="../terms/double.html"' in html and "<math " in html
    assert not re.search(r'<script[^>]+src="https?://', html)
    term_page = (site / "terms" / "double.html").read_text()
    assert '<a href="../tutorials/intro.html">Intro tutorial</a>' in term_page
    cached = list((project.root / ".cache" / "termbook" / "tutorials").glob("intro-*.ipynb"))
    assert len(cached) == 1
    # editing the snippet it imports invalidates the cached run
    project.add_snippet("double", GOOD_SNIPPET.replace("return 2 * x", "return x + x"), GOOD_OUTPUT)
    project.build()
    assert len(list((project.root / ".cache" / "termbook" / "tutorials").glob("intro-*.ipynb"))) == 2


def test_failing_tutorial_fails_the_build_with_a_clear_message(project, caplog):
    _tutorial_project(project, "raise ValueError('the tutorial is broken')")
    with caplog.at_level(logging.ERROR), pytest.raises(Abort):
        project.build()
    assert "docs/tutorials/intro.ipynb: tutorial failed in cell 2: ValueError: the tutorial is broken" in caplog.text


FIGURE_CELL = (
    "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
    "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()\n"
    "plt.plot([0, 1], [0, 1])\nplt.show()"
)


def test_tutorial_figures_get_the_alt_text_written_in_their_cell(project):
    alts = ["A line falling from 1 to 0", 'A line rising "from 0 to 1" <steeply>']
    _tutorial_project(project, FIGURE_CELL, {"termbook": {"alt": alts}})
    html = (project.build() / "tutorials" / "intro.html").read_text()
    assert 'alt="A line falling from 1 to 0"' in html
    assert 'alt="A line rising &quot;from 0 to 1&quot; &lt;steeply&gt;"' in html
    assert "No description has been provided" not in html


def test_tutorial_figure_without_alt_text_is_reported_with_its_cell(project, caplog):
    _tutorial_project(project, FIGURE_CELL, {"termbook": {"alt": "only one of two"}})
    with caplog.at_level(logging.WARNING), pytest.raises(Abort):  # a warning: strict builds stop
        project.build()
    assert "docs/tutorials/intro.ipynb: cells[1].metadata.termbook.alt: cell 2 draws 2 figures but has 1 alt text" in caplog.text


def test_alt_texts_never_label_the_wrong_image():
    from termbook.tutorials import NBCONVERT_PLACEHOLDER, figure_alt_texts, with_alt_texts

    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "![x](y.png)"},
            {"cell_type": "code", "metadata": {"termbook": {"alt": "first"}}, "outputs": [{"data": {"image/png": "..."}}]},
            {"cell_type": "code", "metadata": {}, "outputs": [{"data": {"text/plain": "no figure"}}]},
            {"cell_type": "code", "metadata": {}, "outputs": [{"data": {"image/svg+xml": "<svg/>"}}]},
        ]
    }
    alts, problems = figure_alt_texts(nb, "t.ipynb")
    assert alts == ["first", None]
    assert [p.field for p in problems] == ["cells[3].metadata.termbook.alt"]
    page = f"<img {NBCONVERT_PLACEHOLDER}><img {NBCONVERT_PLACEHOLDER}>"
    assert with_alt_texts(page, alts) == f'<img alt="first"><img {NBCONVERT_PLACEHOLDER}>'
    assert with_alt_texts(page + f"<img {NBCONVERT_PLACEHOLDER}>", alts) is None  # a third: do not guess


def test_every_tutorial_figure_in_the_site_has_alt_text():
    from termbook.tutorials import figure_alt_texts

    for path in sorted((ROOT / "site_src" / "tutorials").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for number, cell in enumerate(nb["cells"], start=1):
            if cell["cell_type"] == "code" and "plt.show()" in "".join(cell["source"]):
                alt = cell["metadata"].get("termbook", {}).get("alt")
                count = "".join(cell["source"]).count("plt.show()")
                assert alt and len([alt] if isinstance(alt, str) else alt) == count, f"{path.name} cell {number}"
        assert not figure_alt_texts(nb, path.name)[1]  # (the committed notebooks carry no outputs)


def test_every_term_notebook_is_valid_nbformat(real_terms):
    for slug, t in real_terms.items():
        nb = nbformat.reads(term_notebook(t, Project.discover(ROOT)), as_version=4)
        nbformat.validate(nb)  # the build writes the JSON itself; the schema is checked here
        assert nb.metadata["termbook"]["term"] == slug
