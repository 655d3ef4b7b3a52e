"""The allow-list sanitiser (sanitizing.py) and what it reports (auditing.py), without MkDocs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from termbook.auditing import Source, removal_problems
from termbook.markdown_html import MarkdownProfile, to_html
from termbook.mathml import MathIssueKind, convert_math, tex_to_mathml
from termbook.sanitizing import CONTENT, MATHML, RemovalKind, sanitize

ROOT = Path(__file__).resolve().parent.parent
DANGEROUS_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)", re.I)
URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "poster", "background", "data", "srcset", "cite"}


class Live(HTMLParser):
    """Everything in parsed HTML that a browser could run or follow into script."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "iframe", "object", "embed", "form", "base", "meta"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = "".join(ch for ch in (value or "") if ch not in "\t\n\r")  # as browsers read URLs
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if DANGEROUS_URL.match(value) and (name in URL_ATTRS or name.endswith("href")):
                self.found.append(f"{tag}[{name}={value}]")
            if name == "style":
                self.found.append(f"{tag}[style={value}]" if "text-align" not in value else "")
        self.found = [f for f in self.found if f]


def live(html: str) -> list[str]:
    parser = Live()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.fixture(scope="module")
def renderer():
    return MarkdownProfile.from_mkdocs_yml(ROOT / "mkdocs.yml").renderer()


# Markdown a contributor could write in any text field, and what the sanitiser must take out.
ROUTES = [
    ("link attribute list", '[x](https://example.org){ onclick="alert(1)" }', RemovalKind.ATTRIBUTE),
    ("emphasis attribute list", '*x*{: onmouseover="alert(1)" }', RemovalKind.ATTRIBUTE),
    ("inline code attribute list", '`x`{ onfocus="alert(1)" tabindex="0" }', RemovalKind.ATTRIBUTE),
    ("paragraph attribute list", 'A paragraph.\n{: onclick="alert(1)" }', RemovalKind.ATTRIBUTE),
    ("heading attribute list", '### Title {: onclick="alert(1)" }', RemovalKind.ATTRIBUTE),
    ("href from an attribute list", '[x](https://ok.org){ href="javascript:alert(1)" }', RemovalKind.URL),
    ("style attribute", 'Text.\n{: style="position:fixed;top:0" }', RemovalKind.STYLE),
    ("data attribute", 'Text.\n{: data-md-component="search" }', RemovalKind.ATTRIBUTE),
    ("tab inside the scheme", "[x](java&#9;script:alert(1))", RemovalKind.URL),
    ("entity-encoded scheme", "[x](&#106;avascript:alert(1))", RemovalKind.URL),
    ("reference definition", "[x][evil]\n\n[evil]: javascript:alert(1)", RemovalKind.URL),
    ("fence attributes", '```{.python onclick="alert(1)"}\nx = 1\n```', None),  # Pygments drops them itself
]


@pytest.mark.parametrize("name, markdown, kind", ROUTES, ids=[r[0] for r in ROUTES])
def test_each_route_is_closed_and_reported(renderer, name, markdown, kind):
    raw = to_html(renderer, markdown)
    clean, removals = sanitize(raw)
    assert live(clean) == [], clean
    if kind is None:
        assert live(raw) == [], raw
    else:
        assert kind in {r.kind for r in removals}, (raw, removals)


def test_math_href_is_removed_reported_and_shown_as_latex():
    html = '<p><span class="arithmatex">\\(\\href{javascript:alert(1)}{x}\\)</span></p>'
    out, issues = convert_math(html)
    assert [i.kind for i in issues] == [MathIssueKind.UNSAFE]
    assert issues[0].removals[0].kind is RemovalKind.URL
    assert "<math" not in out and "termbook-tex-error" in out  # the LaTeX, as text
    assert live(out) == []


def test_ordinary_math_and_markdown_pass_unchanged_in_meaning(renderer):
    mathml, removals = tex_to_mathml(r"\frac{a}{b} + \sqrt{x_i^2} \\ \mathbb{R}", "block")
    assert removals == ()
    assert "<mfrac>" in mathml and "<msqrt>" in mathml
    markdown = 'A *b* `c` [d](https://e.org "t") ![f](../figures/x.svg)\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- item[^1]\n\n[^1]: note'
    clean, removals = sanitize(to_html(renderer, markdown))
    assert removals == []
    assert 'style="text-align:left"' in clean.replace(": ", ":")


def test_removal_is_located_at_the_line_and_field(tmp_path):
    from termbook.loading import load_term

    (tmp_path / "terms").mkdir()
    path = tmp_path / "terms" / "x.yml"
    path.write_text(
        'term: X\nsummary: A test.\ndefinition: |\n  Fine.\n\n  Bad [y](https://a.org){ onclick="alert(1)" }.\nfaq:\n'
        "  - q: Why?\n    a: Math $\\href{javascript:alert(2)}{x}$.\n",
        encoding="utf-8",
    )
    term, problems = load_term(path, tmp_path)
    assert problems == []
    source = Source.of_term(term, "terms/x.yml")
    _, removals = sanitize('<p><a href="https://a.org" onclick="alert(1)">y</a></p>')
    (problem,) = removal_problems(removals, source)
    assert (problem.line, problem.field) == (6, "definition")
    assert "onclick" in problem.message and problem.hint.startswith("event handlers")
    _, issues = convert_math('<span class="arithmatex">\\(\\href{javascript:alert(2)}{x}\\)</span>')
    (math_problem,) = removal_problems(list(issues[0].removals), source, in_math=True)
    assert (math_problem.line, math_problem.field) == (9, "faq[0].a")
    assert "\\href" in math_problem.hint


def test_script_and_style_lose_their_content():
    clean, removals = sanitize("<p>a</p><script>alert(1)</script><style>p{}</style>")
    assert clean == "<p>a</p>"
    assert {r.tag for r in removals} == {"script", "style"}


def test_policies_have_no_dangerous_element():
    for policy in (CONTENT, MATHML):
        assert not policy.tags & {"script", "style", "iframe", "object", "embed", "form", "base", "meta", "svg"}
        for _tag, names in policy.attributes:
            assert not any(n.startswith("on") for n in names)
            assert "style" not in names or _tag in ("td", "th")


_ATTR_NAMES = st.sampled_from(
    ["onclick", "onerror", "OnLoad", "onfocus", "style", "href", "src", "formaction", "xlink:href", "data-x", "id", "class", "title"]
)
_SCHEMES = st.sampled_from(
    [
        "javascript:",
        "JaVaScRiPt:",
        " javascript:",
        "java&#9;script:",
        "vbscript:",
        "data:text/html,",
        "https://ok.org/",
        "../rel",
        "mailto:a@b.c",
    ]
)
_HOSTS = st.sampled_from(["[l](https://a.org){ %s }", "*e*{: %s }", "`c`{ %s }", "Para.\n{: %s }", "### H {: %s }", "**s**{ %s }"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=_HOSTS, name=_ATTR_NAMES, scheme=_SCHEMES, payload=st.sampled_from(["alert(1)", "x", "'\"><b>"]))
def test_generated_attribute_lists_never_publish_live_markup(renderer, host, name, scheme, payload):
    value = (scheme + payload).replace('"', "&quot;")
    markdown = host % f'{name}="{value}"'
    raw = to_html(renderer, markdown)
    clean, removals = sanitize(raw)
    assert live(clean) == [], (markdown, clean)
    if live(raw):  # something dangerous was there: it was reported
        assert removals, (markdown, raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    routes=st.lists(st.sampled_from([r[1] for r in ROUTES] + ["Plain *text* with `code`.", "<br />x<hr/>", "$a$ <!-- c -->"]), max_size=6),
    host=_HOSTS,
    name=_ATTR_NAMES,
    scheme=_SCHEMES,
)
def test_removals_are_found_from_the_changed_tags_alone(renderer, routes, host, name, scheme):
    """What the sanitiser reports comes from the tags it changed; the whole inventory of both sides
    (the slow way, parsing every tag) says the same."""
    from termbook.sanitizing import _inventory, _removed

    markdown = "\n\n".join([*routes, host % f'{name}="{scheme}x"'])
    raw = to_html(renderer, markdown) + "<script>a</script><p title='<!-- x'>y</p><script>"
    clean, _ = sanitize(raw)
    assert _removed(raw, clean) == _inventory(raw) - _inventory(clean)


def test_audit_of_an_unchanged_page_comes_from_the_cache_and_says_the_same(tmp_path, monkeypatch):
    import termbook.auditing as auditing
    from termbook.execution.cache import Cache
    from termbook.loading import load_term

    (tmp_path / "terms").mkdir()
    path = tmp_path / "terms" / "x.yml"
    path.write_text('term: X\nsummary: A test.\ndefinition: |\n  Bad [y](https://a.org){ onclick="alert(1)" }.\n', encoding="utf-8")
    term, _ = load_term(path, tmp_path)
    rendered: list[str] = []
    real = auditing.to_html
    monkeypatch.setattr(auditing, "to_html", lambda renderer, text: rendered.append(text) or real(renderer, text))
    profile, cache = MarkdownProfile(), Cache(tmp_path / "cache", folder="audit")

    def audit(page: str, profile: MarkdownProfile = profile) -> list[str]:
        return [p.format() for p in auditing.audit_pages([term], {"x": page}, tmp_path, profile, cache)]

    bad = 'Bad [y](https://a.org){ onclick="alert(1)" } and $\\href{javascript:alert(2)}{x}$.'
    first = audit(bad)
    assert len(first) == 2 and len(rendered) == 1 and any("onclick" in p for p in first)
    assert audit(bad) == first and len(rendered) == 1  # from the cache: not rendered again
    assert audit("Fine.") == [] and len(rendered) == 2  # another page is another key
    assert audit("Fine.") == [] and len(rendered) == 2
    assert audit(bad, MarkdownProfile(("attr_list",), {})) and len(rendered) == 3  # other extensions: rendered again
    cache.put(auditing._audit_key(bad, profile), {"removals": "garbage"})
    assert audit(bad) == first and len(rendered) == 4  # an entry it does not understand is redone, not trusted


def test_an_input_is_a_radio_button_or_checkbox_never_a_text_field():
    """The library tabs' radio buttons and task lists' checkboxes stay; any other input type goes, reported."""
    tabs = '<input checked id="termbook-tab-1" name="termbook-tabs" type="radio"><label for="termbook-tab-1">NumPy</label>'
    clean, removals = sanitize(tabs + '<input type="checkbox" disabled>')
    assert removals == [] and 'type="radio"' in clean and 'type="checkbox"' in clean
    clean, removals = sanitize('<input type="text" name="password">')
    assert "type=" not in clean and [(r.tag, r.attribute, r.value) for r in removals] == [("input", "type", "text")]
