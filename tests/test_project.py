"""project.py: folders and options resolved once, honoured by every part (build, check, pytest, tutorials)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from termbook.cli import main
from termbook.project import Layout, Project

from .conftest import MKDOCS_YML, term

CUSTOM = {
    "terms_dir": "glossary/entries",
    "snippets_dir": "code/examples",
    "cache_dir": ".tb-cache",
    "url_prefix": "glossary",
    "files_prefix": "glossary",
}


def custom_project(root: Path) -> Path:
    """A tiny project whose every folder has a non-default name; the snippets package is `examples`."""
    root.mkdir(parents=True)
    config = yaml.safe_load(MKDOCS_YML)
    config["plugins"] = ["search", "tags", {"termbook": {**CUSTOM, "jobs": 2}}, "offline"]
    config["nav"] = [{"Home": "index.md"}, {"Glossary": "glossary/index.md"}, {"Tags": "tags.md"}, {"Graph": "glossary/graph.md"}]
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Home\n\nSee the [glossary](glossary/index.md).\n")
    (root / "docs" / "tags.md").write_text("# Tags\n\n<!-- material/tags -->\n")
    entries = root / "glossary" / "entries"
    entries.mkdir(parents=True)
    (entries / "base.yml").write_text(yaml.safe_dump(term("Base", definition="Base is $x^2$.\n\nMore.", related=["user"])))
    (entries / "user.yml").write_text(yaml.safe_dump(term("User", definition="User builds on Base.\n\nMore.", related=["base"])))
    code = root / "code" / "examples"
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "base.py").write_text(
        "def f():\n    return 1\n\ndef check_f():\n    assert f() == 1\n\nif __name__ == '__main__':\n    print(f())\n"
    )
    (code / "base.out").write_text("1\n")
    (code / "user.py").write_text(
        "from examples.base import f\n\ndef check_g():\n    assert f() + 1 == 2\n\nif __name__ == '__main__':\n    print(f() + 1)\n"
    )
    (code / "user.out").write_text("2\n")
    return root


def test_discover_reads_the_plugin_options_of_mkdocs_yml(tmp_path):
    root = custom_project(tmp_path / "p")
    project = Project.discover(root)
    assert project.terms_dir == root / "glossary" / "entries"
    assert project.snippets_dir == root / "code" / "examples" and project.snippets_package == "examples"
    assert project.import_root == root / "code"
    assert project.cache_dir == root / ".tb-cache"
    assert project.docs_dir == root / "docs"
    assert project.layout == Layout("glossary", "glossary")


def test_layout_paths_and_relative_links():
    layout = Layout("glossary", "glossary")
    assert layout.term_page("dropout") == "glossary/dropout.md"
    assert layout.figure("dropout", 1) == "glossary/figures/dropout-1.svg"
    assert layout.link(layout.term_page("dropout"), layout.figure("dropout", 1)) == "figures/dropout-1.svg"
    assert layout.slug_of("glossary/dropout.md") == "dropout" and layout.slug_of("glossary/index.md") is None
    default = Layout()
    assert default.graph_page == "graph.md" and default.link("terms/x.md", "notebooks/x.ipynb") == "../notebooks/x.ipynb"


@pytest.mark.parametrize(
    ("url_prefix", "from_page"),
    [
        ("terms", "paths/normalization.md"),
        ("terms", "terms/index.md"),
        ("terms", "index.md"),
        ("docs/glossary", "docs/glossary/paths/x.md"),
        ("docs/glossary", "other/deep/page.md"),
        ("glossary", "glossary/sub/page.md"),
    ],
)
def test_a_term_link_is_the_relative_link_to_the_term_page(url_prefix, from_page):
    layout = Layout(url_prefix)
    assert layout.term_link(from_page, "dropout") == layout.link(from_page, layout.term_page("dropout"))


def test_check_and_build_honour_every_folder_and_the_prefix(tmp_path, capsys):
    root = custom_project(tmp_path / "p")
    assert main(["--root", str(root), "check"]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "2 terms, 0 errors" in err and "2 verified" in err
    assert list((root / ".tb-cache").rglob("*.json")) and not (root / ".cache").exists()
    # editing the imported snippet re-runs its dependent (dependencies of a package not named `snippets`)
    (root / "code" / "examples" / "base.py").write_text(
        (root / "code" / "examples" / "base.py").read_text().replace("return 1", "return 5")
    )
    assert main(["--root", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert "user: not verified" in err and "2 run" in err
    (root / "code" / "examples" / "base.py").write_text(
        (root / "code" / "examples" / "base.py").read_text().replace("return 5", "return 1")
    )

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    build(load_config(str(root / "mkdocs.yml"), strict=True))
    site = root / "site"
    assert (site / "glossary" / "base.html").is_file() and (site / "glossary" / "index.html").is_file()
    assert (site / "glossary" / "graph.html").is_file() and (site / "glossary" / "terms.json").is_file()
    assert not (site / "terms").exists()
    page = (site / "glossary" / "base.html").read_text()
    assert '<a href="user.html"' in page and "<math" in page
    assert 'href="notebooks/base.ipynb"' in page
    graph = (site / "glossary" / "graph.html").read_text()
    assert 'href="base.html"' in graph  # links of the whole-glossary picture resolve from the prefix
    data = json.loads((site / "glossary" / "terms.json").read_text())
    assert {t["url"] for t in data["terms"]} == {"glossary/base.html", "glossary/user.html"}
    notebook = json.loads((site / "glossary" / "notebooks" / "user.ipynb").read_text())
    assert "'examples/base.py'" in "".join("".join(c["source"]) for c in notebook["cells"])


def test_pytest_items_come_from_the_configured_terms_folder(tmp_path, pytester):
    root = custom_project(pytester.path / "proj")
    result = pytester.runpytest(str(root / "glossary" / "entries"), "--rootdir", str(root), "-q")
    result.assert_outcomes(passed=2)


def test_tutorial_cache_key_follows_the_snippets_package(tmp_path):
    from termbook.tutorials import tutorial_cache_key

    root = custom_project(tmp_path / "p")
    (root / "docs" / "tutorials").mkdir()
    nb = root / "docs" / "tutorials" / "t.ipynb"
    nb.write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "code", "source": "from examples.base import f\nprint(f())"}],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    project = Project.discover(root)
    before = tutorial_cache_key(nb, project)
    (root / "code" / "examples" / "base.py").write_text("def f():\n    return 2\n")
    assert tutorial_cache_key(nb, project) != before
