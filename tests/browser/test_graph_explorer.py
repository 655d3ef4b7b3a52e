"""The graph page's explorer (assets/graph-explorer.js): pan, zoom, tag filter, neighbourhoods, find.

Over http and from file://, in the real site's Content-Security-Policy; the grouped picture of a
1,000-term glossary in a page of its own.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
from pathlib import Path

from playwright.sync_api import expect
from termbook.graph import RELATED, Edge, glossary_svg
from termbook.model import Term, TermData

from .conftest import LOCAL

ASSETS = Path(__file__).resolve().parents[2] / "plugins" / "termbook" / "assets"
GRAPH = "article svg.termbook-graph"


def view_box(page, index: int = 0) -> list[float]:
    value = page.locator(GRAPH).nth(index).get_attribute("viewBox")
    return [float(v) for v in value.split()]


def all_nodes_inside(page, box: list[float]) -> bool:
    return page.evaluate(
        """([x, y, w, h]) => [...document.querySelectorAll('svg.tb-explorer__svg a.tb-node')].every(a => {
            const b = a.getBBox();
            return b.x >= x - 1 && b.y >= y - 1 && b.x + b.width <= x + w + 1 && b.y + b.height <= y + h + 1;
        })""",
        box,
    )


def node(page, slug: str):
    return page.locator(f"{GRAPH} a.tb-node[data-slug='{slug}']")


def open_graph(tab, url: str):
    tab.goto(url)
    page = tab.page
    expect(page.locator(".tb-explorer.tb-explorer--ready")).to_have_count(1)
    return page


def test_graph_nodes_carry_slug_and_tags_escaped():
    def make(slug, tags, related=()):
        data = TermData(term=slug.title(), summary="S.", definition="D.", tags=tags, related=list(related))
        return Term(slug=slug, path=Path(f"terms/{slug}.yml"), data=data)

    terms = [make("a", ['x"<y>', "plain"], ["b"]), make("b", [])]
    svg = glossary_svg(terms, [Edge("a", "b", RELATED)], lambda s: f"{s}.html")
    tags = re.search(r'data-slug="a" data-tags="([^"]*)"', svg)
    assert tags is not None, svg
    assert "<y>" not in tags.group(1)
    assert json.loads(html.unescape(tags.group(1))) == ['x"<y>', "plain"]
    assert 'data-slug="b" data-tags="[]"' in svg
    assert 'data-a="a" data-b="b"' in svg


def test_explorer_is_only_on_the_graph_page(open_tab, site_url):
    tab = open_tab()
    for path in ("index.html", "terms/batch-normalization.html"):
        tab.goto(site_url + path)
        tab.page.wait_for_load_state("load")
        assert tab.page.locator("script[src$='graph-explorer.js']").count() == 1
        assert tab.page.locator(".tb-explorer").count() == 0
    tab.assert_clean()


def test_zoom_with_buttons_wheel_and_keys(open_tab, site_url):
    tab = open_tab()
    page = open_graph(tab, site_url + "graph.html")
    fitted = view_box(page)
    page.get_by_role("button", name="Zoom in").click()
    zoomed = view_box(page)
    assert zoomed[2] < fitted[2] and zoomed[3] < fitted[3]
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    assert view_box(page)[2] > zoomed[2]
    page.get_by_role("button", name="Reset view").click()
    assert view_box(page) == fitted
    # the first view has readable labels; the whole picture is one click away
    assert page.locator(".tb-explorer__view").bounding_box()["width"] / fitted[2] >= 0.69
    page.get_by_role("button", name="Show the whole picture").click()
    assert all_nodes_inside(page, view_box(page))
    assert not all_nodes_inside(page, fitted), "153 terms: the first view is a readable part of the picture"
    page.get_by_role("button", name="Reset view").click()
    assert view_box(page) == fitted
    # the wheel zooms around the pointer: the SVG point under it stays put
    box = page.locator(".tb-explorer__view").bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4
    page.mouse.move(x, y)
    under = page.evaluate(
        "([x, y]) => { const s = document.querySelector('svg.tb-explorer__svg'); const p = new DOMPoint(x, y).matrixTransform(s.getScreenCTM().inverse()); return [p.x, p.y] }",
        [x, y],
    )
    page.mouse.wheel(0, -400)
    expect(page.locator(GRAPH)).not_to_have_attribute("viewBox", " ".join(f"{v:.2f}" for v in fitted))
    wheeled = view_box(page)
    assert wheeled[2] < fitted[2]
    still = page.evaluate(
        "([x, y]) => { const s = document.querySelector('svg.tb-explorer__svg'); const p = new DOMPoint(x, y).matrixTransform(s.getScreenCTM().inverse()); return [p.x, p.y] }",
        [x, y],
    )
    assert abs(still[0] - under[0]) < 2 and abs(still[1] - under[1]) < 2, (under, still)
    # keys, with the picture focused
    page.locator(".tb-explorer__view").focus()
    page.keyboard.press("0")
    assert view_box(page) == fitted
    page.keyboard.press("+")
    assert view_box(page)[2] < fitted[2]
    before = view_box(page)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    after = view_box(page)
    assert after[0] > before[0] and after[1] > before[1] and after[2:] == before[2:]
    page.keyboard.press("-")
    assert view_box(page)[2] > after[2]
    tab.assert_clean()


def test_dragging_pans_and_does_not_open_a_term(open_tab, site_url):
    tab = open_tab()
    page = open_graph(tab, site_url + "graph.html")
    url = page.url
    page.get_by_label("Find a term").fill("Dropout")
    page.get_by_label("Find a term").press("Enter")  # centred in the view
    page.locator(".tb-explorer__view").scroll_into_view_if_needed()
    before = view_box(page)
    start = node(page, "dropout").bounding_box()  # a drag may start on a term
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y - 30, steps=5)
    page.mouse.move(x - 120, y - 60, steps=5)
    page.mouse.up()
    after = view_box(page)
    assert after[0] > before[0] and after[1] > before[1], (before, after)
    assert after[2:] == before[2:]  # panned, not zoomed
    page.wait_for_timeout(300)
    assert page.url == url, "the drag opened the term it started on"
    # a plain click still opens a term
    node(page, "dropout").click()
    expect(page).to_have_url(re.compile(r"terms/dropout\.html$"))
    tab.assert_clean()


def test_a_resized_window_keeps_the_scale(open_tab, site_url):
    tab = open_tab(viewport={"width": 1280, "height": 900})
    page = open_graph(tab, site_url + "graph.html")
    view = page.locator(".tb-explorer__view")
    before = view.bounding_box()["width"] / view_box(page)[2]
    page.set_viewport_size({"width": 900, "height": 900})
    page.wait_for_function("w => document.querySelector('.tb-explorer__view').clientWidth < w", arg=1000)
    page.wait_for_timeout(100)
    after = view.bounding_box()["width"] / view_box(page)[2]
    assert abs(after - before) < 0.01, (before, after)
    tab.assert_clean()


def test_two_fingers_pinch_to_zoom(open_tab, site_url):
    tab = open_tab(viewport={"width": 1280, "height": 900})
    page = open_graph(tab, site_url + "graph.html")
    before = view_box(page)
    page.evaluate(
        """() => {
            const view = document.querySelector('.tb-explorer__view');
            const r = view.getBoundingClientRect();
            const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
            const send = (type, id, x) => view.dispatchEvent(new PointerEvent(type, {
                pointerId: id, pointerType: 'touch', isPrimary: id === 21, button: 0, clientX: x, clientY: cy, bubbles: true }));
            send('pointerdown', 21, cx - 50);
            send('pointerdown', 22, cx + 50);
            for (let d = 60; d <= 150; d += 10) { send('pointermove', 21, cx - d); send('pointermove', 22, cx + d); }
            send('pointerup', 21, cx - 150);
            send('pointerup', 22, cx + 150);
        }"""
    )
    after = view_box(page)
    assert after[2] < before[2] / 2, (before, after)  # fingers three times as far apart: zoomed in
    tab.assert_clean()


def test_unchecking_a_tag_hides_its_terms_and_their_links(open_tab, site_url, built_site):
    assert built_site.terms()["adam"]["tags"] == ["optimization"]
    tab = open_tab()
    page = open_graph(tab, site_url + "graph.html")
    adam, dropout = node(page, "adam"), node(page, "dropout")
    edges = page.locator(f"{GRAPH} line.tb-edge[data-a='adam'], {GRAPH} line.tb-edge[data-b='adam']")
    assert edges.count() > 0
    expect(adam).to_be_visible()
    box = page.get_by_role("checkbox", name=re.compile(r"^optimization \(\d+\)$"))
    expect(box).to_be_checked()
    box.uncheck()
    expect(adam).to_be_hidden()
    assert adam.evaluate("el => getComputedStyle(el).display") == "none"
    assert edges.evaluate_all("els => els.every(el => getComputedStyle(el).display === 'none')")
    expect(dropout).to_be_visible()  # not tagged optimization
    expect(page.locator(".tb-explorer__shown")).to_contain_text(f"of {len(built_site.terms())} terms shown")
    box.check()
    expect(adam).to_be_visible()
    assert adam.evaluate("el => getComputedStyle(el).display") != "none"
    assert edges.evaluate_all("els => els.every(el => getComputedStyle(el).display !== 'none')")
    # None hides every term; All brings them back
    page.get_by_role("button", name="None", exact=True).click()
    expect(page.locator(f"{GRAPH} a.tb-node:visible")).to_have_count(0)
    page.get_by_role("button", name="All", exact=True).click()
    expect(adam).to_be_visible()
    tab.assert_clean()


def test_hovering_a_term_dims_all_but_its_neighbourhood(open_tab, site_url, artifacts):
    tab = open_tab(reduced_motion="reduce", viewport={"width": 1280, "height": 900})
    page = open_graph(tab, site_url + "graph.html")
    svg = page.locator(GRAPH)
    near = set(
        page.evaluate(
            "() => [...document.querySelectorAll('line.tb-edge')].flatMap(l => l.dataset.a === 'dropout' ? [l.dataset.b] : l.dataset.b === 'dropout' ? [l.dataset.a] : [])"
        )
    )
    assert near, "dropout has related links in the picture"
    far = next(s for s in ("k-means", "q-learning", "bleu-score", "roc-auc", "adam") if s not in near and node(page, s).count())
    assert node(page, far).evaluate("el => getComputedStyle(el).transitionDuration") in ("0s", "0s, 0s")
    node(page, "dropout").hover()
    expect(svg).to_have_class(re.compile(r"\btb-dimmed\b"))
    opacity = "el => Number(getComputedStyle(el).opacity)"
    assert node(page, "dropout").evaluate(opacity) == 1
    for slug in near:
        assert node(page, slug).evaluate(opacity) == 1, slug
    assert node(page, far).evaluate(opacity) < 0.5
    lit = page.locator(f"{GRAPH} line.tb-edge.tb-lit")
    assert lit.count() == len(near)
    assert page.locator(f"{GRAPH} line.tb-edge:not(.tb-lit)").first.evaluate(opacity) < 0.5
    page.screenshot(path=str(artifacts / "graph-explorer-hover.png"))
    page.mouse.move(5, 5)  # off the picture: nothing dimmed
    expect(svg).not_to_have_class(re.compile(r"\btb-dimmed\b"))
    assert node(page, far).evaluate(opacity) == 1
    tab.assert_clean()


def test_find_box_highlights_and_goes_to_a_term(open_tab, site_url, artifacts):
    tab = open_tab(viewport={"width": 1280, "height": 900})
    page = open_graph(tab, site_url + "graph.html")
    fitted = view_box(page)
    find = page.get_by_label("Find a term")
    find.fill("drop")
    expect(page.locator(".tb-explorer__status")).to_contain_text("match")
    expect(node(page, "dropout")).to_have_class(re.compile(r"\btb-match\b"))
    assert page.locator(f"{GRAPH} a.tb-node.tb-match").count() >= 1
    expect(node(page, "adam")).not_to_have_class(re.compile(r"\btb-match\b"))
    find.fill("Dropout")
    find.press("Enter")
    expect(node(page, "dropout")).to_be_focused()
    box = view_box(page)
    assert box[2] < fitted[2], "zoomed in on the match"
    rect = node(page, "dropout").locator("rect")
    cx = float(rect.get_attribute("x")) + float(rect.get_attribute("width")) / 2
    cy = float(rect.get_attribute("y")) + float(rect.get_attribute("height")) / 2
    assert abs(cx - (box[0] + box[2] / 2)) < 1 and abs(cy - (box[1] + box[3] / 2)) < 1, "centred on the match"
    page.screenshot(path=str(artifacts / "graph-explorer-find.png"))
    page.keyboard.press("Enter")  # the focused link opens the term
    expect(page).to_have_url(re.compile(r"terms/dropout\.html$"))
    tab.assert_clean()


def test_explorer_works_from_file_url(open_tab, built_site):
    tab = open_tab(allow=LOCAL)
    page = open_graph(tab, (built_site.site / "graph.html").as_uri())
    fitted = view_box(page)
    page.get_by_role("button", name="Zoom in").click()
    assert view_box(page)[2] < fitted[2]
    page.get_by_role("checkbox", name=re.compile(r"^optimization \(")).uncheck()
    expect(node(page, "adam")).to_be_hidden()
    page.get_by_role("checkbox", name=re.compile(r"^optimization \(")).check()
    page.get_by_label("Find a term").fill("Dropout")
    page.get_by_label("Find a term").press("Enter")
    expect(node(page, "dropout")).to_be_focused()
    page.wait_for_load_state("load")
    tab.assert_clean()


def _grouped_page(folder: Path, n: int) -> Path:
    """A page with the grouped picture of an ``n``-term glossary, the explorer and a strict policy."""
    rng = random.Random(7)
    tags = ["optimization", "layers", "probability", "evaluation", "training", "data", "nlp"]
    terms = []
    for i in range(n):
        related = [f"t{j:04d}" for j in rng.sample(range(max(0, i - 12), min(n, i + 12)), 3) if j != i]
        data = TermData(term=f"Term {i:04d}", summary="S.", definition="D.", tags=rng.sample(tags, rng.randint(1, 2)), related=related)
        terms.append(Term(slug=f"t{i:04d}", path=Path(f"terms/t{i:04d}.yml"), data=data))
    edges = [Edge(t.slug, r, RELATED) for t in terms for r in t.data.related]
    body = glossary_svg(terms, edges, lambda s: f"{s}.html")
    for name in ("termbook.css", "graph-explorer.css", "graph-explorer.js"):
        shutil.copy(ASSETS / name, folder / name)
    page = folder / "graph.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'\">"
        "<style>:root { --md-default-fg-color: #222; --md-default-fg-color--light: #666; --md-default-fg-color--lighter: #aaa;"
        " --md-default-fg-color--lightest: #eee; --md-default-bg-color: #fff; --md-primary-fg-color: #3f51b5;"
        " --md-accent-fg-color: #526cfe; --md-accent-fg-color--transparent: #526cfe1a; --md-typeset-color: #222 }"
        " body { font-family: sans-serif; margin: 1rem 2rem }</style>"
        "<link rel='stylesheet' href='termbook.css'><link rel='stylesheet' href='graph-explorer.css'></head>"
        f"<body><article class='md-typeset'><h1>Graph</h1>{body}</article>"
        "<script src='graph-explorer.js'></script></body></html>",
        encoding="utf-8",
    )
    return page


def test_every_picture_of_a_grouped_glossary_is_explorable(open_tab, tmp_path, artifacts):
    page_path = _grouped_page(tmp_path, 1000)
    tab = open_tab(allow=LOCAL, viewport={"width": 1280, "height": 900})
    tab.goto(page_path.as_uri())
    page = tab.page
    pictures = page.locator(GRAPH).count()
    assert pictures > 1
    expect(page.locator(".tb-explorer.tb-explorer--ready")).to_have_count(pictures)
    assert len(set(page.locator(".tb-explorer__find").evaluate_all("els => els.map(e => e.id)"))) == pictures
    last = pictures - 1
    explorer = page.locator(".tb-explorer").nth(last)
    fitted, first = view_box(page, last), view_box(page, 0)
    explorer.get_by_role("button", name="Zoom in").click()
    assert view_box(page, last)[2] < fitted[2]
    assert view_box(page, 0) == first  # the other pictures keep their view
    slug = page.locator(GRAPH).nth(last).locator("a.tb-node").first.get_attribute("data-slug")
    name = page.locator(f"a.tb-node[data-slug='{slug}'] text").text_content()
    explorer.get_by_label("Find a term").fill(name)
    explorer.get_by_label("Find a term").press("Enter")
    expect(page.locator(f"a.tb-node[data-slug='{slug}']")).to_be_focused()
    page.screenshot(path=str(artifacts / "graph-explorer-grouped.png"))
    explorer.get_by_role("button", name="None", exact=True).click()
    expect(page.locator(GRAPH).nth(last).locator("a.tb-node:visible")).to_have_count(0)
    expect(page.locator(GRAPH).nth(0).locator("a.tb-node:visible").first).to_be_visible()
    tab.assert_clean()
