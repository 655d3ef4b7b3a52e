"""Material's search box, served over HTTP: a name, an alias and a word of a definition."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import search, slug_path, text


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        pytest.param("Dropout", "dropout", id="name"),
        pytest.param("BN", "batch-normalization", id="alias"),
        pytest.param("covariate", "batch-normalization", id="definition-word"),  # "internal covariate shift"
    ],
)
def test_search_finds_the_term_first(open_tab, site_url, built_site, query, slug):
    tab = open_tab()
    tab.goto(site_url + "index.html")
    paths = search(tab.page, query)
    assert paths, f"no results for {query!r}"
    assert paths[0] == f"/terms/{slug}.html", f"{query!r}: first result {paths[0]}, all: {paths}"
    # the first result opens the term page
    tab.page.locator(".md-search-result__list > li.md-search-result__item > a.md-search-result__link").first.click()
    expect(tab.page).to_have_url(slug_path(slug))
    assert text(tab.page.locator("article h1").inner_text()) == built_site.terms()[slug]["term"]
    tab.assert_clean()
