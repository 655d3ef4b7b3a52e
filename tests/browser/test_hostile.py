"""A hostile term page in Chromium: hover, focus and click every link and formula; nothing runs, nothing leaves.

The page is built (not strict: the sanitised page is published with warnings) from a term whose
every field carries the payloads of tests/test_hostile_terms.py. It is opened over http and from
file://; a dialog (alert/confirm/prompt) or a request to anywhere but the site fails the test.
The Content-Security-Policy is checked too: markup injected into the live page cannot run.
"""

from __future__ import annotations

import functools
import threading

import pytest

from ..conftest import Project, term
from ..test_hostile_terms import FIELDS, PAYLOADS
from .conftest import LOCAL, _QuietHandler, _Server
from .helpers import search


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("hostile-browser") / "proj")
    data = term("Evil")
    for name, put in FIELDS.items():
        if name in ("term", "aliases"):
            continue
        put(
            data,
            "\n\n".join(PAYLOADS.values())
            if name in ("definition", "how_it_works", "example", "why_it_matters", "faq.a")
            else PAYLOADS["attr-em"],
        )
    data["aliases"] = ["Evil " + PAYLOADS["attr-link"]]
    project.add_term("evil", data)
    project.add_term("hub", term("Hub", related=["evil"], definition="Mentions Evil.\n\n" + PAYLOADS["math-href"]))
    site = project.build(strict=False)
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def _poke_everything(tab, url: str) -> int:
    """Hover, focus and click every link and formula of the article; return how many were poked."""
    page = tab.page
    tab.goto(url)
    selector = "article a, article math, article .termbook-tex-error, article abbr, article code"
    elements = page.locator(selector)
    count = elements.count()
    for i in range(count):  # hover and focus all, on one load
        element = elements.nth(i)
        if element.is_visible():
            element.hover()
            element.focus()
            page.keyboard.press("Escape")  # a term link's preview card would cover the next element
    for i in range(count):  # then click each (but links to other sites: following one is the reader's choice)
        element = elements.nth(i)
        href = element.get_attribute("href") or ""
        if element.is_visible() and not href.startswith(("http://", "https://", "mailto:")):
            element.click()
            page.wait_for_load_state("load")
            if page.url.split("#")[0] != url.split("#")[0]:
                tab.goto(url)
    page.wait_for_timeout(200)
    return count


@pytest.mark.parametrize("where", ["http", "file"])
def test_hostile_page_runs_nothing_and_fetches_nothing(open_tab, hostile_site, where):
    site, base = hostile_site
    if where == "http":
        tab = open_tab(allow=(base, *LOCAL))
        url = base + "terms/evil.html"
    else:
        tab = open_tab(allow=LOCAL)
        url = (site / "terms" / "evil.html").as_uri()
    dialogs: list[str] = []
    tab.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    poked = _poke_everything(tab, url)
    assert poked > 10
    assert tab.page.locator("article a[href^='https://example.org']").count() >= 1  # the references are links
    assert dialogs == []
    assert tab.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert tab.blocked == [], tab.blocked
    # MathML is there for the safe formulas; the unsafe one is shown as its LaTeX
    tab.goto(url)
    assert tab.page.locator("article .termbook-tex-error").count() >= 1


def test_policy_stops_markup_injected_into_the_live_page(open_tab, hostile_site):
    site, base = hostile_site
    tab = open_tab(allow=(base, *LOCAL))
    violations: list[str] = []
    tab.page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    tab.goto(base + "terms/evil.html")
    tab.page.evaluate(
        """() => {
            document.body.insertAdjacentHTML('beforeend', '<img src="x.png" onerror="window.__pwned = 1">');
            const s = document.createElement('script'); s.textContent = 'window.__pwned = 2'; document.body.appendChild(s);
        }"""
    )
    tab.page.wait_for_timeout(300)
    assert tab.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert len(violations) >= 2, violations


@pytest.mark.parametrize("query", ["Evil", "onerror alert"])
def test_search_shows_hostile_text_as_text(open_tab, hostile_site, query):
    """Material inserts a result's title and text as HTML: the search worker escapes them."""
    site, base = hostile_site
    tab = open_tab(allow=(base, *LOCAL))
    dialogs: list[str] = []
    tab.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto(base + "terms/hub.html")
    assert search(tab.page, query), f"no results for {query!r}"
    results = tab.page.locator(".md-search-result__list")
    assert results.locator("img, script, iframe, svg a, [onerror], [onclick]").count() == 0
    assert results.locator("a:not(.md-search-result__link)").count() == 0
    tab.page.wait_for_timeout(300)
    assert dialogs == []
    assert tab.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert tab.blocked == [], tab.blocked
