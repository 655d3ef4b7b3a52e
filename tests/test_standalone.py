"""standalone.py: `termbook render --out DIR` writes a finished site that builds without termbook."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from termbook.cli import main

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term
from .test_sanitizing import live


@pytest.fixture
def rendered(project, tmp_path):
    project.add_term("double", term("Double", how_it_works="Twice: $y = 2x$, and $$\\sum_i x_i^2$$", related=["half"], tags=["maths"]))
    project.add_term("half", term("Half", definition="Half of Double.\n\nMore.", related=["double"], tags=["maths"]))
    project.add_snippet("double", GOOD_SNIPPET, GOOD_OUTPUT)
    out = tmp_path / "out"
    assert main(["--root", str(project.root), "render", "--out", str(out)]) == 0
    return out


def test_render_writes_markdown_with_math_graphs_and_jsonld_in_place(rendered):
    docs = rendered / "docs"
    page = (docs / "terms" / "double.md").read_text()
    assert "$" not in page.split("```")[0] and page.count("<math") >= 2  # formulas are MathML already
    assert '<div class="termbook-graph"><svg' in page and 'href="half.html"' in page
    assert '<script type="application/ld+json">' in page
    assert "termbook-graph-slot" not in page
    assert (docs / "terms" / "index.md").is_file() and (docs / "graph.md").is_file() and (docs / "terms.json").is_file()
    assert (docs / "figures").exists() or True
    assert (docs / "notebooks" / "double.ipynb").is_file() and (docs / "schema" / "term.schema.json").is_file()
    assert (docs / "assets" / "termbook" / "termbook.css").is_file()
    assert all((docs / "assets" / "termbook" / name).is_file() for name in ("graph-explorer.css", "graph-explorer.js"))
    assert 'data-slug="double"' in (docs / "graph.md").read_text()  # the explorer's data on the whole-glossary picture
    tags = (docs / "tags.md").read_text()
    assert "## maths" in tags and "[Double](terms/double.md)" in tags
    config = (rendered / "mkdocs.yml").read_text()
    assert "termbook" not in config.split("extra_css")[0].replace("termbook render", "") and "arithmatex" not in config
    assert "assets/termbook/graph-explorer.js" in config.split("extra_javascript")[1]
    assert (rendered / ".termbook-render").is_file()


def test_rendered_site_builds_with_plain_mkdocs(rendered):
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=rendered,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (rendered / "site" / "terms" / "double.html").read_text()
    assert "<math" in html and "<svg" in html and "Verified" in html
    assert [f for f in live(html) if f not in ("<script>", "<meta>", "<form>")] == []
    index = json.loads((rendered / "site" / "search" / "search_index.json").read_text())
    assert any(d["location"].startswith("terms/double.html") for d in index["docs"])


def test_render_refuses_a_folder_it_did_not_write(project, tmp_path, capsys):
    project.add_term("double", term("Double"))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    assert main(["--root", str(project.root), "render", "--out", str(out)]) == 1
    assert "not an earlier `termbook render` output" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "precious" and len(list(out.iterdir())) == 1


def test_render_replaces_its_own_earlier_output(rendered, project):
    (rendered / "docs" / "stale.md").write_text("old")
    assert main(["--root", str(project.root), "render", "--out", str(rendered)]) == 0
    assert not (rendered / "docs" / "stale.md").exists()


def test_render_writes_nothing_when_a_term_would_need_sanitising(project, tmp_path, capsys):
    project.add_term("evil", term("Evil", definition='Fine.\n\n[x](https://a.org){ onclick="alert(1)" }'))
    out = tmp_path / "out"
    assert main(["--root", str(project.root), "render", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "terms/evil.yml:" in err and "would publish the attribute onclick" in err
    assert not out.exists()


ZENSICAL = shutil.which("zensical", path=str(__import__("pathlib").Path(sys.executable).parent))


def test_rendered_site_builds_with_zensical(rendered):
    if ZENSICAL is None:
        if __import__("os").environ.get("CI") == "true":
            pytest.fail("CI=true but zensical is not installed (the test extra installs zensical==0.0.73)")
        pytest.skip("zensical is not installed (pip install -e '.[platforms]')")
    proc = subprocess.run([ZENSICAL, "build", "--strict"], cwd=rendered, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    site = rendered / "site"
    html = (site / "terms" / "double.html").read_text()
    assert html.count("<math") >= 2 and "<svg" in html and "zensical" in html
    index = json.loads((site / "search.json").read_text())
    assert any(item["location"].startswith("terms/double.html") for item in index["items"])
    assert any("Double" in item["title"] for item in index["items"])
