"""The "In code" section of a term page: the snippet, its output and its verification badge, and a
tab per library with the term's verified equivalents."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .execution.equivalence import Agreement, EquivalenceResult
from .execution.verification import SnippetResult, Verdict
from .model import Equivalent, Library
from .safety import escape_prose


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


def with_equivalents(snippet: SnippetView, equivalents: Sequence[tuple[Equivalent, EquivalenceResult]]) -> SnippetView:
    """Tabs: NumPy (the snippet) first, then one tab per library with its equivalents (termbook.css
    styles four: NumPy and the three libraries of :class:`~termbook.model.Library`).

    Radio buttons, labels and panels styled by termbook.css (no script, no Markdown extension
    beyond ``md_in_html``): the snippet's own blocks stay Markdown at the top level, where
    ``md_in_html`` reads them, and the tabs work in any Material-compatible build of the page.
    """
    if not equivalents:
        return snippet
    tabs = [("NumPy", snippet.markdown)]
    for library in Library:
        entries = [(e, r) for e, r in equivalents if e.library is library]
        if entries:
            tabs.append((library.display, "\n".join(present_equivalent(e, r) for e, r in entries)))
    ids = [f"termbook-tab-{n}" for n in range(1, len(tabs) + 1)]
    radios = "".join(f'<input{" checked" if n == 0 else ""} id="{ident}" name="termbook-tabs" type="radio">' for n, ident in enumerate(ids))
    labels = "".join(f'<label for="{ident}">{html.escape(label)}</label>' for ident, (label, _) in zip(ids, tabs))
    parts = ['<div class="termbook-tabs" markdown>', radios, f'<div class="termbook-tab-labels">{labels}</div>', ""]
    for _, body in tabs:
        parts += ['<div class="termbook-tab-panel" markdown>', "", body, "", "</div>", ""]
    parts += ["</div>"]
    return SnippetView("\n".join(parts))


EQUIVALENCE_CLASS = {
    Agreement.AGREES: "verified",
    Agreement.DIFFERS: "unverified",
    Agreement.FAILED: "unverified",
    Agreement.NOT_INSTALLED: "skipped",
    Agreement.NOT_RUN: "skipped",
}


def present_equivalent(entry: Equivalent, result: EquivalenceResult) -> str:
    """One equivalent: its badge, its code, its conventions and what it was compared with."""
    mark = {Agreement.AGREES: "✔ ", Agreement.DIFFERS: "✘ ", Agreement.FAILED: "✘ "}.get(result.status, "")
    badge_text = html.escape(mark + result.badge())
    parts = [
        f'<p class="termbook-badge termbook-badge--{EQUIVALENCE_CLASS[result.status]}">{badge_text}</p>',
        "",
        '<div class="termbook-code" markdown>',
        "",
        fence(entry.code, "python"),
        "",
        "</div>",
        "",
    ]
    if entry.conventions:
        parts += [f"**Conventions.** {escape_prose(entry.conventions).strip()}", ""]
    outputs = ", ".join(f"`{name}`" for name in entry.outputs)
    cases = f"the {result.cases} cases" if result.cases else "the cases"
    parts += [
        f"*Compared with the snippet on {cases} of `{entry.inputs}()`: {outputs} against `{entry.reference}()`, "
        f"within rtol={entry.rtol:g}, atol={entry.atol:g}.*",
        "{: .termbook-equivalence }",
        "",
    ]
    if result.disagrees:
        parts += ['!!! failure "Does not agree with the snippet"', "", _indent(html.escape(result.reason, quote=False)), ""]
    return "\n".join(parts)
