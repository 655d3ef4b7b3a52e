"""Reading aids in the browser: before this / builds on this, pitfalls, learning paths, notation."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import LOCAL


def test_term_page_shows_before_this_pitfalls_and_builds_on_this(open_tab, site_url):
    tab = open_tab()
    page = tab.page
    tab.goto(site_url + "terms/backpropagation.html")
    before = page.locator("article p.termbook-before")
    expect(before).to_be_visible()
    first = before.locator("a").first
    href = first.get_attribute("href")
    first.click()
    page.wait_for_url("**/" + href)
    expect(page.locator("article h2#builds-on-this")).to_be_visible()
    tab.goto(site_url + "terms/batch-normalization.html")
    expect(page.locator("article h2#common-pitfalls")).to_be_visible()
    assert page.locator("article h2#common-pitfalls ~ h3").count() >= 3
    tab.assert_clean()


def test_learning_path_orders_prerequisites_first_from_file_url(open_tab, built_site):
    tab = open_tab(allow=LOCAL)
    page = tab.page
    tab.goto((built_site.site / "paths" / "index.html").as_uri())
    page.locator("article a[href='optimization.html']").click()
    page.wait_for_url("**/paths/optimization.html")
    steps = page.locator("article ol > li")
    assert steps.count() >= 10
    order = [a.get_attribute("href") for a in page.locator("article ol > li > a").all()]
    terms = built_site.terms()
    position = {href.split("/")[-1].removesuffix(".html"): i for i, href in enumerate(order)}
    for slug, i in position.items():
        for before in terms[slug]["before"]:
            if before["slug"] in position:
                assert position[before["slug"]] < i, (before["slug"], slug)
    tab.assert_clean()


def test_notation_page_and_a_term_linking_its_symbols(open_tab, site_url):
    tab = open_tab()
    page = tab.page
    tab.goto(site_url + "terms/gradient-descent.html")
    symbol = page.locator("article p.termbook-notation a[href*='notation.html#sym-eta']")
    expect(symbol).to_have_count(1)
    symbol.click()
    page.wait_for_url("**/notation.html#sym-eta")
    row = page.locator("article tr", has=page.locator("#sym-eta"))
    expect(row).to_contain_text("learning rate")
    assert row.locator("math").count() == 1 and row.locator("a[href='terms/gradient-descent.html']").count() == 1
    tab.assert_clean()
