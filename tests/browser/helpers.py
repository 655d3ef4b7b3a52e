"""What a reader does on the site: search, switch the palette; text as a reader reads it."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from playwright.sync_api import expect

RESULTS = ".md-search-result__list > li.md-search-result__item"


def search(page, query: str, timeout: float = 10.0) -> list[str]:
    """Type `query` into Material's search box like a reader; the result pages' paths, best first.

    Material answers every keystroke from its web worker ("N matching documents" or "No matching
    documents"); the list is read once it has stopped changing.
    """
    box = page.locator(".md-search__input")
    assert box.count() == 1, "no search box on the page (is the search plugin on?)"
    try:
        expect(box).to_be_visible(timeout=timeout * 1000)
    except AssertionError as error:  # Material hides the box when its search worker fails
        raise AssertionError(f"the search box is not shown within {timeout:g} s: search did not start") from error
    box.click()
    box.press_sequentially(query, delay=30)
    meta = page.locator(".md-search-result__meta")
    try:
        expect(meta).to_contain_text(re.compile("matching document", re.I), timeout=timeout * 1000)
    except AssertionError as error:
        state = meta.inner_text() if meta.count() else "no search result panel on the page"
        raise AssertionError(f"search for {query!r} gave no answer within {timeout:g} s: {text(state)!r}") from error
    results = page.locator(".md-search-result__list")
    last, stable_since, deadline = None, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = results.inner_html()
        if html != last:
            last, stable_since = html, time.monotonic()
        elif time.monotonic() - stable_since >= 0.5:
            break
        page.wait_for_timeout(100)
    hrefs = page.locator(RESULTS).evaluate_all("items => items.map(li => li.querySelector('a.md-search-result__link').href)")
    return [urlsplit(href).path for href in hrefs]


def palette(page) -> str:
    return page.locator("body").get_attribute("data-md-color-scheme")


def toggle_palette(page) -> str:
    """Click the visible palette button in the header; the new scheme once the body has it."""
    before = palette(page)
    page.locator('form[data-md-component="palette"] label.md-header__button:visible').click()
    expect(page.locator("body")).not_to_have_attribute("data-md-color-scheme", before)
    return palette(page)


def text(s: str) -> str:
    """Whitespace-normalised text, without the permalink sign."""
    return " ".join(s.replace("\u00b6", " ").split())


def slug_path(slug: str) -> re.Pattern:
    return re.compile(rf"/terms/{re.escape(slug)}\.html(\?.*)?(#.*)?$")
