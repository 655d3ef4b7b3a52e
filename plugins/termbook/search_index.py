"""Make a term findable by its aliases in Material's search index.

Material indexes each page section with its heading as the title. A term's aliases are on its
page, but only as body text, where other pages mentioning the same acronym can outrank it. After
the index is written, :func:`add_aliases` puts them into the title of the term's first section:
"Batch Normalization (BatchNorm, BN, batch norm)" — which is also what the result list shows.

The index holds the text of every page (about 12 MB for 1,000 terms), so it is edited as bytes,
entry by entry, rather than parsed into objects and written again: parsing it took several times
its size in memory at the very end of a build, when mkdocs still holds every page.
"""

from __future__ import annotations

import html
import json
import re

# One entry of the index as Material writes it: json.dumps(..., separators=(",", ":")), keys in the
# order location, title, text. Inside a JSON string every '"' is escaped, so this pattern can only
# match the start of an entry.
_ENTRY = re.compile(rb'\{"location":("(?:[^"\\]|\\.)*"),"title":("(?:[^"\\]|\\.)*")')


def add_aliases(index: bytes, aliases_by_location: dict[str, list[str]]) -> bytes:
    """Return the search index JSON with aliases added to the titles of the given pages."""
    if not aliases_by_location:
        return index
    found = False

    def retitle(m: re.Match) -> bytes:
        nonlocal found
        found = True
        raw = m[1]
        location = raw[1:-1].decode() if b"\\" not in raw else json.loads(raw)
        aliases = aliases_by_location.get(location)
        if not aliases:
            return m[0]
        return b'{"location":' + raw + b',"title":' + json.dumps(_titled(json.loads(m[2]), aliases)).encode()

    edited = _ENTRY.sub(retitle, index)
    if found:
        return edited
    return _add_aliases_parsed(index, aliases_by_location)  # written some other way: read it whole


def _titled(title: str, aliases: list[str]) -> str:
    return f"{title} ({', '.join(html.escape(a, quote=False) for a in aliases)})"


def _add_aliases_parsed(index: bytes, aliases_by_location: dict[str, list[str]]) -> bytes:
    data = json.loads(index)
    for doc in data.get("docs", []):
        aliases = aliases_by_location.get(doc.get("location"))
        if aliases:
            doc["title"] = _titled(doc.get("title", ""), aliases)
    return json.dumps(data, separators=(",", ":")).encode()
