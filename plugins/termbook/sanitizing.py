"""An allow-list sanitiser for the HTML that contributed text becomes (nh3, the bindings to Ammonia).

Term text is Markdown, converted by the site's Markdown extensions and LaTeX is converted to
MathML; whatever those produce passes through :func:`sanitize` before it is published. Only the
elements and attributes listed here survive, URL-bearing attributes keep only ``http``, ``https``,
``mailto`` and relative URLs, and the contents of ``<script>`` and ``<style>`` are dropped.

Nothing is removed silently: :func:`sanitize` returns what it removed as typed
:class:`Removal` records, found by comparing the elements and attributes of the input with those
of nh3's output (both read by the same parser), so the report is exactly what nh3 took out. The
callers turn removals into located problems (:mod:`termbook.auditing`).

Markup that termbook generates itself (the highlighted snippet, graph pictures, slots) is built
from escaped values and set aside before this runs; it is not subject to this policy.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from html import unescape

import nh3

SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# What Python-Markdown and the extensions termbook documents produce from Markdown text: blocks,
# inline markup, tables, footnotes, definition lists, abbreviations, admonitions and details,
# highlighted code, keys, figures. No forms, media, frames, scripts, styles or <base>/<meta>.
HTML_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "input",  # the library tabs' radio buttons, task lists' checkboxes; see ATTRIBUTE_VALUES
        "ins",
        "kbd",
        "label",  # the library tabs' labels
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "var",
        "wbr",
    ]
)

# MathML Core (https://www.w3.org/TR/mathml-core/#mathml-elements-and-attributes), plus menclose,
# which latex2mathml writes for \boxed and friends. No element of it takes a URL here.
MATHML_TAGS = frozenset(
    [
        "math",
        "annotation",
        "annotation-xml",
        "maction",
        "menclose",
        "merror",
        "mfrac",
        "mi",
        "mmultiscripts",
        "mn",
        "mo",
        "mover",
        "mpadded",
        "mphantom",
        "mprescripts",
        "mroot",
        "mrow",
        "ms",
        "mspace",
        "msqrt",
        "mstyle",
        "msub",
        "msubsup",
        "msup",
        "mtable",
        "mtd",
        "mtext",
        "mtr",
        "munder",
        "munderover",
        "none",
        "semantics",
    ]
)

_GLOBAL = {"class", "id", "title", "lang"}
HTML_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GLOBAL,
    "a": {"href", "name", "download"},
    "img": {"src", "alt", "width", "height", "loading"},
    "abbr": {"title"},
    "td": {"style", "colspan", "rowspan", "align"},
    "th": {"style", "colspan", "rowspan", "align", "scope"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "details": {"open"},
    "col": {"span"},
    "colgroup": {"span"},
    "input": {"name", "checked", "disabled"},  # and a type of ATTRIBUTE_VALUES
    "label": {"for"},
}

# attributes allowed with these values only (nh3 checks them itself, with no call back into Python
# per attribute): an input is a tab's radio button or a task list's checkbox, never a text field
ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {"input": {"type": {"radio", "checkbox"}}}


MATHML_ATTRIBUTES: dict[str, set[str]] = {
    "*": {
        *_GLOBAL,
        "xmlns",
        "display",
        "alttext",
        "mathvariant",
        "displaystyle",
        "scriptlevel",
        "mathcolor",
        "mathbackground",
        "mathsize",
        "data-search-exclude",
        "linebreak",
        "stretchy",
        "fence",
        "separator",
        "lspace",
        "rspace",
        "minsize",
        "maxsize",
        "movablelimits",
        "symmetric",
        "largeop",
        "form",
        "accent",
        "accentunder",
        "linethickness",
        "notation",
        "width",
        "height",
        "depth",
        "voffset",
        "columnalign",
        "rowalign",
        "columnspacing",
        "rowspacing",
        "columnlines",
        "rowlines",
        "frame",
        "framespacing",
        "equalrows",
        "equalcolumns",
        "columnspan",
        "rowspan",
        "encoding",
        "actiontype",
        "selection",
    },
}
STYLE_PROPERTIES = frozenset({"text-align"})  # what the tables extension writes on cells

# Attributes that hold a URL (HTML, SVG, MathML): nh3 filters the schemes of href and src; any of
# these surviving with another scheme would be a hole, so removals of them are reported as URLs.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "xlink:href",
        "action",
        "formaction",
        "poster",
        "background",
        "cite",
        "data",
        "codebase",
        "longdesc",
        "srcset",
        "ping",
        "definitionurl",
        "manifest",
        "lowsrc",
        "dynsrc",
    }
)


class RemovalKind(enum.Enum):
    """What the sanitiser took out."""

    ELEMENT = "element"  # a tag not on the allow-list (its text is kept, but for script/style)
    ATTRIBUTE = "attribute"  # an attribute not allowed on that element
    URL = "url"  # a URL-bearing attribute whose scheme is not http, https or mailto
    STYLE = "style"  # a style property other than text-align


@dataclass(frozen=True)
class Removal:
    kind: RemovalKind
    tag: str
    attribute: str | None = None
    value: str | None = None

    def describe(self) -> str:
        if self.kind is RemovalKind.ELEMENT:
            return f"a <{self.tag}> element"
        if self.kind is RemovalKind.URL:
            return f"a link to '{_short(self.value or '')}' ({self.attribute} on <{self.tag}>)"
        if self.kind is RemovalKind.STYLE:
            return f"the style '{_short(self.value or '')}' on <{self.tag}>"
        return f'the attribute {self.attribute}="{_short(self.value or "")}" on <{self.tag}>'


@dataclass(frozen=True)
class Policy:
    """One allow-list: the arguments nh3 gets, kept together so they are resolved once."""

    tags: frozenset[str]
    attributes: tuple[tuple[str, frozenset[str]], ...]

    @classmethod
    def of(cls, tags: frozenset[str], attributes: dict[str, set[str]]) -> Policy:
        return cls(tags, tuple(sorted((tag, frozenset(names)) for tag, names in attributes.items())))


CONTENT = Policy.of(HTML_TAGS, HTML_ATTRIBUTES)
MATHML = Policy.of(MATHML_TAGS, MATHML_ATTRIBUTES)


@cache
def _cleaner(policy: Policy) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(policy.tags),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in policy.attributes},
        url_schemes=set(SAFE_URL_SCHEMES),
        link_rel=None,  # keep links as written; nothing here opens a new browsing context
        strip_comments=True,
        filter_style_properties=set(STYLE_PROPERTIES),
        tag_attribute_values=ATTRIBUTE_VALUES,
    )


def sanitize(html: str, policy: Policy = CONTENT) -> tuple[str, list[Removal]]:
    """``html`` cleaned by the allow-list ``policy``, and what was removed (empty when nothing)."""
    clean = _cleaner(policy).clean(html)
    if clean == html:
        return html, []
    removed = _removed(html, clean)
    gone = {tag for tag, attribute, _ in removed if attribute is None}
    # an element that went takes its attributes with it: report the element, and any URL it had
    ordered = sorted(removed, key=lambda k: tuple(part or "" for part in k))
    removals = [_removal(key) for key in ordered]
    return clean, [r for r in removals if r.attribute is None or r.tag not in gone or r.kind is RemovalKind.URL]


def _removal(key: tuple[str, str | None, str | None]) -> Removal:
    tag, attribute, value = key
    if attribute is None:
        return Removal(RemovalKind.ELEMENT, tag)
    if attribute == "style":
        return Removal(RemovalKind.STYLE, tag, attribute, value)
    if attribute in URL_ATTRIBUTES and value and ":" in value.split("/", 1)[0]:
        return Removal(RemovalKind.URL, tag, attribute, value)
    return Removal(RemovalKind.ATTRIBUTE, tag, attribute, value)


# A start tag and its attributes. Both sides of the comparison are serialised HTML (nh3's output,
# and what Python-Markdown and latex2mathml write), where a regular tokenizer is exact and ~10x
# faster than html.parser; comments and the raw text of script/style are skipped first.
_SKIP = re.compile(r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"""<([a-zA-Z][^\s/>]*)((?:\s*[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*/?>""")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


_TAG_TEXT = re.compile(_TAG.pattern.replace("<([a-zA-Z][^\\s/>]*)(", "<(?:[a-zA-Z][^\\s/>]*)(?:", 1))

Inventory = Counter[tuple[str, str | None, str | None]]


def _removed(html: str, clean: str) -> Inventory:
    """``_inventory(html) - _inventory(clean)``, parsing only the tags the cleaner changed.

    The inventory is a sum over tags, so a tag written the same on both sides cancels out: nh3
    re-serialises every page (``<br />`` becomes ``<br>``), so ``clean == html`` almost never
    holds, but most tags come back unchanged and need no attribute parsing.
    """
    tags_html = Counter(_TAG_TEXT.findall(_SKIP.sub(" ", html)))
    tags_clean = Counter(_TAG_TEXT.findall(_SKIP.sub(" ", clean)))
    difference = _skipped(html)
    difference.subtract(_skipped(clean))
    for text in (tags_html - tags_clean).elements():
        difference.update(_tag_items(_TAG.fullmatch(text)))
    for text in (tags_clean - tags_html).elements():
        difference.subtract(_tag_items(_TAG.fullmatch(text)))
    return +difference


def _inventory(html: str) -> Inventory:
    """Every element and every (element, attribute, value) of a fragment, counted."""
    items = _skipped(html)
    for tag_match in _TAG.finditer(_SKIP.sub(" ", html)):
        items.update(_tag_items(tag_match))
    return items


def _skipped(html: str) -> Inventory:
    """The script and style elements, whose content is not parsed."""
    return Counter((m.group(1).lower(), None, None) for m in _SKIP.finditer(html) if m.group(1))


def _tag_items(tag_match: re.Match[str] | None) -> list[tuple[str, str | None, str | None]]:
    """A start tag as its element and its (element, attribute, value) items."""
    assert tag_match is not None  # the text was found by the same pattern
    tag = tag_match.group(1).lower()
    items: list[tuple[str, str | None, str | None]] = [(tag, None, None)]
    for attr in _ATTR.finditer(tag_match.group(2)):
        name = attr.group(1).lower()
        value = unescape(next((v for v in attr.groups()[1:] if v is not None), ""))
        if name == "style":
            items += [(tag, "style", prop) for prop in _style_properties(value)]
        else:
            items.append((tag, name, " ".join(value.split())))
    return items


def _style_properties(style: str) -> list[str]:
    return [decl.split(":", 1)[0].strip().lower() for decl in style.split(";") if decl.strip()]


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
