"""Previews: a card with the term's name, summary and tags on hover, focus and tap; Escape closes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import LOCAL

LINK = "article a[href$='dropout.html']:visible"  # batch normalization's page links to dropout


def _cards(built_site) -> dict:
    return built_site.terms()


def test_hover_shows_a_card_without_moving_anything(open_tab, site_url, built_site):
    tab = open_tab()
    page = tab.page
    tab.goto(site_url + "terms/batch-normalization.html")
    link = page.locator(LINK).first
    link.scroll_into_view_if_needed()
    before = page.evaluate(
        "() => [document.documentElement.scrollHeight, document.querySelector('article h2').getBoundingClientRect().top]"
    )
    link.hover()
    card = page.locator(".termbook-card")
    expect(card).to_be_visible()
    dropout = _cards(built_site)["dropout"]
    expect(card.locator(".termbook-card__title")).to_have_text(dropout["term"])
    expect(card.locator(".termbook-card__summary")).to_have_text(dropout["summary"])
    expect(card.locator(".termbook-card__more")).to_have_attribute("href", site_url + "terms/dropout.html")
    after = page.evaluate("() => [document.documentElement.scrollHeight, document.querySelector('article h2').getBoundingClientRect().top]")
    assert after == before  # no layout shift
    assert link.get_attribute("title") is None  # Material's plain tooltip does not show as well
    page.mouse.move(0, 0)
    expect(card).to_be_hidden()
    tab.assert_clean()


def test_keyboard_focus_shows_the_card_and_escape_closes_it(open_tab, site_url):
    tab = open_tab()
    page = tab.page
    tab.goto(site_url + "terms/batch-normalization.html")
    link = page.locator(LINK).first
    link.focus()
    card = page.locator(".termbook-card")
    expect(card).to_be_visible()
    assert link.get_attribute("aria-describedby") == "termbook-card"
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    assert page.evaluate("() => document.activeElement.getAttribute('href')").endswith("dropout.html")
    tab.assert_clean()


def test_first_tap_previews_second_tap_follows(open_tab, site_url):
    tab = open_tab(has_touch=True, is_mobile=True, viewport={"width": 390, "height": 800})
    page = tab.page
    tab.goto(site_url + "terms/batch-normalization.html")
    link = page.locator(LINK).first
    link.scroll_into_view_if_needed()
    link.tap()
    card = page.locator(".termbook-card")
    expect(card).to_be_visible()
    assert page.url.endswith("batch-normalization.html")
    link.tap()
    page.wait_for_url("**/dropout.html")
    tab.assert_clean()


def test_graph_nodes_preview_too_and_from_file_url(open_tab, built_site):
    tab = open_tab(allow=LOCAL)
    page = tab.page
    tab.goto((built_site.site / "terms" / "batch-normalization.html").as_uri())
    node = page.locator("article svg.termbook-graph a.tb-node").first
    node.hover()
    expect(page.locator(".termbook-card")).to_be_visible()
    tab.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_card_follows_the_colour_scheme(open_tab, site_url, scheme, artifacts):
    tab = open_tab(color_scheme=scheme)
    page = tab.page
    tab.goto(site_url + "terms/batch-normalization.html")
    page.locator(LINK).first.hover()
    card = page.locator(".termbook-card")
    expect(card).to_be_visible()
    background = card.evaluate("e => getComputedStyle(e).backgroundColor")
    body = page.evaluate(
        "() => getComputedStyle(document.querySelector('.md-main')).backgroundColor || getComputedStyle(document.body).backgroundColor"
    )
    assert background != "rgba(0, 0, 0, 0)"
    light = background.replace(" ", "") in ("rgb(255,255,255)", "rgba(255,255,255,1)")
    assert light == (scheme == "light"), (scheme, background, body)
    page.screenshot(path=str(artifacts / f"preview-{scheme}.png"))


def test_a_page_that_is_only_read_does_not_load_the_cards(open_tab, site_url):
    tab = open_tab()
    page = tab.page
    tab.goto(site_url + "terms/batch-normalization.html")
    page.wait_for_timeout(1000)  # well after the load event
    assert page.evaluate("() => window.__termbookTerms === undefined")  # megabytes at 10,000 terms
    page.locator(LINK).first.hover()
    expect(page.locator(".termbook-card")).to_be_visible()
    assert page.evaluate("() => Array.isArray(window.__termbookTerms)")
    tab.assert_clean()
