"""Term pages as HTML without MkDocs, with the site's own Markdown extensions.

``termbook check`` needs the HTML a build would publish to audit it (see
:func:`termbook.auditing.audit_pages`), but imports nothing from MkDocs. The extensions and their
settings are read from ``mkdocs.yml`` (``markdown_extensions``), the same list MkDocs hands to
Python-Markdown; values the file writes with Python tags (``!!python/name:...``) are left out, as
they only choose formatters, never what Markdown becomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markdown

from .project import has_unresolved, read_mkdocs_yml

# What termbook's own mkdocs.yml enables; used when the project has no mkdocs.yml.
DEFAULT_EXTENSIONS: tuple[str, ...] = (
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.keys",
    "pymdownx.superfences",
    "pymdownx.arithmatex",
)
DEFAULT_CONFIGS: dict[str, dict[str, Any]] = {"pymdownx.arithmatex": {"generic": True}, "toc": {"permalink": True}}


@dataclass(frozen=True)
class MarkdownProfile:
    """The Markdown extensions (and their settings) a site renders pages with."""

    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    configs: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(DEFAULT_CONFIGS))

    @classmethod
    def from_mkdocs_yml(cls, path: Path) -> MarkdownProfile:
        """The profile of ``mkdocs.yml`` at ``path``; the default one if it has none."""
        entries = read_mkdocs_yml(path).get("markdown_extensions")
        if not isinstance(entries, list):
            return cls()
        extensions: list[str] = []
        configs: dict[str, dict[str, Any]] = {}
        for entry in entries:
            if isinstance(entry, str):
                extensions.append(entry)
            elif isinstance(entry, dict) and len(entry) == 1:
                name, options = next(iter(entry.items()))
                extensions.append(str(name))
                if isinstance(options, dict):
                    configs[str(name)] = {k: v for k, v in options.items() if not has_unresolved(v)}
        return cls(tuple(extensions), configs)

    def renderer(self) -> markdown.Markdown:
        try:
            return markdown.Markdown(extensions=list(self.extensions), extension_configs=self.configs)
        except Exception:  # an extension that is not installed or rejects its settings
            return markdown.Markdown(extensions=list(DEFAULT_EXTENSIONS), extension_configs=DEFAULT_CONFIGS)


def to_html(renderer: markdown.Markdown, text: str) -> str:
    renderer.reset()
    return renderer.convert(text)
