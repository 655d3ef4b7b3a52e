"""Generated pages and assets, kept on disk so that a build does not hold them all in memory.

MkDocs keeps the Markdown and the HTML of every page until the build ends; a plugin that also
keeps every generated page as text doubles the first. :class:`GeneratedFiles` writes each one
under the cache directory as soon as it is rendered (only if it changed, so that a warm build
writes nothing) and hands MkDocs its path, as for a page written by hand.
"""

from __future__ import annotations

from pathlib import Path

from .files import atomic_write_text


class GeneratedFiles:
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def put(self, rel: str, text: str) -> Path:
        """Store ``text`` as ``rel`` (a docs-relative path such as ``terms/dropout.md``); its path."""
        path = self.directory / rel
        data = text.encode("utf-8")
        try:
            unchanged = path.stat().st_size == len(data) and path.read_bytes() == data
        except OSError:
            unchanged = False
        if not unchanged:
            atomic_write_text(path, text)
        return path
