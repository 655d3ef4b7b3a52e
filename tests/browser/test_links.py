"""Every internal link and anchor in the built site resolves; external links are listed, not fetched.

No browser: the HTML of every page is parsed, every href/src is resolved against the page, and
a link with a fragment needs an element with that id (or an <a name>) in the target page.
External links (http/https to another host) go to test-artifacts/external-links.txt.
"""

from __future__ import annotations

import os
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = {"href", "src", "xlink:href", "poster", "data"}
IGNORED_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "blob:", "about:")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in LINK_ATTRIBUTES:
                self.links.append((tag, value.strip()))
            elif name == "srcset":
                self.links += [(tag, part.split()[0]) for part in value.split(",") if part.strip()]

    handle_startendtag = handle_starttag


def _parse(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def crawl(site: Path) -> tuple[list[str], dict[str, set[str]]]:
    """(broken internal links as 'page: link: reason', {external url: pages it is on})."""
    site = site.resolve()
    pages = {p.relative_to(site).as_posix(): _parse(p) for p in sorted(site.rglob("*.html"))}
    broken: list[str] = []
    external: dict[str, set[str]] = defaultdict(set)
    for name, page in pages.items():
        for tag, url in page.links:
            if not url or url.startswith(IGNORED_SCHEMES):
                continue
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                external[url].add(name)
                continue
            if parts.scheme:
                broken.append(f"{name}: <{tag}> {url}: unexpected scheme {parts.scheme!r}")
                continue
            if parts.path.startswith("/"):  # root-relative: resolved as if the site were served from /
                if name != "404.html":  # which only the 404 page may assume
                    broken.append(f"{name}: <{tag}> {url}: root-relative link, broken from file:// and under a subpath")
                target = site / unquote(parts.path).lstrip("/")
            else:
                target = (site / name).parent / unquote(parts.path) if parts.path else site / name
            target = Path(os.path.normpath(target))
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(site):
                broken.append(f"{name}: <{tag}> {url}: points outside the site")
                continue
            if not target.is_file():
                broken.append(f"{name}: <{tag}> {url}: {target.relative_to(site).as_posix()} does not exist")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = pages[target.relative_to(site).as_posix()].ids
                if fragment not in ids:
                    broken.append(f"{name}: <{tag}> {url}: no element with id {fragment!r} in {target.relative_to(site).as_posix()}")
    return broken, external


def test_every_internal_link_and_anchor_resolves(built_site, artifacts):
    broken, external = crawl(built_site.site)
    report = artifacts / "external-links.txt"
    lines = [f"# {len(external)} external links in the built site (listed, not fetched): url <TAB> pages"]
    lines += [f"{url}\t{' '.join(sorted(pages))}" for url, pages in sorted(external.items())]
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert broken == [], f"{len(broken)} broken links:\n" + "\n".join(broken)


def test_crawler_finds_dead_links_and_anchors(tmp_path):
    """The checker itself: a dead page, a missing anchor and an external link."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/a.html#here">ok</a><a href="sub/gone.html">dead</a><a href="sub/a.html#nowhere">anchor</a>'
        '<img src="img.png"><a href="https://example.org/x">ext</a><a href="#top">self</a><p id="top"></p>'
        '<a href="/sub/a.html">root-relative</a><a href="mailto:a@b.c">mail</a>'
    )
    (tmp_path / "sub" / "a.html").write_text('<h2 id="here">x</h2><a href="../index.html#top">back</a><a href="../../out.html">out</a>')
    (tmp_path / "404.html").write_text('<a href="/index.html">home</a><a href="/gone.html">gone</a>')
    broken, external = crawl(tmp_path)
    assert broken == [
        "404.html: <a> /gone.html: gone.html does not exist",
        "index.html: <a> sub/gone.html: sub/gone.html does not exist",
        "index.html: <a> sub/a.html#nowhere: no element with id 'nowhere' in sub/a.html",
        "index.html: <img> img.png: img.png does not exist",
        "index.html: <a> /sub/a.html: root-relative link, broken from file:// and under a subpath",
        "sub/a.html: <a> ../../out.html: points outside the site",
    ]
    assert dict(external) == {"https://example.org/x": {"index.html"}}
