"""Accessible to all (#18 item 7): axe-core on every kind of page, in light and dark; the keyboard alone; reduced motion.

axe-core is vendored (tests/browser/vendor/, see its README): nothing is fetched at test time; it
is injected as an inline script, which the pages' Content-Security-Policy would refuse, so those
contexts bypass the policy (``bypass_csp``; test_hostile.py checks the policy itself). The
palette follows ``prefers-color-scheme`` on a first visit (mkdocs.yml gives each scheme a media
query), so a context opened with ``color_scheme='dark'`` shows the slate scheme without a click.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import palette, slug_path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")

PAGES = {
    "home": "index.html",
    "a-z": "terms/index.html",
    "tags": "tags.html",
    "graph": "graph.html",
    "path": "paths/optimization.html",
    "term": "terms/batch-normalization.html",
    "tutorial": "tutorials/batch-norm-and-dropout.html",
}
SCHEMES = {"light": "default", "dark": "slate"}

# Violations that come from Material for MkDocs itself and that termbook's CSS or markup cannot
# fix, as (rule id, CSS selector of the node as axe reports it). Each one says why.
EXCLUDED: set[tuple[str, str]] = {
    # Material's search panel is `<div class="md-search" role="dialog">` with no aria-label or
    # aria-labelledby (its template partials/search.html); a name is markup, which CSS cannot add,
    # and termbook does not override the theme's templates. The search input inside it is labelled.
    ("aria-dialog-name", ".md-search"),
}


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now: id, impact, help and the nodes' targets."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
          const results = await axe.run(document, {resultTypes: ['violations']});
          return results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), impact: n.impact,
                                      summary: n.failureSummary || ''})),
          }));
        }"""
    )


def blocking(violations: list[dict]) -> list[dict]:
    """The serious and critical violations, without the excluded (rule, node) pairs."""
    kept = []
    for v in violations:
        nodes = [n for n in v["nodes"] if (n["impact"] or v["impact"]) in BLOCKING and (v["id"], n["target"]) not in EXCLUDED]
        if nodes:
            kept.append({**v, "nodes": nodes})
    return kept


def describe(violations: list[dict], limit: int = 5) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}")
        lines += [f"    {n['target']}" for n in v["nodes"][:limit]]
        if len(v["nodes"]) > limit:
            lines.append(f"    ... and {len(v['nodes']) - limit} more")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_violations(open_tab, site_url, artifacts, name, scheme):
    tab = open_tab(color_scheme=scheme, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    tab.goto(site_url + PAGES[name])
    page = tab.page
    expect(page.locator("article h1")).to_be_visible()
    assert palette(page) == SCHEMES[scheme], "the palette follows prefers-color-scheme"
    violations = run_axe(page)
    print(f"\naxe {name} {scheme}: " + (describe(violations) or "no violations"))
    target = artifacts / f"a11y-{name}-{scheme}.png"
    target.unlink(missing_ok=True)
    page.screenshot(path=target, full_page=True, animations="disabled")
    found = blocking(violations)
    assert found == [], f"axe-core on {PAGES[name]} ({scheme}):\n{describe(found)}"
    # what a screen reader reads instead of a formula or a figure: MathML's alttext (the LaTeX) and alt
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('article math:not([alttext]), article math[alttext=""],'
                                               + 'article img:not([alt]), article img[alt=""]')]
                   .map(e => e.outerHTML.slice(0, 120))"""
    )
    assert unnamed == [], unnamed
    tab.assert_clean()


FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const visible = x => {  // a focus indicator: an outline or a box shadow
    const s = getComputedStyle(x);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  };
  // Material's palette toggle and termbook's library tabs are visually hidden radio buttons whose
  // label (the next sibling, or the label for their id) draws the ring
  const label = !e.matches('input') ? null
    : e.nextElementSibling && e.nextElementSibling.matches('label') ? e.nextElementSibling
    : e.id ? document.querySelector('label[for="' + CSS.escape(e.id) + '"]') : null;
  const related = document.querySelector('h2#related-terms + ul');
  return {
    element: e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''),
    text: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60),
    indicated: visible(e) || (label !== null && visible(label)),
    related: !!(related && related.contains(e) && e.matches('a[href]')),
  };
}"""


def test_keyboard_only_search_and_related_term(open_tab, site_url):
    """Search with "/", open the first result with Down and Enter, Tab to a related term (its preview shows), Enter."""
    tab = open_tab(viewport={"width": 1280, "height": 900})
    page = tab.page
    tab.goto(site_url + "index.html")
    expect(page.locator(".md-search-result__meta")).not_to_have_text("Initializing search")
    focused = []

    def focus() -> dict | None:
        state = page.evaluate(FOCUSED)
        if state is not None:
            focused.append(state)
        return state

    page.keyboard.press("/")  # Material's shortcut to the search box
    assert (focus() or {}).get("element", "").startswith("input.md-search__input"), focused
    page.keyboard.type("dropout", delay=30)
    expect(page.locator(".md-search-result__list > li").first).to_be_visible()
    # the term hits come first and the list is drawn again when the full text has loaded; an arrow
    # key pressed while it is being drawn again did not reach a result once: wait until it is drawn
    page.wait_for_function(
        """() => { const html = document.querySelector('.md-search-result__list').innerHTML;
                   const same = window.__lastList === html; window.__lastList = html; return same; }""",
        polling=500,
    )
    page.keyboard.press("ArrowDown")  # to the first result
    first = focus() or {}
    assert first.get("element", "").startswith("a.md-search-result__link") and "Dropout" in first["text"], focused
    page.keyboard.press("Enter")
    page.wait_for_url(slug_path("dropout"))
    expect(page.locator("article h1")).to_have_text(re.compile("^Dropout"))
    for _ in range(300):
        page.keyboard.press("Tab")
        state = focus()
        if state and state["related"]:
            break
    else:
        pytest.fail("300 presses of Tab never reached a related term: " + ", ".join(f["element"] for f in focused[-10:]))
    # the focused related term shows its preview card, described by it; the card's own link is reachable
    card = page.locator("#termbook-card")
    expect(card).to_be_visible()
    assert page.evaluate("() => document.activeElement.getAttribute('aria-describedby')") == "termbook-card"
    before = page.url
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url != before)
    assert re.search(r"/terms/[a-z0-9-]+\.html(#.*)?$", page.url) and not slug_path("dropout").search(page.url), page.url
    expect(page.locator("article h1")).to_be_visible()
    missing = [f"{f['element']} {f['text']!r}" for f in focused if not f["indicated"]]
    assert missing == [], "focused without a visible focus indicator:\n  " + "\n  ".join(missing)
    tab.assert_clean()


MOTION = """() => {
  const node = document.querySelector('article svg.termbook-graph a.tb-node rect');
  return {transition: getComputedStyle(node).transitionDuration,
          scroll: getComputedStyle(document.documentElement).scrollBehavior};
}"""


@pytest.mark.parametrize("reduced_motion", ["no-preference", "reduce"])
def test_reduced_motion_turns_off_termbook_transitions(open_tab, site_url, reduced_motion):
    tab = open_tab(reduced_motion=reduced_motion)
    tab.goto(site_url + PAGES["term"])
    expect(tab.page.locator("article svg.termbook-graph a.tb-node").first).to_be_visible()
    style = tab.page.evaluate(MOTION)
    durations = {d.strip() for d in style["transition"].split(",")}
    if reduced_motion == "reduce":
        assert durations == {"0s"}, style
        assert style["scroll"] == "auto", style
    else:  # the graph's nodes do fade when hovered or focused: the query above has something to turn off
        assert durations != {"0s"}, style
    tab.assert_clean()
