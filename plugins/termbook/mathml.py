"""LaTeX to MathML at build time, so formulas render with no script and no network.

``pymdownx.arithmatex`` (generic mode) protects ``$...$`` and ``$$...$$`` from Markdown and wraps
them as ``<span class="arithmatex">\\(...\\)</span>`` / ``<div class="arithmatex">\\[...\\]</div>``.
:func:`convert_math` replaces those with MathML (rendered natively by every current browser).
The LaTeX is kept as ``alttext`` for assistive technology; the MkDocs plugin converts after the
search index has read the page, so search results show the LaTeX as written.

Every formula's MathML passes the MathML allow-list of :mod:`termbook.sanitizing`: LaTeX such as
``\\href{javascript:...}{x}`` becomes a MathML element with an ``href``, which the allow-list
removes; :func:`convert_math` then shows that formula's LaTeX as code and reports it.
"""

from __future__ import annotations

import enum
import html
import re
from dataclasses import dataclass
from functools import lru_cache

from latex2mathml.converter import convert

from .sanitizing import MATHML, Removal, sanitize

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


class MathIssueKind(enum.Enum):
    FAILED = "failed"  # latex2mathml could not convert it; the LaTeX is shown as code
    UNSAFE = "unsafe"  # converted, and the allow-list removed something from the MathML


@dataclass(frozen=True)
class MathIssue:
    tex: str
    kind: MathIssueKind
    removals: tuple[Removal, ...] = ()


@lru_cache(maxsize=65536)
def tex_to_mathml(tex: str, display: str = "inline") -> tuple[str, tuple[Removal, ...]]:
    """Sanitised MathML for one formula and what the allow-list removed from it.

    Raises ``Exception`` subclasses from latex2mathml on bad input.
    """
    mathml = convert(tex, display=display)
    alt = html.escape(tex, quote=True)
    mathml = mathml.replace("<math ", f'<math data-search-exclude alttext="{alt}" ', 1)
    clean, removals = sanitize(mathml, MATHML)
    return clean, tuple(removals)


def formula(tex: str, display: str) -> tuple[str | None, MathIssue | None]:
    """The MathML of one formula, or None and why not: the one decision behind every page's math.

    A formula that latex2mathml cannot convert (FAILED), or whose MathML the allow-list had to
    change (UNSAFE), is published as its LaTeX, as text (:func:`tex_as_text`): the reader sees what
    was written, and nothing runs.
    """
    try:
        mathml, removals = tex_to_mathml(tex, display)
    except Exception:  # latex2mathml raises many types
        return None, MathIssue(tex, MathIssueKind.FAILED)
    if removals:
        return None, MathIssue(tex, MathIssueKind.UNSAFE, removals)
    return mathml, None


def tex_as_text(tex: str) -> str:
    return f'<code class="termbook-tex-error">{html.escape(tex)}</code>'


def convert_math(page_html: str) -> tuple[str, list[MathIssue]]:
    """Replace arithmatex placeholders with MathML; return the HTML and the formulas with issues."""
    issues: list[MathIssue] = []

    def replace(match: re.Match, display: str) -> str:
        tex = html.unescape(match.group(1)).strip()
        mathml, issue = formula(tex, display)
        if issue:
            issues.append(issue)
            return tex_as_text(tex)
        if display == "block":  # a wide formula scrolls in its box: tabindex lets the keyboard scroll it too
            return f'<div class="termbook-math" tabindex="0">{mathml}</div>'
        return f'<span class="termbook-math">{mathml}</span>'

    out = _BLOCK.sub(lambda m: replace(m, "block"), page_html)
    out = _INLINE.sub(lambda m: replace(m, "inline"), out)
    return out, issues
