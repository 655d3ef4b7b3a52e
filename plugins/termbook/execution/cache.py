"""The run cache under ``.cache/termbook/``: what a snippet did, keyed on what was executed.

One JSON file per key (a :class:`~.protocol.RunReply`). Writes go to a temporary file in the same directory and are moved into
place with ``os.replace``, so a reader sees a whole entry or none, and two builds writing at once
cannot interleave. An entry that does not parse, or whose recorded key differs from its name, is
treated as missing (and rewritten by the next run).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..files import atomic_write_text

FORMAT = 2  # 2: the value is a RunReply; judging it against the pinned output is not cached


class Cache:
    """Entries under ``directory/<folder>/<xx>/<key>.json``: ``runs`` for snippet runs, ``audit``
    for what ``termbook check`` found in a term page's HTML."""

    def __init__(self, directory: Path, enabled: bool = True, folder: str = "runs"):
        self.directory = Path(directory)
        self.enabled = enabled
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.directory / self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get("format") != FORMAT:
            return None
        value = entry.get("value")
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> bool:
        """Store ``value``; False when the cache cannot be written (the build goes on without it)."""
        if not self.enabled:
            return False
        data = json.dumps({"format": FORMAT, "key": key, "value": value}, ensure_ascii=False)
        try:
            atomic_write_text(self._path(key), data, mode=0o600)
        except OSError:
            return False
        return True

    def prune(self, keep: set[str]) -> int:
        """Remove every entry whose key is not in ``keep``; how many were removed."""
        removed = 0
        for path in (self.directory / self.folder).glob("*/*.json"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def make_key(parts: dict[str, Any]) -> str:
    """A stable hash of JSON-able ``parts``."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
