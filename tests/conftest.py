"""Shared fixtures: a tiny termbook project written into tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

MKDOCS_YML = """\
site_name: tiny
docs_dir: docs
site_dir: site
theme:
  name: material
  font: false
nav:
  - Home: index.md
  - A–Z index: terms/index.md
  - Tags: tags.md
  - Graph: graph.md
plugins:
  - search
  - tags
  - termbook:
      jobs: 2
  - offline
validation:
  nav:
    omitted_files: ignore
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.details
  - pymdownx.highlight
  - pymdownx.superfences
  - pymdownx.arithmatex:
      generic: true
"""


def term(name: str, **fields) -> dict:
    """A valid term dict with short but true text; override any field."""
    data = {
        "term": name,
        "summary": f"{name} is a concept used in the tests.",
        "definition": f"{name} is defined here.\n\nA second paragraph about {name}.",
    }
    data.update(fields)
    return data


class Project:
    def __init__(self, root: Path):
        self.root = root
        (root / "terms").mkdir(parents=True, exist_ok=True)
        (root / "snippets").mkdir(exist_ok=True)
        (root / "docs").mkdir(exist_ok=True)
        (root / "snippets" / "__init__.py").write_text("")
        (root / "mkdocs.yml").write_text(MKDOCS_YML)
        (root / "docs" / "index.md").write_text("# Tiny\n\nHello.\n")
        (root / "docs" / "tags.md").write_text("# Tags\n\n<!-- material/tags -->\n")

    def add_term(self, slug: str, data: dict | str) -> Path:
        path = self.root / "terms" / f"{slug}.yml"
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path

    def add_snippet(self, module: str, source: str, expected: str | None = None) -> Path:
        path = self.root / "snippets" / f"{module}.py"
        path.write_text(textwrap.dedent(source))
        if expected is not None:
            path.with_suffix(".out").write_text(expected)
        return path

    def build(self, strict: bool = True) -> Path:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        config = load_config(str(self.root / "mkdocs.yml"), strict=strict)
        build(config)
        return self.root / "site"


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "proj")


GOOD_SNIPPET = '''
import numpy as np


def double(x):
    """Twice ``x``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    """
    return 2 * x


def check_double_is_linear():
    x = np.arange(3.0)
    np.testing.assert_allclose(double(x + x), double(x) + double(x))


if __name__ == "__main__":
    print("double:", double(np.arange(3.0)))
'''
GOOD_OUTPUT = "double: [0. 2. 4.]\n"
