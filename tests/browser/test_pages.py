"""Pages of the served site in headless Chromium: what a reader sees and clicks."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from playwright.sync_api import expect

from .helpers import palette, slug_path, text, toggle_palette

BN = "terms/batch-normalization.html"
SECTIONS = [
    "What is Batch Normalization?",
    "How it works",
    "Example",
    "In code",
    "Why it matters",
    "Frequently asked questions",
    "Related terms",
    "References",
]


TUTORIAL = "tutorials/batch-norm-and-dropout.html"


@pytest.mark.parametrize("path", ["index.html", BN, "terms/index.html", "graph.html", "tags.html", TUTORIAL, "contributing.html"])
def test_page_loads_without_console_errors(open_tab, site_url, path):
    tab = open_tab()
    tab.goto(site_url + path)
    tab.page.wait_for_load_state("load")
    expect(tab.page.locator("article h1")).to_be_visible()
    # Material's JavaScript ran: the search box says it is ready, not "Initializing search"
    meta = tab.page.locator(".md-search-result__meta")
    assert meta.count() == 1, "no search on the page (is the search plugin on?)"
    expect(meta).not_to_have_text("Initializing search")
    tab.assert_clean()


def test_term_page_shows_every_section_in_order(open_tab, site_url):
    tab = open_tab()
    tab.goto(site_url + BN)
    expect(tab.page.locator("article h1")).to_have_text("Batch Normalization¶")
    headings = [text(h) for h in tab.page.locator("article h2").all_inner_texts()]
    assert [h for h in headings if h in SECTIONS] == SECTIONS, headings
    for name in SECTIONS:
        expect(tab.page.locator("article h2", has_text=name).first).to_be_visible()
    # a FAQ answer opens when its question is clicked
    question = tab.page.locator("article details.question").first
    answer = question.locator("p").first
    expect(answer).to_be_hidden()
    question.locator("summary").click()
    expect(answer).to_be_visible()
    tab.assert_clean()


def test_code_with_verified_output_and_badge(open_tab, site_url, built_site):
    tab = open_tab()
    tab.goto(site_url + BN)
    page = tab.page
    badge = page.locator("article .termbook-badge--verified").first  # the snippet's (library tabs have their own)
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("Verified")
    code = page.locator("article .highlight", has=page.locator(".filename", has_text="snippets/batch_normalization.py"))
    expect(code).to_be_visible()
    expect(code.locator("code")).to_contain_text("def batch_norm_forward")
    output = page.locator("xpath=//article//p[normalize-space()='Output:']/following-sibling::div[contains(@class,'highlight')][1]")
    expect(output).to_be_visible()
    pinned = (built_site.project / "snippets" / "batch_normalization.out").read_text(encoding="utf-8")
    assert output.locator("code").inner_text().strip() == pinned.strip()
    tab.assert_clean()


def test_related_terms_have_summaries_and_lead_to_the_term(open_tab, site_url, built_site):
    terms = built_site.terms()
    tab = open_tab()
    tab.goto(site_url + BN)
    page = tab.page
    items = page.locator("xpath=//article//h2[@id='related-terms']/following-sibling::ul[1]/li")
    expected = [f"{terms[s]['term']}: {text(terms[s]['summary'])}" for s in terms["batch-normalization"]["related"]]
    assert [text(t) for t in items.all_inner_texts()] == expected
    for li in items.all():
        expect(li).to_be_visible()
    items.locator("a", has_text="Dropout").click()
    expect(page).to_have_url(slug_path("dropout"))
    expect(page.locator("article h1")).to_have_text("Dropout¶")
    tab.assert_clean()


@pytest.mark.parametrize(
    ("slug", "selector"),
    [
        pytest.param("mini-batch", "article p a[href='mini-batch.html']", id="auto-link"),
        pytest.param(
            "dropout", "xpath=//article//h2[@id='related-terms']/following-sibling::ul[1]/li/a[@href='dropout.html']", id="related-link"
        ),
    ],
)
def test_hover_shows_the_summary_as_tooltip(open_tab, site_url, built_site, slug, selector):
    summary = text(built_site.terms()[slug]["summary"])
    tab = open_tab()
    tab.goto(site_url + BN)
    link = tab.page.locator(selector).first
    # the page carries the summary as the link's title; the preview card (previews.js) takes it over
    assert text(link.get_attribute("data-termbook-title") or link.get_attribute("title") or "") == summary
    link.scroll_into_view_if_needed()
    link.hover()
    expect(link).to_have_attribute("aria-describedby", re.compile(r".+"))
    tooltip_id = link.get_attribute("aria-describedby")
    tooltip = tab.page.locator(f"[id='{tooltip_id}']")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_attribute("role", "tooltip")
    assert text(tooltip.locator(".termbook-card__summary").inner_text()) == summary
    tab.assert_clean()


def test_neighbourhood_graph_nodes_are_clickable(open_tab, site_url, built_site):
    terms = built_site.terms()
    tab = open_tab()
    tab.goto(site_url + BN)
    page = tab.page
    graph = page.locator("article svg.termbook-graph")
    expect(graph).to_be_visible()
    nodes = graph.locator("a.tb-node")
    hrefs = nodes.evaluate_all("nodes => nodes.map(a => a.getAttribute('href'))")
    neighbours = set(terms["batch-normalization"]["links"]) | set(terms["batch-normalization"]["backlinks"])
    assert {h.removesuffix(".html") for h in hrefs} == neighbours
    node = graph.locator("a.tb-node[href='dropout.html']")
    expect(node).to_be_visible()
    node.click()
    expect(page).to_have_url(slug_path("dropout"))
    expect(page.locator("article h1")).to_have_text("Dropout¶")
    tab.assert_clean()


def test_graph_page_shows_every_term(open_tab, site_url, built_site):
    terms = built_site.terms()
    tab = open_tab()
    tab.goto(site_url + "graph.html")
    page = tab.page
    nodes = page.locator("article svg.termbook-graph a.tb-node")
    expect(nodes.first).to_be_visible()
    hrefs = nodes.evaluate_all("nodes => nodes.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(t["url"] for t in terms.values())
    sizes = nodes.evaluate_all("nodes => nodes.map(a => { const r = a.getBoundingClientRect(); return r.width * r.height })")
    assert all(s > 0 for s in sizes), "every node is drawn"
    node = page.locator("article svg.termbook-graph a.tb-node[href='terms/adam.html']")
    node.scroll_into_view_if_needed()
    node.click()
    expect(page).to_have_url(slug_path("adam"))
    tab.assert_clean()


def test_palette_toggle_switches_dark_and_light(open_tab, site_url):
    tab = open_tab(color_scheme="light")
    tab.goto(site_url + BN)
    page = tab.page
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert palette(page) == "default"
    light = page.evaluate(background)
    assert toggle_palette(page) == "slate"
    dark = page.evaluate(background)
    assert dark != light, "the dark scheme changes the page's colours"
    page.reload()  # the choice is remembered
    assert palette(page) == "slate"
    assert toggle_palette(page) == "default"
    assert page.evaluate(background) == light
    tab.assert_clean()


MOBILE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.mark.parametrize(
    "path",
    ["index.html", "terms/index.html", BN],
)
def test_mobile_viewport_has_no_horizontal_overflow(open_tab, site_url, path):
    tab = open_tab(**MOBILE)
    tab.goto(site_url + path)
    size = tab.page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    # what sticks out: elements past the right edge that no scrolling box or fixed layer contains
    wide = tab.page.evaluate(
        """() => {
          const edge = document.documentElement.clientWidth + 1;
          const contained = e => {  // by a scrolling box, or out of the flow in a fixed layer
            if (getComputedStyle(e).position === 'fixed') return true;
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
              const style = getComputedStyle(a);
              if (style.overflowX !== 'visible' || style.position === 'fixed') return true;
            }
            return false;
          };
          const out = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > edge && !contained(e));
          return out.filter(e => !out.includes(e.parentElement)).slice(0, 5).map(e => e.outerHTML.slice(0, 200));
        }"""
    )
    assert size[0] <= size[1], f"document is {size[0]} px wide in a {size[1]} px viewport; too wide: {wide}"


def test_mobile_header_does_not_cover_the_heading(open_tab, site_url):
    tab = open_tab(**MOBILE)
    page = tab.page
    for anchor in ("", "#example", "#related-terms"):  # the page, then jumps within it as from the TOC
        tab.goto(site_url + BN + anchor)
        heading = page.locator(f"article [id='{anchor[1:]}']" if anchor else "article h1")
        expect(heading).to_be_in_viewport()
        page.wait_for_timeout(200)  # the jump to the anchor
        header = page.locator("header.md-header").bounding_box()
        box = heading.bounding_box()
        bottom = header["y"] + header["height"]
        assert bottom <= box["y"] + 0.5, f"{BN}{anchor}: the header ends at {bottom} px, the heading starts at {box['y']} px"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 + 0.5, f"{BN}{anchor}: heading outside the viewport: {box}"
    tab.assert_clean()


@pytest.mark.parametrize(
    "name, path",
    [
        ("home", "index.html"),
        ("batch-normalization", BN),
        ("learning-path", "paths/optimization.html"),
        ("notation", "notation.html"),
        ("graph", "graph.html"),
        ("a-z", "terms/index.html"),
    ],
)
def test_screenshots_light_and_dark(open_tab, site_url, artifacts, name, path):
    tab = open_tab(color_scheme="light", viewport={"width": 1280, "height": 900})
    tab.goto(site_url + path)
    page = tab.page
    for scheme, wanted in (("light", "default"), ("dark", "slate")):
        if palette(page) != wanted:
            assert toggle_palette(page) == wanted
            page.mouse.move(640, 0)  # off the toggle, so that its tooltip is not in the picture
            expect(page.locator(".md-tooltip2--active")).to_have_count(0)
        target = artifacts / f"{name}-{scheme}.png"
        target.unlink(missing_ok=True)
        page.screenshot(path=target, full_page=True, animations="disabled")
        data = target.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, target
    tab.assert_clean()


def test_math_renders_as_mathml(open_tab, site_url):
    tab = open_tab()
    tab.goto(site_url + BN)
    page = tab.page
    maths = page.locator("article math")
    assert maths.count() > 10
    shown = page.evaluate(
        """() => [...document.querySelectorAll('article math')]
             .filter(m => !m.closest('details:not([open])') && m.checkVisibility())  // not in a closed FAQ or a hidden tab
             .map(m => { const r = m.getBoundingClientRect();
                         return {tex: m.getAttribute('alttext'), display: getComputedStyle(m).display,
                                 w: r.width, h: r.height} })"""
    )
    assert any(m["display"] == "block math" for m in shown), "display formulas are laid out as block MathML"
    broken = [m for m in shown if not (m["w"] > 0 and m["h"] > 0 and "math" in m["display"])]
    assert broken == [], broken
    # Chromium lays out the fraction: its numerator sits above its denominator
    frac = page.locator("article math[display='block'] mfrac").first
    expect(frac).to_be_visible()
    numerator_bottom, denominator_top = frac.evaluate(
        "f => [f.children[0].getBoundingClientRect().bottom, f.children[1].getBoundingClientRect().top]"
    )
    assert numerator_bottom <= denominator_top + 1
    tab.assert_clean()


def test_notebook_download_is_a_valid_notebook(open_tab, site_url):
    tab = open_tab(accept_downloads=True)
    tab.goto(site_url + BN)
    link = tab.page.locator("article a.termbook-notebook")
    expect(link).to_be_visible()
    expect(link).to_have_text("Download as notebook")
    with tab.page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".ipynb")
    notebook = json.loads(download.path().read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and notebook["cells"]
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert "def batch_norm_forward" in code, "the notebook holds the term's snippet"
    nbformat.validate(nbformat.reads(json.dumps(notebook), as_version=4))
    tab.assert_clean()
