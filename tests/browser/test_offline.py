"""The same build opened from file://, with every request that is not file: blocked and recorded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import LOCAL
from .helpers import search, slug_path, text


@pytest.fixture
def offline_tab(open_tab):
    """A tab in which only file: (and data:, blob:, about:) requests go through."""
    return open_tab(allow=LOCAL)


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "terms/batch-normalization.html",
        "terms/index.html",
        "graph.html",
        "tags.html",
        "tutorials/batch-norm-and-dropout.html",
    ],
)
def test_pages_render_from_file_url(offline_tab, built_site, path):
    page = offline_tab.page
    offline_tab.goto((built_site.site / path).as_uri())
    expect(page.locator("article h1")).to_be_visible()
    # Material's stylesheet and JavaScript were loaded from the file system
    assert page.evaluate("() => getComputedStyle(document.querySelector('.md-header')).position") in ("sticky", "fixed")
    assert page.evaluate("() => typeof document$") == "object"  # Material's bundle is running
    if path.startswith("terms/batch"):
        expect(page.locator("article .termbook-badge--verified").first).to_be_visible()
        expect(page.locator("article svg.termbook-graph a.tb-node").first).to_be_visible()
        assert page.locator("article math").count() > 0
    page.wait_for_load_state("load")
    offline_tab.assert_clean()


def test_search_works_from_file_url(offline_tab, built_site):
    page = offline_tab.page
    offline_tab.goto((built_site.site / "index.html").as_uri())
    paths = search(page, "Dropout")
    assert paths, "no results for 'Dropout' from file://"
    assert paths[0] == (built_site.site / "terms" / "dropout.html").as_posix(), paths
    page.locator(".md-search-result__list > li.md-search-result__item > a.md-search-result__link").first.click()
    expect(page).to_have_url(slug_path("dropout"))
    assert text(page.locator("article h1").inner_text()) == "Dropout"
    offline_tab.assert_clean()
