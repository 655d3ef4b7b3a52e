"""The search data: the compact term index, the full-text index (no code, LaTeX or repeated
sections; its postings decode to what was indexed) and what termbook changes in Material's files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from termbook.glossary import BuildOptions
from termbook.linking import plural
from termbook.markdown_html import MarkdownProfile, to_html
from termbook.pages import build_pages
from termbook.project import Project
from termbook.search_index import (
    END,
    MORE,
    STOP_WORDS,
    TF_STEPS,
    TextIndex,
    encode,
    material_stub,
    page_text,
    term_index_js,
    use_worker,
    words,
    write_search_data,
)

ROOT = Path(__file__).resolve().parents[1]

# a term page's content HTML as the pipeline hands it over: code parked, math as arithmatex
TERM_HTML = """<h1 id="batch-normalization">Batch Normalization<a class="headerlink" href="#batch-normalization">¶</a></h1>
<p class="termbook-aliases"><em>Also known as:</em> BatchNorm, BN</p>
<h2 id="what-is-batch-normalization">What is Batch Normalization?</h2>
<p>It reduces internal <em>covariate</em> shift, said Ioffe; the scale <span class="arithmatex">\\(\\gamma\\)</span> is learned.</p>
<div class="arithmatex">\\[\\hat x_i = \\frac{x_i - \\mu_B}{\\sigma_B}\\]</div>
<h2 id="in-code">In code</h2>
<div class="termbook-code-slot" data-n="0"></div>
<p>✔ Verified: 7 checks passed · NumPy 2.5.5</p><pre><code>after BN: means [0. 0. 0.]</code></pre>
<h2 id="frequently-asked-questions">Frequently asked questions</h2>
<details class="question"><summary>Does it need &lt;large&gt; batches, or $\\sqrt{m} > 8$?</summary><p>Statistics get noisy below eight.</p></details>
<h2 id="related-terms">Related terms</h2>
<ul><li><a href="dropout.html">Dropout</a>: A regularization technique that zeroes units.</li></ul>
<h2 id="tutorials">Tutorials</h2>
<p class="termbook-notation"><em>Notation on this page:</em> gamma the scale</p>
<h2 id="references">References</h2>
<ol><li>Sergey Ioffe (2015). Accelerating Deep Network Training</li></ol>
"""


def decode(packed: str) -> list[int]:
    digits = {c: (i, False) for i, c in enumerate(END)} | {c: (i, True) for i, c in enumerate(MORE)}
    out, value, shift = [], 0, 0
    for c in packed:
        d, more = digits[c]
        value += d << shift
        if more:
            shift += 5
            continue
        out.append(value)
        value, shift = 0, 0
    return out


def postings(data: dict, word: str) -> list[tuple[str, bool, int]]:
    """(page URL, in title, count step) for each page holding ``word``, decoded as the worker does."""
    vocabulary = data["words"].split("\n")
    packed = data["postings"].split("\n")[vocabulary.index(word)]
    out, page = [], -1
    for value in decode(packed):
        page += (value >> 4) + 1
        out.append((data["pages"][page][0], bool(value & 8), data["steps"][value & 7]))
    return out


@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, 1023, 1024, 10**6, 2**40])
def test_numbers_round_trip(n):
    assert decode(encode([n, 5, n])) == [n, 5, n]
    assert set(encode([n])) <= set(END + MORE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Batch Normalization (BN) and the mini-batch", ["batch", "normalization", "bn", "mini", "batch"]),
        ("Café, naïve, Ünïcode", ["cafe", "naive", "unicode"]),
        ("x = 3; in 2015 or 123456", ["2015"]),  # single letters, stop words and long numbers out
        ("self_attention", ["self", "attention"]),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_a_term_page_keeps_its_prose_and_drops_code_math_and_repeated_sections():
    text = page_text(TERM_HTML, term_page=True)
    for kept in ("Batch Normalization", "What is Batch Normalization?", "internal covariate shift", "Ioffe", "noisy below eight"):
        assert kept in text
    assert "Does it need <large> batches, or ?" in text  # entities decoded, no markup left
    for dropped in (
        "\\gamma",
        "\\frac",
        "sqrt",
        "mu_B",
        "¶",
        "Also known as",
        "Verified",
        "means [0.",
        "regularization technique",
        "Notation",
    ):
        assert dropped not in text, dropped
    assert "<" not in text.replace("<large>", "")


def test_other_pages_keep_every_section_but_not_code():
    html = '<h1 id="t">Tutorial</h1><h2 id="related-terms">Related terms</h2><p>kept here</p><pre>import numpy</pre>'
    text = page_text(html, term_page=False)
    assert "kept here" in text and "import" not in text


def test_postings_hold_pages_title_flags_and_counts():
    index = TextIndex()
    index.add("terms/batch-normalization.html", "Batch Normalization", TERM_HTML, summary="A layer that standardises features.")
    index.add("index.html", "Home", "<h1>Home</h1><p>" + "covariate " * 30 + "and normalization</p>")
    index.add("terms/empty.html", "Empty", "<p>nothing</p>", summary="Nothing at all.")
    data = json.loads(index.js().removeprefix("self.__termbookText = ").removesuffix(";\n"))
    assert [p[0] for p in data["pages"]] == ["index.html", "terms/batch-normalization.html", "terms/empty.html"]
    assert data["pages"][1] == ["terms/batch-normalization.html", "Batch Normalization", ""]  # a term shows its summary
    assert data["pages"][0][2].startswith("covariate covariate") and len(data["pages"][0][2]) <= 170
    assert postings(data, "covariate") == [("index.html", False, 21), ("terms/batch-normalization.html", False, 1)]
    assert postings(data, "normalization") == [("index.html", False, 1), ("terms/batch-normalization.html", True, 2)]
    assert postings(data, "standardises") == [("terms/batch-normalization.html", False, 1)]  # the summary is searchable
    assert postings(data, "nothing") == [("terms/empty.html", False, 2)]  # page and summary
    vocabulary = data["words"].split("\n")
    assert vocabulary == sorted(vocabulary)
    assert not set(vocabulary) & STOP_WORDS
    for absent in ("gamma", "frac", "means", "verified", "regularization", "dropout", "notation"):
        assert absent not in vocabulary, absent
    assert data["steps"] == list(TF_STEPS)


def test_pages_are_replaced_and_forgotten():
    index = TextIndex()
    index.add("a.html", "A", "<p>first</p>")
    index.add("a.html", "A", "<p>second</p>")
    index.add("b.html", "B", "<p>other</p>")
    index.retain(["a.html"])
    data = index.data()
    assert [p[0] for p in data["pages"]] == ["a.html"]
    assert data["words"].split("\n") == ["second"]


@pytest.fixture(scope="module")
def glossary():
    """The real glossary's terms and their pages' HTML (as Python-Markdown renders them, snippets not run)."""
    build = build_pages(BuildOptions(Project.discover(ROOT), run_snippets=False))
    assert not build.errors
    renderer = MarkdownProfile.from_mkdocs_yml(ROOT / "mkdocs.yml").renderer()
    layout = build.project.layout
    pages = {t.slug: to_html(renderer, build.pages[layout.term_page(t.slug)].split("\n---\n", 1)[1]) for t in build.terms}
    return build.terms, pages


def test_the_term_index_has_every_term_with_its_other_names(glossary):
    terms, _ = glossary
    js = term_index_js(terms, lambda slug: f"terms/{slug}.html")
    rows = json.loads(re.fullmatch(r"self\.__termbookTerms = (.*);\n", js, re.S)[1])
    assert len(rows) == len(terms)
    by_url = {row[0]: row for row in rows}
    url, name, summary, tags, others = by_url["terms/batch-normalization.html"]
    assert name == "Batch Normalization"
    assert summary.startswith("A layer that standardises")
    assert "normalization" in tags
    assert {"BN", "BatchNorm", "BNs", "Batch Normalizations"} <= set(others) and name not in others
    assert plural("Epoch") in by_url["terms/epoch.html"][4]  # the plural the linker knows


def test_search_data_is_small_per_term(glossary):
    """The real glossary: term index and full text together at most 3 KiB per term."""
    terms, pages = glossary
    index = TextIndex()
    for term in terms:
        index.add(f"terms/{term.slug}.html", term.name, pages[term.slug], summary=term.data.summary)
    vocabulary = set(index.data()["words"].split("\n"))
    assert {"covariate", "relu", "santurkar"} <= vocabulary  # prose, the summary's words, references
    assert not {"frac", "mathrm", "mathbb", "rng", "isclose"} & vocabulary  # no LaTeX, no code
    size = len(index.js().encode()) + len(term_index_js(terms, lambda slug: f"terms/{slug}.html").encode())
    assert size / len(terms) <= 3 * 1024, f"{size / len(terms):.0f} bytes per term"


def test_material_keeps_its_settings_and_loses_its_documents(tmp_path):
    config = {"lang": ["en"], "separator": "[\\s\\-]+", "pipeline": ["stopWordFilter"]}
    index = json.dumps({"config": config, "docs": [{"location": "x.html", "title": "X", "text": "y" * 1000}]}).encode()
    assert json.loads(material_stub(index)) == {"config": config, "docs": []}
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_bytes(index)
    text = TextIndex()
    text.add("x.html", "X", "<p>words here</p>")
    write_search_data(tmp_path, "assets/termbook/search-text.js", text)
    assert json.loads((tmp_path / "search" / "search_index.json").read_bytes())["docs"] == []
    assert (tmp_path / "assets" / "termbook" / "search-text.js").read_text(encoding="utf-8") == text.js()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("assets/javascripts/workers/search.a7633da7.min.js", "assets/termbook/search-worker.js"),
        ("../../assets/javascripts/workers/search.a7633da7.min.js", "../../assets/termbook/search-worker.js"),
    ],
)
def test_pages_use_termbooks_worker(value, expected):
    config = {"base": "..", "search": value, "features": []}
    page = f'<script id="__config" type="application/json">{json.dumps(config)}</script>'
    out = use_worker(page, "assets/termbook/search-worker.js")
    assert json.loads(out.removeprefix('<script id="__config" type="application/json">').removesuffix("</script>"))["search"] == expected
