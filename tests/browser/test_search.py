"""Search as a reader uses it, over http and from file://: a term is the first result for its name,
aliases, acronyms, plurals and prefixes of them, and for a word of its definition.

Material's search box talks to termbook's worker (assets/termbook/search-worker.js), which answers
from the term index at once and adds the full-text matches when its index has loaded; the helper
reads the list once it has stopped changing, so the order checked is the final one.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import LOCAL
from .helpers import RESULTS, search, slug_path, text

QUERIES = [
    pytest.param("Dropout", "dropout", id="name"),
    pytest.param("BN", "batch-normalization", id="alias"),
    pytest.param("covariate", "batch-normalization", id="definition-word"),  # "internal covariate shift"
    pytest.param("batch no", "batch-normalization", id="prefix"),
    pytest.param("lstm", "lstm", id="acronym-lower-case"),
    pytest.param("transformers", "transformer", id="plural"),
    pytest.param("epochs", "epoch", id="plural-s"),
    pytest.param("relu", "activation-function", id="text-only"),  # no term is named ReLU; this page defines it
    pytest.param("SGD", "stochastic-gradient-descent", id="acronym"),
]


@pytest.fixture(params=["http", "file"])
def opened(request, open_tab, site_url, built_site):
    """(tab, URL of a page, path of a term page in a result link) for the site over http or from file://."""
    if request.param == "http":
        return open_tab(), lambda path: site_url + path, lambda slug: f"/terms/{slug}.html"
    return (
        open_tab(allow=LOCAL),
        lambda path: (built_site.site / path).as_uri(),
        lambda slug: (built_site.site / "terms" / f"{slug}.html").as_posix(),
    )


@pytest.mark.parametrize(("query", "slug"), QUERIES)
def test_search_finds_the_term_first(opened, built_site, query, slug):
    tab, url, result_path = opened
    tab.goto(url("index.html"))
    paths = search(tab.page, query)
    assert paths, f"no results for {query!r}"
    assert paths[0] == result_path(slug), f"{query!r}: first result {paths[0]}, all: {paths}"
    # the first result opens the term page
    tab.page.locator(f"{RESULTS} > a.md-search-result__link").first.click()
    expect(tab.page).to_have_url(slug_path(slug))
    assert text(tab.page.locator("article h1").inner_text()) == built_site.terms()[slug]["term"]
    tab.assert_clean()


def test_a_term_result_shows_its_summary_and_tags_and_marks_the_query(open_tab, site_url, built_site):
    tab = open_tab()
    tab.goto(site_url + "terms/dropout.html")
    search(tab.page, "batch norm")
    first = tab.page.locator(RESULTS).first
    term = built_site.terms()["batch-normalization"]
    expect(first.locator("h1")).to_have_text(term["term"])
    assert text(first.locator("article").inner_text()).startswith(f"{term['term']} {term['summary']}")
    assert first.locator("h1 mark").all_inner_texts() == ["Batch", "Normalization"]
    assert first.locator(".md-tag").all_inner_texts() == term["tags"]
    tab.assert_clean()


def test_enter_opens_the_best_result_and_nothing_comes_from_materials_worker(open_tab, site_url):
    tab = open_tab()
    requested: list[str] = []
    tab.page.on("request", lambda request: requested.append(request.url))
    tab.goto(site_url + "index.html")
    search(tab.page, "lstm")
    tab.page.locator(".md-search__input").press("Enter")
    expect(tab.page).to_have_url(slug_path("lstm"))
    assert any(u.endswith("/assets/termbook/search-worker.js") for u in requested), requested
    assert not [u for u in requested if "/assets/javascripts/workers/" in u]  # Material's lunr worker is not started
    tab.assert_clean()


def test_text_in_markup_does_not_become_markup(open_tab, site_url):
    """Titles and texts of results are HTML for Material: the worker escapes what it shows."""
    tab = open_tab()
    tab.goto(site_url + "index.html")
    paths = search(tab.page, "<img src=x>")
    assert tab.page.locator(f"{RESULTS} img").count() == 0, paths
    tab.assert_clean()


def test_from_file_a_page_that_is_only_read_loads_no_search_data(open_tab, built_site):
    """From file:// the worker shares the page's thread: the term index waits for the first query."""
    tab = open_tab(allow=LOCAL)
    page = tab.page
    tab.goto((built_site.site / "terms" / "dropout.html").as_uri())
    page.wait_for_timeout(1500)  # well after the load event and the worker's setup
    loaded = [frame.evaluate("() => self.__termbookTerms !== undefined || self.__termbookText !== undefined") for frame in page.frames]
    assert len(page.frames) > 1  # the worker's iframe stand-in is there
    assert not any(loaded)
    assert search(page, "Dropout")[0].endswith("/terms/dropout.html")
    tab.assert_clean()
