"""Where everything of a termbook project is, resolved once.

A :class:`Project` holds the absolute folders (terms, snippets, cache, docs, tutorials) and the
:class:`Layout` of the generated pages and files in the site. Every part of termbook takes the
project instead of folder names with defaults of its own, so an option is honoured everywhere.

The MkDocs plugin builds it from its configuration (:meth:`Project.create`); the CLI and the
pytest plugin read the same options from the ``termbook`` entry of ``mkdocs.yml``
(:meth:`Project.discover`), so ``termbook check`` and ``pytest`` see the folders the build sees.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULTS: dict[str, Any] = {
    "terms_dir": "terms",
    "snippets_dir": "snippets",
    "cache_dir": ".cache/termbook",
    "url_prefix": "terms",
    "files_prefix": "",
    "template": None,
    "notation_file": "notation.yml",
}


@dataclass(frozen=True)
class Layout:
    """Where generated pages and files go in the site, as docs-relative POSIX paths.

    Term pages and the A–Z index live under ``url_prefix`` (``terms/`` in termbook's own site,
    ``glossary/`` in a project's documentation); the graph page, figures, notebooks and
    ``terms.json`` under ``files_prefix`` (the site root by default).
    """

    url_prefix: str = "terms"
    files_prefix: str = ""

    def _files(self, *parts: str) -> str:
        return posixpath.join(self.files_prefix, *parts) if self.files_prefix else posixpath.join(*parts)

    def term_page(self, slug: str) -> str:
        return f"{self.url_prefix}/{slug}.md"

    @property
    def index_page(self) -> str:
        return f"{self.url_prefix}/index.md"

    @property
    def graph_page(self) -> str:
        return self._files("graph.md")

    def figure(self, slug: str, n: int) -> str:
        return self._files("figures", f"{slug}-{n}.svg")

    def notebook(self, slug: str) -> str:
        return self._files("notebooks", f"{slug}.ipynb")

    @property
    def terms_json(self) -> str:
        return self._files("terms.json")

    @property
    def schema(self) -> str:
        return self._files("schema", "term.schema.json")

    @property
    def notation_page(self) -> str:
        return self._files("notation.md")

    @property
    def paths_index(self) -> str:
        return self._files("paths", "index.md")

    def path_page(self, tag_slug: str) -> str:
        return self._files("paths", f"{tag_slug}.md")

    def asset(self, name: str) -> str:
        return self._files("assets", "termbook", name)

    def slug_of(self, page: str) -> str | None:
        """The slug of a term page path (``terms/dropout.md`` → ``dropout``), else None."""
        prefix = f"{self.url_prefix}/"
        if page.startswith(prefix) and page.endswith(".md") and "/" not in page[len(prefix) :]:
            slug = page[len(prefix) : -3]
            return None if slug == "index" else slug
        return None

    @staticmethod
    def link(from_page: str, to: str) -> str:
        """A relative link from one docs-relative file to another (Markdown resolves it)."""
        return posixpath.relpath(to, posixpath.dirname(from_page) or ".")

    def term_link(self, from_page: str, slug: str) -> str:
        """:meth:`link` to a term's page, the way to the term pages' folder worked out once per folder.

        A learning path links every term of its tag, and ``relpath`` is slow enough to show.
        """
        folder = _relative_folder(self.url_prefix, posixpath.dirname(from_page) or ".")
        return f"{slug}.md" if folder == "." else f"{folder}/{slug}.md"


@functools.lru_cache(maxsize=256)
def _relative_folder(folder: str, start: str) -> str:
    return posixpath.relpath(folder, start)  # both docs-relative: the working directory cancels out


@dataclass(frozen=True)
class Project:
    root: Path
    terms_dir: Path
    snippets_dir: Path  # also the name of the snippets package: `from <name>.softmax import ...`
    cache_dir: Path
    docs_dir: Path
    layout: Layout = field(default_factory=Layout)
    template: Path | None = None
    notation_file: Path | None = None  # the shared notation (symbols and meanings), if the project has one

    @property
    def tutorials_dir(self) -> Path:
        return self.docs_dir / "tutorials"

    @property
    def snippets_package(self) -> str:
        return self.snippets_dir.name

    @property
    def import_root(self) -> Path:
        """The folder put first on sys.path so that the snippets package imports."""
        return self.snippets_dir.parent

    @classmethod
    def create(cls, root: Path, options: dict[str, Any] | None = None, docs_dir: str | Path = "docs") -> Project:
        """A project from option values (missing ones take :data:`DEFAULTS`), relative to ``root``."""
        root = Path(root).resolve()
        opts = {**DEFAULTS, **{k: v for k, v in (options or {}).items() if k in DEFAULTS and v is not None}}
        template = opts["template"]
        return cls(
            root=root,
            terms_dir=(root / opts["terms_dir"]).resolve(),
            snippets_dir=(root / opts["snippets_dir"]).resolve(),
            cache_dir=(root / opts["cache_dir"]).resolve(),
            docs_dir=(root / docs_dir).resolve(),
            layout=Layout(str(opts["url_prefix"]).strip("/"), str(opts["files_prefix"] or "").strip("/")),
            template=(root / template).resolve() if template else None,
            notation_file=(root / opts["notation_file"]).resolve() if opts["notation_file"] else None,
        )

    @classmethod
    def discover(cls, root: Path, config_file: str = "mkdocs.yml") -> Project:
        """The project at ``root``, with the termbook options of its ``mkdocs.yml`` when it has one."""
        config = read_mkdocs_yml(Path(root) / config_file)
        return cls.create(root, termbook_options(config), config.get("docs_dir") or "docs")

    def with_root_relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


class Unresolved:
    """A value written with a tag this loader does not run (``!!python/name:``, ``!ENV``)."""


class _TolerantLoader(yaml.SafeLoader):
    pass


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: Unresolved())
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: Unresolved())


def has_unresolved(value: Any) -> bool:
    """Does ``value`` hold anything written with a Python tag (at any depth)?"""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return any(has_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unresolved(v) for v in value)
    return False


def without_unresolved(value: Any) -> Any:
    """``value`` without the parts written with Python tags (they need the project's code)."""
    if isinstance(value, dict):
        return {k: without_unresolved(v) for k, v in value.items() if not has_unresolved(v)}
    if isinstance(value, list):
        return [without_unresolved(v) for v in value if not has_unresolved(v)]
    return value


def read_mkdocs_yml(path: Path) -> dict[str, Any]:
    """``mkdocs.yml`` as data, with Python tags left unresolved; {} when absent or unreadable."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)  # noqa: S506 - a SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def termbook_options(config: dict[str, Any]) -> dict[str, Any]:
    """The options given to the ``termbook`` plugin in an ``mkdocs.yml``."""
    for entry in config.get("plugins") or []:
        if isinstance(entry, dict) and "termbook" in entry:
            options = entry["termbook"]
            return options if isinstance(options, dict) else {}
    return {}


def as_project(value: Project | Path | str) -> Project:
    """A project as given, or the one discovered at a folder (tests and scripts pass a path)."""
    return value if isinstance(value, Project) else Project.discover(Path(value))
