"""Aliases go into the titles of the term pages' first search entries, whatever the titles hold."""

from __future__ import annotations

import json

import pytest
from termbook.search_index import add_aliases

DOCS = [
    {"location": "index.html", "title": "Home", "text": '<p>BN is {"location":"x"}</p>'},
    {"location": "terms/batch-normalization.html", "title": "Batch Normalization", "text": "<p>…</p>"},
    {"location": "terms/batch-normalization.html#faq", "title": "FAQ", "text": ""},
    {"location": "terms/odd.html", "title": 'A "quoted" \\ title – ü', "text": "x"},
    {"location": "terms/caf\u00e9.html", "title": "Café", "text": "y"},
]
ALIASES = {
    "terms/batch-normalization.html": ["BN", "BatchNorm"],
    "terms/odd.html": ["<odd>"],
    "terms/café.html": ["coffee"],
}
EXPECTED_TITLES = [
    "Home",
    "Batch Normalization (BN, BatchNorm)",
    "FAQ",  # only the page's first entry (no #anchor) gets the aliases
    'A "quoted" \\ title – ü (&lt;odd&gt;)',
    "Café (coffee)",
]


def material_index(**dump) -> bytes:
    """An index written the way Material's search plugin writes it (or otherwise, with ``dump``)."""
    data = {"config": {"lang": ["en"], "separator": "[\\s\\-]+"}, "docs": DOCS}
    return json.dumps(data, **(dump or {"separators": (",", ":"), "default": str})).encode()


@pytest.mark.parametrize(
    "dump",
    [{}, {"indent": 2}, {"separators": (",", ":"), "ensure_ascii": False}],
    ids=["as-material-writes-it", "pretty-printed", "unescaped-unicode"],
)
def test_aliases_go_into_the_first_entry_of_each_term(dump):
    out = json.loads(add_aliases(material_index(**dump), ALIASES))
    assert [d["title"] for d in out["docs"]] == EXPECTED_TITLES
    assert [d["text"] for d in out["docs"]] == [d["text"] for d in DOCS]  # the rest untouched
    assert out["config"] == {"lang": ["en"], "separator": "[\\s\\-]+"}


def test_entries_are_edited_in_place_not_rewritten():
    index = material_index()
    out = add_aliases(index, {"terms/batch-normalization.html": ["BN"]})
    assert out == index.replace(b'"title":"Batch Normalization"', b'"title":"Batch Normalization (BN)"')


def test_no_aliases_leaves_the_index_as_it_was():
    index = material_index()
    assert add_aliases(index, {}) is index
    assert add_aliases(index, {"terms/unknown.html": ["X"]}) == index
