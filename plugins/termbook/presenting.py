"""The "In code" section of a term page: the snippet, its output and its verification badge."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .execution.verification import SnippetResult, Verdict


@dataclass(frozen=True)
class SnippetView:
    markdown: str


def fence(text: str, lang: str = "", attrs: str = "") -> str:
    """A fenced code block that survives backticks inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    head = ticks + (lang or "text") + (f" {attrs}" if attrs else "")
    return f"{head}\n{text.rstrip()}\n{ticks}"


def badge(result: SnippetResult | None) -> str:
    if result is None:
        return '<p class="termbook-badge termbook-badge--skipped">Not run: snippets were not executed in this build</p>'
    if result.verified:
        n = len(result.checks)
        parts = [f"✔ Verified: {n} check{'s' if n != 1 else ''} passed, output matches"]
        cls = "verified"
    else:
        parts = ["✘ Not verified"]
        cls = "unverified"
    if result.numpy:
        parts.append(f"NumPy {result.numpy}")
    parts.append(f"{result.seconds:.2f} s")
    text = " · ".join(html.escape(p) for p in parts)
    return f'<p class="termbook-badge termbook-badge--{cls}">{text}</p>'


def present_snippet(
    path: str,
    code: str,
    result: SnippetResult | None,
    figure_urls: Sequence[str] = (),
    notebook_url: str | None = None,
) -> SnippetView:
    """Markdown for the snippet, its output and figures (when it ran), its badge and downloads."""
    # the code stays out of the search index (the plugin sets it aside while the page is indexed):
    # its identifiers would outrank the prose
    code_block = ['<div class="termbook-code" markdown>', "", fence(code, "python", f'title="{path}"'), "", "</div>"]
    parts = [badge(result), "", *code_block, ""]
    if notebook_url:
        parts += [f"[Download as notebook]({notebook_url}){{ .termbook-notebook download }}", ""]
    if result is not None and result.stdout.strip():
        parts += ["Output:", "", fence(result.stdout, "text"), ""]
    if result is not None:
        for url, figure in zip(figure_urls, result.figures):
            alt = " ".join(figure.alt.split()).replace("[", "(").replace("]", ")") or "Figure drawn by the snippet"
            parts += [
                '<figure class="termbook-figure" markdown>',
                f"![{alt}]({url})",
                f"<figcaption>{html.escape(alt)}</figcaption>",
                "</figure>",
                "",
            ]
    if result is not None and not result.verified:
        kind = "warning" if result.status is Verdict.UNPINNED else "failure"
        parts += [f'!!! {kind} "Not verified"', "", _indent(html.escape(result.reason, quote=False)), ""]
        if result.details.strip():
            parts += [_indent(fence(result.details, "text")), ""]
    return SnippetView("\n".join(parts))


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.splitlines())
