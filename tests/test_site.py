"""A tiny real site built in tmp_path: generated pages, links, search index, strict mode."""

from __future__ import annotations

import html
import json
import logging
import re

import pytest
from mkdocs.exceptions import Abort
from termbook.search_index import read_script, words_by_page

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term

BN = term(
    "Batch Normalization",
    aliases=["BN", "BatchNorm"],
    summary="Normalises each feature over the mini-batch, then rescales it with learned parameters.",
    how_it_works="Subtract the batch mean and divide by the batch standard deviation.",
    example="A convolutional network with a normalisation layer after each convolution.",
    why_it_matters="It made deep networks much easier to train.",
    faq=[{"q": 'Why is it called "batch" normalization?', "a": "Because statistics come from the batch."}],
    related=["dropout"],
    tags=["normalization"],
    references=[{"title": "Batch Normalization", "authors": "Ioffe, Szegedy", "year": 2015, "url": "https://arxiv.org/abs/1502.03167"}],
)
DROPOUT = term("Dropout", summary="Zeroes random units during training to reduce overfitting.", related=["batch-normalization"])
ADAM = term("Adam", summary="An optimiser with per-parameter step sizes.")


@pytest.fixture
def site(project):
    project.add_term("batch-normalization", BN)
    project.add_term("dropout", DROPOUT)
    project.add_term("adam", ADAM)
    project.add_snippet("batch_normalization", GOOD_SNIPPET, GOOD_OUTPUT)
    return project.build()


def article(path) -> str:
    html = path.read_text()
    return html[html.index("<article") : html.index("</article>")]


def test_term_page_has_every_section_in_order(site):
    page = article(site / "terms" / "batch-normalization.html")
    headings = re.findall(r"<h([12]) id=\"([^\"]+)\"", page)
    assert headings == [
        ("1", "batch-normalization"),
        ("2", "what-is-batch-normalization"),
        ("2", "how-it-works"),
        ("2", "example"),
        ("2", "in-code"),
        ("2", "why-it-matters"),
        ("2", "frequently-asked-questions"),
        ("2", "related-terms"),
        ("2", "references"),
    ]
    assert '<p class="termbook-aliases"><em>Also known as:</em> BN, BatchNorm</p>' in page
    assert '<details class="question">\n<summary>Why is it called "batch" normalization?</summary>' in page
    assert '<a href="https://arxiv.org/abs/1502.03167">Batch Normalization</a>' in page


def test_related_terms_link_with_summaries_and_tooltips(site):
    page = article(site / "terms" / "batch-normalization.html")
    assert (
        '<li><a href="dropout.html" title="Zeroes random units during training to reduce overfitting.">Dropout</a>: '
        "Zeroes random units during training to reduce overfitting.</li>"
    ) in page


def test_empty_sections_are_left_out(site):
    page = article(site / "terms" / "adam.html")
    assert re.findall(r"<h2 id=\"([^\"]+)\"", page) == ["what-is-adam"]


def test_verified_snippet_shows_code_output_and_badge(site):
    page = article(site / "terms" / "batch-normalization.html")
    assert "termbook-badge--verified" in page and "1 check passed, output matches" in page
    assert '<span class="filename">snippets/batch_normalization.py</span>' in page
    assert "double: [0. 2. 4.]" in page


def test_meta_description_is_the_summary(site):
    html = (site / "terms" / "batch-normalization.html").read_text()
    assert (
        '<meta name="description" content="Normalises each feature over the mini-batch, then rescales it with learned parameters.">' in html
    )


def test_a_to_z_index_groups_by_letter(site):
    page = article(site / "terms" / "index.html")
    letters = re.findall(r'<h2 id="(letter-[a-z]+)">', page)
    assert letters == ["letter-a", "letter-b", "letter-d"]
    assert (
        '<a href="adam.html" title="An optimiser with per-parameter step sizes.">Adam</a>: An optimiser with per-parameter step sizes.'
        in page
    )
    assert "3 terms." in page


def test_term_pages_are_not_in_the_nav_but_index_and_tags_are(site):
    html = (site / "index.html").read_text()
    nav = html[html.index('<nav class="md-nav md-nav--primary"') :]
    assert "terms/index.html" in nav and "tags.html" in nav
    assert "terms/dropout.html" not in nav


def test_search_data_has_the_terms_their_aliases_and_their_prose(site):
    # termbook's worker searches terms.js and search-text.js; Material's index keeps only its settings
    terms = {row[0]: row for row in read_script((site / "assets" / "termbook" / "terms.js").read_text())}
    url, name, summary, tags, others = terms["terms/batch-normalization.html"]
    assert name == "Batch Normalization" and {"BN", "BatchNorm"} <= set(others)
    text = read_script((site / "assets" / "termbook" / "search-text.js").read_text())
    words = words_by_page(text)
    assert {"batch", "normalization"} <= words["terms/batch-normalization.html"]
    assert "terms/index.html" not in words  # the A–Z page would outrank the terms themselves
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert index["docs"] == [] and index["config"]["lang"] == ["en"]
    assert (site / "search" / "search_index.js").exists()  # the offline copy Material reads from file://
    assert "search-worker.js" in (site / "index.html").read_text()  # the page starts termbook's worker


def test_tags_page_lists_terms(site):
    page = article(site / "tags.html")
    assert "normalization" in page and "terms/batch-normalization.html" in page


def test_generated_pages_are_not_written_into_docs_dir(site, project):
    assert sorted(p.name for p in (project.root / "docs").iterdir()) == ["index.md", "tags.md"]


def test_schema_is_published_in_the_site(site):
    schema = json.loads((site / "schema" / "term.schema.json").read_text())
    assert schema["required"] == ["term", "summary", "definition"]


def test_no_remote_fonts_or_scripts(site):
    for page in site.rglob("*.html"):
        html = page.read_text()
        assert "fonts.googleapis.com" not in html
        assert not re.search(r'<script[^>]+src="https?://', html), page


def test_invalid_term_fails_the_build_with_located_message(project, caplog):
    project.add_term("batch-normalization", term("Batch Normalization", related=["dropuot"]))
    project.add_term("dropout", DROPOUT | {"related": []})
    with pytest.raises(Abort, match="Aborted with a BuildError"), caplog.at_level(logging.ERROR):
        project.build()
    text = caplog.text
    assert "terms/batch-normalization.yml:" in text
    assert "related[0]: unknown term 'dropuot'" in text
    assert "did you mean 'dropout'?" in text
    assert "Traceback" not in text


def test_failing_snippet_is_a_warning_that_strict_turns_into_failure(project, caplog):
    project.add_term("dropout", DROPOUT | {"related": []})
    project.add_snippet("dropout", "def check_it():\n    assert 1 == 2, 'one is not two'\n", "")
    with caplog.at_level(logging.WARNING), pytest.raises(Abort, match="strict mode"):
        project.build(strict=True)
    assert "dropout: not verified: 1 check failed (check_it): AssertionError: one is not two" in caplog.text


def test_failing_snippet_page_shows_not_verified_box(project):
    project.add_term("dropout", DROPOUT | {"related": []})
    project.add_snippet("dropout", "def check_it():\n    assert 1 == 2, 'one is not two'\n", "")
    site = project.build(strict=False)
    page = article(site / "terms" / "dropout.html")
    assert "termbook-badge--unverified" in page
    assert '<p class="admonition-title">Not verified</p>' in page
    assert "one is not two" in page


def test_second_build_runs_no_snippet(site, project, caplog):
    with caplog.at_level(logging.INFO):
        project.build()
    assert "3 terms, 1 snippets (0 run, 1 cached)" in caplog.text


def test_math_becomes_mathml_and_stays_out_of_search(project):
    project.add_term(
        "softmax",
        term("Softmax", how_it_works="Inline $p_i = e^{z_i} / \\sum_j e^{z_j}$ and display:\n\n$$\\sigma(z)_i < 1$$\n"),
    )
    site = project.build()
    page = article(site / "terms" / "softmax.html")
    assert page.count("<math ") == 2
    # the display formula's box can take focus, so that a keyboard can scroll it when it is wider than the page
    assert (
        '<div class="termbook-math" tabindex="0"><math data-search-exclude="" alttext="\\sigma(z)_i &lt; 1" xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
        in page
    )
    assert '<span class="termbook-math"><math data-search-exclude="" alttext="p_i' in page  # inline: no tab stop
    assert "arithmatex" not in page
    words = words_by_page(read_script((site / "assets" / "termbook" / "search-text.js").read_text()))["terms/softmax.html"]
    assert "inline" in words and "display" in words  # the prose around the formulas
    assert not {"sum", "sigma", "mrow", "mi", "x3c"} & words  # neither the LaTeX nor the MathML is searched


def test_prose_mentions_become_links_with_tooltips(project):
    project.add_term("dropout", DROPOUT | {"related": [], "definition": "Often combined with BN.\n\nUnlike batch normalization, ..."})
    project.add_term("batch-normalization", BN | {"related": []})
    site = project.build()
    page = article(site / "terms" / "dropout.html")
    assert (
        'Often combined with <a href="batch-normalization.html" '
        'title="Normalises each feature over the mini-batch, then rescales it with learned parameters.">BN</a>.'
    ) in page
    assert "Unlike batch normalization," in page  # first mention per section only
    backlinked = article(site / "terms" / "batch-normalization.html")
    assert '<h2 id="referenced-by">Referenced by' in backlinked and 'href="dropout.html"' in backlinked


def test_neighbourhood_graph_is_inline_svg_with_clickable_nodes(site):
    page = article(site / "terms" / "batch-normalization.html")
    svg = page[page.index('<svg class="termbook-graph"') : page.index("</svg>")]
    assert 'role="group" aria-label="Terms linked with Batch Normalization"' in page  # not img: its links stay reachable
    assert (
        '<a href="dropout.html" class="tb-node" aria-label="Dropout">'
        "<title>Zeroes random units during training to reduce overfitting.</title>"
    ) in svg
    assert '<g class="tb-node tb-node--self">' in svg
    assert "termbook-graph-slot" not in page


def test_glossary_graph_page(site):
    page = article(site / "graph.html")
    assert page.count('class="tb-node"') == 3
    assert 'href="terms/adam.html"' in page


def test_terms_json_export(site):
    data = json.loads((site / "terms.json").read_text())
    assert data["format"] == 1
    terms = {t["slug"]: t for t in data["terms"]}
    assert sorted(terms) == ["adam", "batch-normalization", "dropout"]
    bn = terms["batch-normalization"]
    assert bn["url"] == "terms/batch-normalization.html"
    assert bn["term"] == "Batch Normalization" and bn["aliases"] == ["BN", "BatchNorm"]
    assert bn["faq"][0]["q"].startswith("Why is it called")
    assert "BNs" in bn["phrases"]
    assert bn["related"] == ["dropout"] and bn["backlinks"] == ["dropout"]
    assert bn["snippet"]["status"] == "verified" and bn["snippet"]["output"] == GOOD_OUTPUT
    assert terms["adam"]["snippet"] is None


def test_json_ld_in_head_is_valid(site):
    html = (site / "terms" / "batch-normalization.html").read_text()
    head = html[: html.index("</head>")]
    [raw] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', head, re.S)
    data = json.loads(raw)
    assert data["@type"] == "DefinedTerm" and data["name"] == "Batch Normalization"
    assert data["alternateName"] == ["BN", "BatchNorm"]
    assert data["inDefinedTermSet"]["@type"] == "DefinedTermSet"
    index = (site / "terms" / "index.html").read_text()
    [raw] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', index, re.S)
    assert len(json.loads(raw)["hasDefinedTerm"]) == 3


def test_unknown_explicit_link_fails_the_build(project, caplog):
    project.add_term("dropout", DROPOUT | {"related": [], "example": "See [[batch-norm]]."})
    project.add_term("batch-normalization", BN | {"related": []})
    with caplog.at_level(logging.ERROR), pytest.raises(Abort):
        project.build()
    assert "link [[batch-norm]] points to unknown term 'batch-norm'" in caplog.text


def test_serve_watches_terms_and_snippets(project):
    from mkdocs.config import load_config

    config = load_config(str(project.root / "mkdocs.yml"))
    config = config.plugins.on_config(config)
    assert str(project.root / "terms") in config.watch
    assert str(project.root / "snippets") in config.watch


def test_summaries_with_quotes_and_parentheses_make_whole_tooltips(project):
    summary = "Moves Q(s, a) towards r + gamma max Q(s', a'); \"greedy\" (in the limit)."
    project.add_term("q", term("Q Thing", summary=summary))
    project.add_term("user", term("User", definition="Uses Q Thing.\n\nMore.", related=["q"]))
    site = project.build()  # strict: a link broken by a quote would be a warning
    page = (site / "terms" / "user.html").read_text()
    titles = re.findall(r'<a href="q.html" title="([^"]*)"', page)
    assert titles and all(html.unescape(t) == summary for t in titles), titles
