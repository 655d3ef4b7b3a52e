"""Keep contributed text from becoming live markup.

Term text is Markdown without raw HTML: ``<``, ``>`` and ``&`` are escaped everywhere except in
code (fenced blocks and inline code, shown verbatim anyway) and math (restored before the LaTeX is
converted). Link targets in prose may be relative paths, ``http(s)`` or ``mailto`` URLs; images
must be local files, so the offline site never reaches out.
"""

from __future__ import annotations

import html
import re
import unicodedata

_VERBATIM = re.compile(
    r"""
      (^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\2[ \t]*$)   # fenced code
    | ((`+).+?\4)                                         # inline code
    | (\$\$.+?\$\$)                                       # display math
    | ((?<![\\$])\$(?=\S)(?:\\.|[^$\\\n])+?(?<=\S)\$(?!\d))  # inline math
    """,
    re.X | re.M | re.S,
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
SAFE_SCHEMES = {"http", "https", "mailto"}


# Characters that start Markdown, extension or math syntax inline (emphasis, code, links and
# images, attribute lists, keys, math, escapes); as character references they are shown as written.
_MARKDOWN_ACTIVE = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]!$~^=|+"})


def escape_text(text: str) -> str:
    """Plain text (a name, a summary, a tag) for Markdown or HTML: shown exactly as written.

    Plain text is never Markdown: besides ``<``, ``>`` and ``&``, every character that could start
    Markdown syntax becomes a character reference, so a link, an image, math or an attribute
    list (``{: onclick=... }``) written into a name or summary is shown, never applied.
    """
    return html.escape(str(text), quote=False).translate(_MARKDOWN_ACTIVE)


_TITLE_SPECIAL = str.maketrans({'"': "&quot;", "'": "&#39;", "(": "&#40;", ")": "&#41;"})


def link_title(text: str) -> str:
    """Text safe inside a double-quoted Markdown link title (a tooltip) or admonition title.

    Quotes and parentheses become character references: Python-Markdown would otherwise end the
    title, or the link, at a quote or parenthesis of the text, as in "Q(s', a')".
    """
    return " ".join(str(text).split()).replace("\\", "\\\\").translate(_TITLE_SPECIAL)


def _escape_html(text: str) -> str:
    return html.escape(text, quote=False)


def escape_prose(markdown: str) -> str:
    """Escape HTML in Markdown prose, leaving code and math as written."""
    out: list[str] = []
    pos = 0
    for match in _VERBATIM.finditer(markdown):
        out.append(_escape_html(markdown[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_html(markdown[pos:]))
    return "".join(out)


def unsafe_link_target(target: str, image: bool) -> str | None:
    """Why a Markdown link or image target is not allowed, or None when it is fine."""
    match = _SCHEME.match(target.strip())
    if image and (match or target.startswith("//")):
        return "images must be files of the site, not fetched from another host"
    if match and match.group(1).lower() not in SAFE_SCHEMES:
        return f"'{match.group(1)}:' links are not allowed (only http, https and mailto)"
    return None


# Format characters (Unicode category Cf: bidirectional controls, zero-width characters, invisible
# operators, tag characters) and the line and paragraph separators. They change how text is shown
# or read without being seen ("Trojan Source", CVE-2021-42574); a glossary has no use for them.
INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def invisible_characters(text: str) -> list[tuple[int, int, str]]:
    """``(line, column, character)`` of every invisible or direction-changing character, 1-based."""
    found = []
    for match in INVISIBLE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        found.append((line, column, match.group()))
    return found


def describe_character(char: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE'."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"
