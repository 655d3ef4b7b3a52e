"""Contributed text and snippet output never reach a page as live markup."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from .conftest import term

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


class _Live(HTMLParser):
    """Collects what a browser would run: script bodies and event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        # JSON-LD is data, not code: a browser never runs it
        self._in_script = tag == "script" and dict(attrs).get("type") != "application/ld+json"
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        self.hrefs = getattr(self, "hrefs", []) + [v for n, v in attrs if n in ("href", "src") and v]

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def live(html: str) -> _Live:
    parser = _Live()
    parser.feed(html)
    return parser


def hostile_term():
    return term(
        f"Evil {XSS}",
        aliases=[f"alias {XSS}"],
        summary=f"Summary {XSS}",
        definition=f"Definition {XSS}\n\nSecond <b onclick=alert(3)>bold</b> paragraph with `code <kept>` and $a < b$.",
        how_it_works=f"How {XSS}",
        example=f"<details open ontoggle=alert(4)>x</details>\n\n{XSS}",
        why_it_matters=f"<iframe src=javascript:alert(5)></iframe>{XSS}",
        faq=[{"q": f"Question {XSS}", "a": f"Answer {XSS}"}],
        tags=[f"tag {XSS}"],
        references=[{"title": f"Title {XSS}", "authors": f"Authors {XSS}", "year": 2020, "url": "https://example.org/paper"}],
    )


@pytest.fixture
def hostile_site(project):
    project.add_term("evil", hostile_term())
    project.add_term("other", term("Other", related=["evil"]))
    project.add_snippet(
        "evil",
        "def check_ok():\n    pass\n\nif __name__ == '__main__':\n    print('<script>alert(6)</script>')\n",
        "<script>alert(6)</script>\n",
    )
    return project.build()


def test_no_live_markup_from_any_field_or_output(hostile_site):
    for page in hostile_site.rglob("*.html"):
        found = live(page.read_text())
        assert not any("alert" in s for s in found.scripts), page.name
        assert found.handlers == [], (page.name, found.handlers)
        assert not any(h.lower().startswith("javascript:") for h in found.hrefs), page.name


def test_hostile_text_is_shown_as_text(hostile_site):
    html = (hostile_site / "terms" / "evil.html").read_text()
    assert '<p>Definition "&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</p>' in html
    assert "<code>code &lt;kept&gt;</code>" in html  # code shows exactly what was written
    assert "&lt;script&gt;alert(6)&lt;/script&gt;" in html  # snippet output, as text
    assert "<math " in html  # the math with "<" still renders


def test_exports_carry_the_text_verbatim_and_safely(hostile_site):
    data = json.loads((hostile_site / "terms.json").read_text())
    evil = next(t for t in data["terms"] if t["slug"] == "evil")
    assert evil["summary"] == f"Summary {XSS}"  # JSON is data: kept exactly
    head = (hostile_site / "terms" / "evil.html").read_text().split("</head>")[0]
    assert "</script><img" not in head.split('application/ld+json">')[1].split("</script>")[0]


@pytest.mark.parametrize(
    "text,message",
    [
        ("[click](javascript:alert(1))", "'javascript:' links are not allowed"),
        ("[data](data:text/html,x)", "'data:' links are not allowed"),
        ("![pixel](https://tracker.example/p.png)", "images must be files of the site"),
    ],
)
def test_unsafe_link_targets_are_errors(project, text, message):
    from termbook.glossary import BuildOptions, load_and_verify
    from termbook.loading import load_glossary
    from termbook.project import Project

    project.add_term("evil", term("Evil", definition=f"One.\n\nTwo {text}."))
    build = load_and_verify(BuildOptions(Project.discover(project.root), run_snippets=False))
    assert [p.message for p in build.errors if message in p.message], [p.message for p in build.errors]
    assert load_glossary(project.root)[1] == []  # the file itself is valid YAML and schema
