"""Make a term findable by its aliases in Material's search index.

Material indexes each page section with its heading as the title. A term's aliases are on its
page, but only as body text, where other pages mentioning the same acronym can outrank it. After
the index is written, :func:`add_aliases` puts them into the title of the term's first section:
"Batch Normalization (BatchNorm, BN, batch norm)" — which is also what the result list shows.
"""

from __future__ import annotations

import html
import json


def add_aliases(index_text: str, aliases_by_location: dict[str, list[str]]) -> str:
    """Return the search index JSON with aliases added to the titles of the given pages."""
    index = json.loads(index_text)
    for doc in index.get("docs", []):
        aliases = aliases_by_location.get(doc.get("location"))
        if aliases:
            shown = ", ".join(html.escape(a, quote=False) for a in aliases)
            doc["title"] = f"{doc.get('title', '')} ({shown})"
    return json.dumps(index, ensure_ascii=False, separators=(",", ":"))
