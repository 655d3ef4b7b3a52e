"""LaTeX to MathML at build time, so formulas render with no script and no network.

``pymdownx.arithmatex`` (generic mode) protects ``$...$`` and ``$$...$$`` from Markdown and wraps
them as ``<span class="arithmatex">\\(...\\)</span>`` / ``<div class="arithmatex">\\[...\\]</div>``.
:func:`convert_math` replaces those with MathML (rendered natively by every current browser).
The LaTeX is kept as ``alttext`` for assistive technology; the MkDocs plugin converts after the
search index has read the page, so search results show the LaTeX as written.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from latex2mathml.converter import convert

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


@lru_cache(maxsize=65536)
def tex_to_mathml(tex: str, display: str = "inline") -> str:
    """MathML for one formula; raises ``Exception`` subclasses from latex2mathml on bad input."""
    mathml = convert(tex, display=display)
    alt = html.escape(tex, quote=True)
    return mathml.replace("<math ", f'<math data-search-exclude alttext="{alt}" ', 1)


def convert_math(page_html: str) -> tuple[str, list[str]]:
    """Replace arithmatex placeholders with MathML; return the HTML and the formulas that failed."""
    failed: list[str] = []

    def replace(match: re.Match, display: str) -> str:
        tex = html.unescape(match.group(1)).strip()
        try:
            mathml = tex_to_mathml(tex, display)
        except Exception:  # latex2mathml raises many types; keep the source visible instead
            failed.append(tex)
            return f'<code class="termbook-tex-error">{html.escape(tex)}</code>'
        if display == "block":
            return f'<div class="termbook-math">{mathml}</div>'
        return f'<span class="termbook-math">{mathml}</span>'

    out = _BLOCK.sub(lambda m: replace(m, "block"), page_html)
    out = _INLINE.sub(lambda m: replace(m, "inline"), out)
    return out, failed
