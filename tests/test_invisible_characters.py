"""Direction controls and other invisible characters are located errors, in term files and snippets."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from termbook.loading import load_glossary
from termbook.safety import INVISIBLE

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term

CHARS = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u200b", "\u2060", "\u00ad", "\U000e0041", "\u2028"]
FIELDS = {
    "term": lambda d, c: d.__setitem__("term", f"Na{c}me"),
    "aliases[0]": lambda d, c: d.__setitem__("aliases", [f"al{c}ias"]),
    "summary": lambda d, c: d.__setitem__("summary", f"A sum{c}mary."),
    "definition": lambda d, c: d.__setitem__("definition", f"Para.\n\nDefi{c}nition."),
    "how_it_works": lambda d, c: d.__setitem__("how_it_works", f"$x{c}$"),
    "faq[0].q": lambda d, c: d.__setitem__("faq", [{"q": f"Wh{c}y?", "a": "Because."}]),
    "faq[0].a": lambda d, c: d.__setitem__("faq", [{"q": "Why?", "a": f"Be{c}cause."}]),
    "tags[0]": lambda d, c: d.__setitem__("tags", [f"ta{c}g"]),
    "references[0].title": lambda d, c: d.__setitem__("references", [{"title": f"Ti{c}tle"}]),
}


def test_the_pattern_is_exactly_the_format_characters_and_separators():
    expected = {c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c) in ("Cf", "Zl", "Zp")}
    assert {c for c in expected if INVISIBLE.match(c)} == expected
    assert not INVISIBLE.search("plain text, émigré, 数学, σ², ∑, 🙂, tab\there")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("char", CHARS, ids=[f"U+{ord(c):04X}" for c in CHARS])
def test_each_field_rejects_invisible_characters(project, field, char):
    data = term("Name")
    FIELDS[field](data, char)
    project.add_term("x", data)
    terms, problems = load_glossary(project.root)
    assert terms == []
    hidden = [p for p in problems if "invisible character" in p.message]
    assert len(hidden) == 1, [p.format() for p in problems]
    problem = hidden[0]
    assert problem.file == "terms/x.yml" and problem.line is not None and problem.column is not None
    assert problem.field == field
    assert f"U+{ord(char):04X}" in problem.message
    assert char not in problem.format()  # the report shows the code point, not the character


@pytest.mark.parametrize("name", ["x.py", "helper.py", "x.out"])
def test_snippets_and_pinned_outputs_reject_them(project, name):
    project.add_term("x", term("X"))
    project.add_snippet("x", GOOD_SNIPPET, GOOD_OUTPUT)
    path = project.root / "snippets" / name
    text = path.read_text() if path.exists() else "VALUE = 1\n"
    path.write_text(text + 'access = "user\u202e \u2066# admin\u2069\u2066"\n')
    _, problems = load_glossary(project.root)
    hidden = [p for p in problems if "invisible" in p.message]
    assert len(hidden) == 4  # one per character, each at its own column
    problem = hidden[0]
    assert problem.file == f"snippets/{name}"
    assert problem.line == len(text.splitlines()) + 1 and problem.column == 15
