"""termbook's search data: a compact term index and a slim full-text index, both static scripts.

Material's search builds a lunr index in the browser from the text of every page section (about
12 KiB per term, LaTeX and code output included) before it answers anything: seconds at 1,000
terms. termbook ships two smaller files instead, read by its own search worker
(``assets/search-worker.js``), which Material's search box talks to as it would to its own:

* :func:`term_index_js` — ``assets/termbook/terms.js``: every term's URL, name, summary, tags and
  the other phrases that name it (aliases and the plurals the linker knows, :func:`phrases_of`).
  The worker answers from it as soon as it is loaded: names, aliases, acronyms and prefixes of
  them. The link previews read their cards from the same file.
* :class:`TextIndex` — ``assets/termbook/search-text.js``: for each page, the words of its prose
  (definition, how it works, example, why it matters, pitfalls, FAQ, references; on other pages
  their text) as an inverted index: a sorted vocabulary and, per word, the pages holding it with a
  count (in steps), packed into strings. Code, math (LaTeX), and what a term page repeats from other
  pages (related terms and their summaries, backlinks, the tutorials list) are left out.

Both are scripts, ``self.__termbookTerms = <JSON>;\n``, so that pages opened from ``file://`` load
them without ``fetch``; the worker running as a real Worker (http) fetches them and parses the JSON
between ``=`` and the last ``;``, which loads them without blocking it. Material still reads its own index file for its settings;
:func:`material_stub` empties it of documents.
"""

from __future__ import annotations

import bisect
import html as html_lib
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .linking import phrases_of
from .model import Term

# lunr's English stop words (what Material's search drops too): the worker drops them from queries
_STOP = (
    "a able about across after all almost also am among an and any are as at be because been but by can cannot could dear "
    "did do does either else ever every for from get got had has have he her hers him his how however i if in into is it its "
    "just least let like likely may me might most must my neither no nor not of off often on only or other our own rather said "
    "say says she should since so some than that the their them then there these they this tis to too twas us wants was we "
    "were what when where which while who whom why will with would yet you your"
)
STOP_WORDS = frozenset(_STOP.split())
# sections of a term page (the packaged template's headings) that hold code or repeat other pages
TERM_SECTIONS_LEFT_OUT = frozenset({"in-code", "related-terms", "referenced-by", "builds-on-this", "tutorials"})
# how often a page says a word, in eight steps (the step is the largest of these at most the count)
TF_STEPS = (1, 2, 3, 5, 8, 13, 21, 34)
EXCERPT = 160  # characters of text shown under a page that is not a term (a term shows its summary)

# varint digits: the last digit of a number from END, the others from MORE (5 bits each, low first)
END = "0123456789abcdefghijklmnopqrstuv"
MORE = "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$%"

_LEFT_OUT = re.compile(
    r"""<(?P<tag>script|style|pre|svg|math|button|template|noscript)\b.*?</(?P=tag)\s*>   # code, pictures, scripts
    | <(?P<mtag>span|div)\s+class="arithmatex"[^>]*>.*?</(?P=mtag)>                        # LaTeX
    | <p\s+class="termbook-(?:aliases|before|notation)"[^>]*>.*?</p>                        # repeated on every term page
    | <div\s+class="jp-(?:Input|Output)Prompt[^"]*"[^>]*>.*?</div>                          # notebook prompts: In [1]:
    | <a\s+class="headerlink"[^>]*>.*?</a>                                                  # the permalink sign
    """,
    re.S | re.X | re.I,
)
# LaTeX that Markdown left as text (in an admonition's title, such as a FAQ question)
_TEX = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|\$[^$\n]*[\\^_{}][^$\n]*\$", re.S)
_H1 = re.compile(r"<h1\b.*?</h1>", re.S | re.I)
_H2 = re.compile(r'<h2\b[^>]*\bid="([^"]*)"', re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """Lower case without accents, as the worker normalises a query (``NFKD``, marks removed)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """The words of ``text`` that are indexed: no stop words, single letters or long numbers."""
    return [w for w in _TOKEN.findall(normalize(text)) if len(w) > 1 and w not in STOP_WORDS and not (w.isdigit() and len(w) > 4)]


def page_text(html: str, *, term_page: bool) -> str:
    """The readable prose of a page's content HTML: no code, math, scripts or repeated sections."""
    if term_page:
        cuts = [(m.start(), m.group(1)) for m in _H2.finditer(html)]
        kept = [html[: cuts[0][0]] if cuts else html]
        for (start, anchor), (end, _) in zip(cuts, [*cuts[1:], (len(html), "")]):
            if anchor not in TERM_SECTIONS_LEFT_OUT:
                kept.append(html[start:end])
        html = "".join(kept)
    text = html_lib.unescape(_TAG.sub(" ", _LEFT_OUT.sub(" ", html)))
    return _SPACE.sub(" ", _TEX.sub(" ", text)).strip()


def term_index_js(terms: Iterable[Term], url_for: Callable[[str], str]) -> str:
    """``assets/termbook/terms.js``: one row per term, ``[url, name, summary, tags, phrases]``.

    ``phrases`` are the term's other names (aliases and plurals, :func:`phrases_of`). Plain text,
    shown with ``textContent`` (cards) or escaped (search results) by the scripts that read it.
    """
    rows = [
        [url_for(t.slug), t.name, t.data.summary, list(t.data.tags), [p for p in phrases_of(t) if p != t.name]]
        for t in sorted(terms, key=lambda t: t.slug)
    ]
    return "self.__termbookTerms = " + json.dumps(rows, ensure_ascii=False, separators=(",", ":")) + ";\n"


def encode(numbers: Iterable[int]) -> str:
    """Non-negative integers as varint digits (see ``END`` and ``MORE``), as the worker decodes them."""
    out = []
    for n in numbers:
        while n >= 32:
            out.append(MORE[n & 31])
            n >>= 5
        out.append(END[n])
    return "".join(out)


@dataclass(frozen=True)
class IndexedPage:
    url: str
    title: str
    excerpt: str  # empty for a term page: the worker shows the term's summary
    counts: Counter[str]
    title_words: frozenset[str]


class TextIndex:
    """The full-text index of one site: pages are added as they are rendered, written once at the end."""

    def __init__(self) -> None:
        self.pages: dict[str, IndexedPage] = {}

    def add(self, url: str, title: str, html: str, *, summary: str | None = None) -> None:
        """Index a page's content HTML (replacing an earlier version); ``summary`` makes it a term page."""
        term_page = summary is not None
        text = page_text(html, term_page=term_page)
        excerpt = ""
        if term_page:
            text = f"{text} {summary}"
        else:
            body = page_text(_H1.sub(" ", html, count=1), term_page=False)  # the title is shown above it
            excerpt = body if len(body) <= EXCERPT else body[:EXCERPT].rsplit(" ", 1)[0] + " …"
        # one string per distinct word for the whole site, not one per page (about 100 MB at 10,000 pages)
        self.pages[url] = IndexedPage(url, title, excerpt, Counter(map(sys.intern, words(text))), frozenset(map(sys.intern, words(title))))

    def retain(self, urls: Iterable[str]) -> None:
        """Forget the pages that are no longer in the site."""
        keep = set(urls)
        self.pages = {url: page for url, page in self.pages.items() if url in keep}

    def data(self) -> dict:
        pages = sorted(self.pages.values(), key=lambda p: p.url)
        postings: dict[str, list[int]] = {}
        for doc, page in enumerate(pages):
            for word in page.counts.keys() | page.title_words:
                postings.setdefault(word, []).append(doc)
        vocabulary = sorted(postings)
        packed = []
        for word in vocabulary:
            values, previous = [], -1
            for doc in postings[word]:
                page = pages[doc]
                step = bisect.bisect_right(TF_STEPS, page.counts.get(word, 1)) - 1
                # the gap to the previous page holding the word, then "in the title", then the count's step
                values.append(((doc - previous - 1) << 4) | ((word in page.title_words) << 3) | step)
                previous = doc
            packed.append(encode(values))
        return {
            "pages": [[p.url, p.title, p.excerpt] for p in pages],
            "words": "\n".join(vocabulary),
            "postings": "\n".join(packed),
            "stop": " ".join(sorted(STOP_WORDS)),
            "steps": list(TF_STEPS),
        }

    def js(self) -> str:
        """``assets/termbook/search-text.js``."""
        return "self.__termbookText = " + json.dumps(self.data(), ensure_ascii=False, separators=(",", ":")) + ";\n"


def read_script(js: str) -> Any:
    """The JSON inside a data script (``self.__termbook... = <JSON>;``), as the worker reads it over http."""
    return json.loads(js[js.index("=") + 1 : js.rindex(";")])


def words_by_page(data: dict) -> dict[str, set[str]]:
    """The words each page is found by, decoded from :meth:`TextIndex.data` (for checks and tools)."""
    digits = {c: (i, False) for i, c in enumerate(END)} | {c: (i, True) for i, c in enumerate(MORE)}
    found: dict[str, set[str]] = {page[0]: set() for page in data["pages"]}
    for word, packed in zip(data["words"].split("\n"), data["postings"].split("\n")):
        page, value, shift = -1, 0, 0
        for c in packed:
            digit, more = digits[c]
            value += digit << shift
            if more:
                shift += 5
                continue
            page += (value >> 4) + 1
            found[data["pages"][page][0]].add(word)
            value, shift = 0, 0
    return found


def write_search_data(site_dir: Path, text_js: str, index: TextIndex) -> None:
    """Write the full-text index to ``text_js`` (site-relative) and empty Material's own index file."""
    target = site_dir / text_js
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(index.js(), encoding="utf-8")
    material = site_dir / "search" / "search_index.json"
    if material.is_file():
        material.write_bytes(material_stub(material.read_bytes()))


def material_stub(index: bytes) -> bytes:
    """Material's ``search_index.json`` with its settings and no documents: termbook's worker searches."""
    try:
        config = json.loads(index).get("config", {})
    except ValueError:
        config = {}
    return json.dumps({"config": config, "docs": []}, separators=(",", ":")).encode()


_WORKER_URL = re.compile(r'("search":\s*")([^"]*?)assets/javascripts/workers/search\.[0-9a-f]+\.min\.js(")')


def use_worker(page_html: str, worker: str) -> str:
    """The page with Material's search worker replaced by ``worker`` (a path from the site root).

    Material reads the worker's URL from the page's ``__config`` (JSON, relative to the page); the
    part before ``assets/`` is the way up to the site root, which ``worker`` is relative to.
    """
    return _WORKER_URL.sub(lambda m: m[1] + m[2] + worker + m[3], page_html, count=1)
