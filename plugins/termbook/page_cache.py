"""Finished term pages kept between builds, so that a warm build does not convert their Markdown again.

Most of a warm build's time is Python-Markdown turning every term page into HTML (with the
site's extensions, Pygments for the code) and termbook sanitising it — work whose result is the
same as last time when nothing the page shows changed. A :class:`PageCache` keeps, per term page,
what that work produced: the content HTML as :meth:`termbook.finishing.Site.content` leaves it
(sanitised, highlighted code set aside), the code set aside, the title, the table of contents and
the anchors. The generator then skips the conversion of a page whose key is in the cache.

The key is everything the conversion depends on (:func:`page_key`): the page's Markdown after
every plugin changed it, its front matter, its source path and URL, and a :class:`RenderContext` — the Markdown
extensions and their settings, how URLs are written, every file of the site with its URL (a
link's target and whether it exists), the plugins in order, the versions of the libraries that
render, and termbook's own code. A page whose conversion reported anything (a generator warning,
a sanitiser removal) is not kept: those reports must be made again by every build, and
``--strict`` must fail on them every time.

Entries live in ``<cache_dir>/pages/`` (one JSON file each, written atomically, as snippet runs);
:meth:`PageCache.prune` removes those a whole build did not use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .execution.cache import Cache, make_key

FOLDER = "pages"
FORMAT = 1
RENDERING_DISTRIBUTIONS = ("markdown", "pymdown-extensions", "pygments", "nh3", "latex2mathml", "mkdocs", "mkdocs-material")


@dataclass(frozen=True)
class Heading:
    """One entry of a page's table of contents (as MkDocs' ``AnchorLink``)."""

    title: str
    id: str
    level: int
    children: tuple[Heading, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Heading:
        return cls(str(data["title"]), str(data["id"]), int(data["level"]), tuple(cls.from_dict(c) for c in data.get("children", ())))


@dataclass
class FinishedPage:
    """What converting one page produced, as the next build needs it."""

    html: str  # the content after Site.content: sanitised, highlighted code set aside
    parked: list[str]  # the code set aside, put back by Site.page
    title: str | None  # the title the conversion found (the first heading)
    toc: list[Heading] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)  # the ids a link may point at
    anchor_links: dict[str, dict[str, str]] = field(default_factory=dict)  # target page -> {anchor: link as written}

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FinishedPage | None:
        """The page of a cache entry; None when the entry is of another format or malformed."""
        if data.get("format") != FORMAT:
            return None
        try:
            return cls(
                html=str(data["html"]),
                parked=[str(b) for b in data["parked"]],
                title=None if data["title"] is None else str(data["title"]),
                toc=[Heading.from_dict(h) for h in data["toc"]],
                anchors=[str(a) for a in data["anchors"]],
                anchor_links={str(k): {str(a): str(link) for a, link in v.items()} for k, v in data["anchor_links"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


@dataclass(frozen=True)
class RenderContext:
    """What every page's conversion depends on besides its own Markdown; one per build."""

    fingerprint: str

    @classmethod
    def of(
        cls,
        *,
        extensions: Iterable[Any],
        extension_configs: Mapping[str, Any],
        directory_urls: bool,
        files: Iterable[tuple[str, str]],
        plugins: Iterable[str],
    ) -> RenderContext:
        """``files``: (source path, URL) of every file of the site; ``plugins``: the plugins' names in order."""
        digest = hashlib.sha256()
        for item in sorted(files):
            digest.update(f"{item[0]}\0{item[1]}\n".encode())
        parts = {
            "format": FORMAT,
            "renderer": renderer_version(),
            "plugins": [f"{name}:{_distribution_version(name)}" for name in plugins],
            "extensions": [stable(e) for e in extensions],
            "configs": stable(extension_configs),
            "directory_urls": directory_urls,
            "files": digest.hexdigest(),
        }
        return cls(make_key(parts))


def page_key(context: RenderContext, page: str, url: str, markdown: str, meta: Mapping[str, Any]) -> str:
    """The key of one page: its Markdown and front matter (a plugin may read either), where it is, the context."""
    return make_key({"context": context.fingerprint, "page": page, "url": url, "markdown": markdown, "meta": stable(meta)})


class PageCache:
    """Finished pages by key under ``<cache_dir>/pages/``; remembers the keys a build used."""

    def __init__(self, cache_dir: Path, enabled: bool = True):
        self._store = Cache(cache_dir, enabled=enabled, folder=FOLDER)
        self.used: set[str] = set()
        self.reused = 0  # pages found
        self.kept = 0  # pages converted and stored

    @property
    def enabled(self) -> bool:
        return self._store.enabled

    def get(self, key: str) -> FinishedPage | None:
        entry = self._store.get(key)
        page = FinishedPage.from_dict(entry) if entry is not None else None
        if page is not None:
            self.used.add(key)
            self.reused += 1
        return page

    def put(self, key: str, page: FinishedPage) -> None:
        if self._store.put(key, page.to_dict()):
            self.used.add(key)
            self.kept += 1

    def prune(self) -> int:
        """Remove the entries this build did not use (call after a whole build); how many."""
        return self._store.prune(self.used)


def stable(value: Any) -> Any:
    """``value`` as JSON-able data that is the same in every process (functions by their import path).

    Extension settings may hold functions (a fence's formatter, written ``!!python/name:`` in
    mkdocs.yml) whose ``repr`` holds a memory address: keyed as is, no page would ever be found.
    """
    if isinstance(value, Mapping):
        return {str(k): stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [stable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    return f"{type(value).__module__}.{type(value).__qualname__}"  # an extension instance: its class


@lru_cache(maxsize=1)
def renderer_version() -> str:
    """Changes whenever termbook's code or a library that renders or sanitises a page changes."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*here.rglob("*.py"), *(here / "templates").glob("*")]):
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    for name in RENDERING_DISTRIBUTIONS:
        digest.update(_distribution_version(name).encode() or name.encode())
    return digest.hexdigest()[:16]


@cache
def _distribution_version(name: str) -> str:
    """``dist=version`` of the distribution providing a plugin (by its entry point) or of a distribution; '' if unknown."""
    try:
        for entry in metadata.entry_points(group="mkdocs.plugins", name=name):
            if entry.dist is not None:
                return f"{entry.dist.name}={entry.dist.version}"
        return f"{name}={metadata.version(name)}"
    except (metadata.PackageNotFoundError, ValueError):
        return ""
