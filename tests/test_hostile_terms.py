"""Hostile payloads × every text field of a term file, through a real build and `termbook check`.

One site holds a term per (payload, field). Whatever the payload, no built page and no entry of
the search index may carry an event handler, a script, or a javascript:/vbscript:/data:text/html
URL (MathML and SVG included); whatever the sanitiser removes is an error of `termbook check` at
the term's file, line and field, and the build warns with the same words (so --strict fails).
"""

from __future__ import annotations

import logging
import re

import pytest
from mkdocs.exceptions import Abort
from termbook.glossary import BuildOptions, load_and_verify
from termbook.project import Project
from termbook.search_index import read_script

from .conftest import term
from .test_sanitizing import live

PAYLOADS = {
    "attr-link": '[x](https://example.org){ onclick="alert(1)" }',
    "attr-em": '*x*{: onmouseover="alert(1)" }',
    "attr-code": '`x`{ onfocus="alert(1)" tabindex="0" }',
    "attr-block": 'Text.\n{: onclick="alert(1)" }',
    "attr-tail": 'Tail {: onclick="alert(1)" }',
    "math-href": "$\\href{javascript:alert(1)}{x}$ and $$\\href{javascript:alert(2)}{y}$$",
    "entity-scheme": "[x](&#106;avascript:alert(1))",
    "tab-scheme": "[x](java&#9;script:alert(1))",
    "ref-def": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "raw-html": '<img src=x onerror=alert(1)><script>alert(1)</script><a href="javascript:alert(1)">a</a>',
    "style": 'Text.\n{: style="position:fixed;top:0" }',
    "svg": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
}
# where each field goes in a term dict
FIELDS = {
    "term": lambda d, p: d.__setitem__("term", d["term"] + " " + p),
    "aliases": lambda d, p: d.__setitem__("aliases", [d["term"] + " alias " + p]),
    "summary": lambda d, p: d.__setitem__("summary", "Summary " + p.replace("\n", " ")[:150]),
    "definition": lambda d, p: d.__setitem__("definition", "Intro.\n\n" + p),
    "how_it_works": lambda d, p: d.__setitem__("how_it_works", p),
    "example": lambda d, p: d.__setitem__("example", p),
    "why_it_matters": lambda d, p: d.__setitem__("why_it_matters", p),
    "faq.q": lambda d, p: d.__setitem__("faq", [{"q": "Question " + p.replace("\n", " "), "a": "Answer."}]),
    "faq.a": lambda d, p: d.__setitem__("faq", [{"q": "Question?", "a": p}]),
    "pitfalls": lambda d, p: d.__setitem__("pitfalls", [{"mistake": "Mistake " + p.replace("\n", " "), "spot": p, "fix": p}]),
    "tags": lambda d, p: d.__setitem__("tags", ["tag " + p.replace("\n", " ")]),
    "references": lambda d, p: d.__setitem__(
        "references", [{"title": "Title " + p, "authors": "Authors " + p, "year": 2020, "url": "https://example.org/paper"}]
    ),
}
PROSE = {"definition", "how_it_works", "example", "why_it_matters", "faq.a", "pitfalls"}  # Markdown fields


def _slug(payload: str, field: str) -> str:
    return f"{payload}-{field.replace('_', '-').replace('.', '-')}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from .conftest import Project

    project = Project(tmp_path_factory.mktemp("hostile") / "proj")
    slugs = []
    for i, (pname, payload) in enumerate(PAYLOADS.items()):
        for j, (fname, put) in enumerate(FIELDS.items()):
            data = term(f"T{i}x{j}")
            put(data, payload)
            slug = _slug(pname, fname)
            project.add_term(slug, data)
            slugs.append(slug)
    project.add_term("hub", term("Hub", related=slugs))  # related lists and tooltips of every summary
    return project


@pytest.fixture(scope="module")
def built(hostile):
    """A non-strict build (it publishes the sanitised pages) and the warnings it logged."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                records.append(record.getMessage())

    handler = Collect()
    logging.getLogger("mkdocs").addHandler(handler)
    try:
        site = hostile.build(strict=False)
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    return site, records


def test_no_page_carries_live_markup(built):
    site, _ = built
    pages = list(site.rglob("*.html"))
    assert len(pages) > len(PAYLOADS) * len(FIELDS)
    for page in pages:
        found = live(page.read_text(encoding="utf-8"))
        # the theme's own scripts and meta elements are not content: count only what is not the theme's
        found = [f for f in found if f not in ("<script>", "<meta>", "<form>")]
        assert found == [], (page.relative_to(site).as_posix(), found)


def test_no_script_in_any_page_comes_from_a_term(built):
    site, _ = built
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        code = [body for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S) if "application/" not in attrs]
        assert "alert(" not in "".join(code), page.name  # JSON-LD and the theme's JSON config are data, never run
        assert not re.search(r"<(iframe|object|embed|base|svg[^>]*>\s*<a)\b", html) or "termbook-graph" in html, page.name


def test_search_data_is_plain_text_and_safe_urls(built):
    """Names, summaries and page text are plain text in the search data, which the search worker
    escapes when it shows them (tests/browser/test_hostile.py searches the hostile site)."""
    site, _ = built
    terms = read_script((site / "assets" / "termbook" / "terms.js").read_text(encoding="utf-8"))
    text = read_script((site / "assets" / "termbook" / "search-text.js").read_text(encoding="utf-8"))
    assert len(terms) > 5 and len(text["pages"]) > 5
    for word in text["words"].split("\n"):
        assert re.fullmatch(r"[^\W_]+", word), word  # words, never markup
    for url in [row[0] for row in terms] + [page[0] for page in text["pages"]]:
        assert re.fullmatch(r"[\w./-]+\.html", url), url


def test_every_page_has_a_content_security_policy(built):
    site, _ = built
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
        assert meta, page.name
        assert "script-src 'self'" in meta.group(1) and "'unsafe-inline'" not in meta.group(1).split("style-src")[0]
        assert html.index("Content-Security-Policy") < html.index("<script"), page.name


def _sanitiser_messages(lines: list[str]) -> set[str]:
    return {line.removeprefix("termbook: ") for line in lines if "would publish" in line}


@pytest.fixture(scope="module")
def checked(hostile):
    build = load_and_verify(BuildOptions(Project.discover(hostile.root), run_snippets=False, audit_html=True))
    return build.errors


def test_check_reports_each_active_payload_at_its_field(checked):
    by_file: dict[str, list] = {}
    for problem in checked:
        by_file.setdefault(problem.file, []).append(problem)
    for pname in PAYLOADS:
        for fname in PROSE:
            slug = _slug(pname, fname)
            if pname in ("raw-html", "svg", "attr-tail", "entity-scheme", "tab-scheme"):
                continue  # '<' and '&' are escaped in term text, a trailing list is not one in prose: inert
            problems = by_file.get(f"terms/{slug}.yml", [])
            assert problems, f"{slug}: nothing reported"
            for problem in problems:
                assert problem.line is not None, problem.format()
                assert problem.field.split("[")[0] == fname.split(".")[0], problem.format()
                assert problem.hint and problem.expected


def test_build_warns_with_the_same_messages_as_check(built, checked):
    _, records = built
    from_check = {p.format() for p in checked if "would publish" in p.message}
    assert from_check
    assert _sanitiser_messages(records) == from_check


def test_plain_text_fields_show_attribute_lists_as_text(built):
    site, _ = built
    html = (site / "terms" / "attr-tail-term.html").read_text(encoding="utf-8")
    assert "Tail {: onclick=" in html.replace("&quot;", '"')
    assert live(html) == [] or set(live(html)) <= {"<script>", "<meta>", "<form>"}


def test_strict_build_fails_on_a_payload(project):
    project.add_term("evil", term("Evil", definition='Fine.\n\n[x](https://a.org){ onclick="alert(1)" }'))
    with pytest.raises(Abort):
        project.build(strict=True)
