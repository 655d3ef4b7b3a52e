"""The library tabs of "In code" in a real browser: click, keyboard, over http and from file://."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import LOCAL


def _panels(page):
    return page.locator("article .termbook-tabs > .termbook-tab-panel")


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_tabs_switch_by_click_and_show_one_panel(open_tab, site_url, built_site, scheme):
    tab = open_tab(allow=LOCAL) if scheme == "file" else open_tab()
    page = tab.page
    url = (
        (built_site.site / "terms" / "batch-normalization.html").as_uri()
        if scheme == "file"
        else site_url + "terms/batch-normalization.html"
    )
    tab.goto(url)
    labels = page.locator("article .termbook-tab-labels label")
    expect(labels).to_have_text(["NumPy", "PyTorch"])
    panels = _panels(page)
    expect(panels.nth(0)).to_be_visible()
    expect(panels.nth(1)).to_be_hidden()
    labels.nth(1).click()
    expect(panels.nth(1)).to_be_visible()
    expect(panels.nth(0)).to_be_hidden()
    badges = panels.nth(1).locator(".termbook-badge")
    assert badges.count() >= 1
    for i in range(badges.count()):
        expect(badges.nth(i)).to_contain_text("Agrees with torch")
    expect(panels.nth(1).locator("code").first).to_contain_text("BatchNorm1d")
    labels.nth(0).click()
    expect(panels.nth(0).locator(".termbook-badge")).to_contain_text("Verified")
    tab.assert_clean()


def test_tabs_work_from_the_keyboard(open_tab, site_url):
    tab = open_tab()
    page = tab.page
    tab.goto(site_url + "terms/batch-normalization.html")
    first = page.locator("article .termbook-tabs input[type=radio]").first
    first.focus()
    page.keyboard.press("ArrowRight")  # a radio group: arrows move the choice
    panels = _panels(page)
    expect(panels.nth(1)).to_be_visible()
    expect(panels.nth(0)).to_be_hidden()
    outline = page.locator("article .termbook-tab-labels label").nth(1).evaluate("label => getComputedStyle(label).outlineStyle")
    assert outline == "solid", "the focused tab's label shows the focus"
    tab.assert_clean()
