"""``termbook new``: the starting files for a term. Never overwrites anything."""

from __future__ import annotations

import os
from pathlib import Path

from .model import module_name, slugify
from .project import Project

TERM_TEMPLATE = """\
# yaml-language-server: $schema=../schema/term.schema.json
term: {name}
aliases: []
summary: >-
  One sentence, at most 200 characters, that says what {name} is.
definition: |
  What {name} is, in two paragraphs or more.

  The second paragraph: where it comes from and where it is used.
how_it_works: |
  How it works, with the key formula in LaTeX, e.g. $y = f(x)$.
example: |
  A concrete example, with numbers.
why_it_matters: |
  Why it matters.
faq:
  - q: A question a reader would ask?
    a: |
      Its answer.
related: []
tags: []
references: []
"""

SNIPPET_TEMPLATE = '''\
"""{name} in NumPy.

Replace the example function and check with the real thing; see "How to add a term".
"""

import numpy as np


def scale(x, factor):
    """Multiply ``x`` by ``factor``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    factor : float

    Returns
    -------
    out : ndarray of shape (N, D)
    """
    return x * factor


def check_scale_is_linear():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 4, 3))
    np.testing.assert_allclose(scale(x + y, 2.0), scale(x, 2.0) + scale(y, 2.0))


if __name__ == "__main__":
    x = np.arange(6.0).reshape(2, 3)
    print("x =", x.tolist())
    print("scale(x, 2) =", scale(x, 2.0).tolist())
'''


# Sentences of the templates above that a finished term never keeps: a file that still has one is
# not ready to publish, whatever else it says.
TERM_PLACEHOLDERS = (
    "One sentence, at most 200 characters, that says what",
    "in two paragraphs or more.",
    "The second paragraph: where it comes from and where it is used.",
    "How it works, with the key formula in LaTeX, e.g.",
    "A concrete example, with numbers.",
    "A question a reader would ask?",
)
WHOLE_PLACEHOLDERS = ("Why it matters.", "Its answer.")  # placeholders only as the whole value
SNIPPET_PLACEHOLDER = 'Replace the example function and check with the real thing; see "How to add a term".'


def placeholder_fields(values: dict[tuple, str]) -> list[tuple[tuple, str]]:
    """``(path, placeholder)`` for every value that still holds text of the ``termbook new`` template."""
    found = []
    for path, value in values.items():
        text = " ".join(value.split())
        hit = next((p for p in TERM_PLACEHOLDERS if p in text), None) or (text if text in WHOLE_PLACEHOLDERS else None)
        if hit:
            found.append((path, hit))
    return found


class ScaffoldError(Exception):
    pass


def new_term(project: Project, name: str) -> list[Path]:
    """Create ``terms/<slug>.yml`` and ``snippets/<module>.py`` (the project's folders); refuse if either exists."""
    root = project.root
    name = " ".join(name.split())
    if not name:
        raise ScaffoldError('the term needs a name, e.g. termbook new "Layer Normalization"')
    slug = slugify(name)
    term_path = project.terms_dir / f"{slug}.yml"
    snippet_path = project.snippets_dir / f"{module_name(slug)}.py"
    existing = [p for p in (term_path, snippet_path) if p.exists()]
    if existing:
        raise ScaffoldError("not overwriting " + " and ".join(str(p.relative_to(root)) for p in existing) + "; edit it, or remove it first")
    quoted = name if name.replace(" ", "").replace("-", "").isalnum() else '"' + name.replace('"', '\\"') + '"'
    written = []
    for path, text in ((term_path, TERM_TEMPLATE.format(name=quoted)), (snippet_path, SNIPPET_TEMPLATE.format(name=name))):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # O_EXCL: never clobber
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        written.append(path)
    return written
