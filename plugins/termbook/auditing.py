"""What the sanitiser removed, as problems located in the term file that caused them.

The sanitiser (:mod:`termbook.sanitizing`) works on HTML, where the term file's lines are gone.
:func:`removal_problems` finds each removed construct in the term's source — the attribute name
(``onclick=``), the URL's scheme (``javascript:``), the tag — and names the line and the field
whose value holds that line. The MkDocs plugin and ``termbook check`` both call it, so a build and
a check report the same words at the same place.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem, relative
from .execution.cache import Cache, make_key
from .markdown_html import MarkdownProfile, to_html
from .mathml import MathIssueKind, convert_math
from .model import Term

if TYPE_CHECKING:
    from .glossary import GlossaryBuild
from .sanitizing import Removal, RemovalKind, sanitize
from .yaml_source import FieldLines

EXPECTED = "Markdown and LaTeX that become plain HTML: no HTML attributes, event handlers, scripts, styles, or links other than http(s), mailto and relative"


@dataclass(frozen=True)
class Source:
    """A term file's text and where each value of it starts, for locating what HTML came from."""

    file: str
    lines: tuple[str, ...] = ()
    fields: FieldLines | None = None

    @classmethod
    def of_term(cls, term: Term, file: str) -> Source:
        try:
            text = term.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return cls(file)
        return cls(file, tuple(text.splitlines()), FieldLines(term.positions))

    def find(self, patterns: list[str]) -> tuple[int | None, int | None, str | None]:
        """(line, column, field) of the first pattern found, tried in order."""
        for pattern in patterns:
            regex = re.compile(pattern, re.I)
            for number, line in enumerate(self.lines, start=1):
                match = regex.search(line)
                if match and not line.lstrip().startswith("#"):
                    return number, match.start() + 1, self.fields.field_at(number) if self.fields else None
        return None, None, None


def removal_problems(removals: list[Removal], source: Source, *, in_math: bool = False) -> list[Problem]:
    """One located error per removed construct (each distinct construct once)."""
    problems: list[Problem] = []
    seen: set[Removal] = set()
    for removal in removals:
        if removal in seen:
            continue
        seen.add(removal)
        line, column, field = source.find(_patterns(removal))
        where = "" if line else " (somewhere in this file's text)"
        problems.append(
            Problem(
                source.file,
                f"would publish {removal.describe()}{where}; termbook removes it",
                line=line,
                column=column,
                field=field,
                expected=EXPECTED,
                hint=_hint(removal, in_math),
            )
        )
    return problems


def _patterns(removal: Removal) -> list[str]:
    tag = re.escape(removal.tag)
    if removal.kind is RemovalKind.URL and removal.value:
        scheme = removal.value.split(":", 1)[0].strip()
        return [re.escape(scheme) + r"\s*:", re.escape(removal.value[:20])]
    if removal.kind in (RemovalKind.ATTRIBUTE, RemovalKind.STYLE) and removal.attribute:
        name = re.escape(removal.attribute)
        patterns = [r"\{[^}]*\b" + name + r"\s*=", r"\b" + name + r"\s*="]
        if removal.kind is RemovalKind.STYLE and removal.value:
            patterns.append(re.escape(removal.value) + r"\s*:")
        if removal.value:
            patterns.append(re.escape(removal.value[:20]))
        return patterns + [r"\{[:\s][^}]*\}"]
    return [r"<\s*/?\s*" + tag + r"\b", r"\b" + tag + r"\b"]


def _hint(removal: Removal, in_math: bool) -> str:
    if in_math and removal.kind is RemovalKind.URL:
        return "\\href and \\url do not become links inside formulas; put the link in the text next to the formula"
    if removal.kind is RemovalKind.URL:
        return "links may point to http(s):// or mailto: addresses or to a relative path"
    if removal.kind is RemovalKind.ATTRIBUTE and (removal.attribute or "").startswith("on"):
        return "event handlers run scripts; delete the '{ ... }' attribute list that sets it"
    if removal.kind in (RemovalKind.ATTRIBUTE, RemovalKind.STYLE):
        return "term text may not set HTML attributes or styles; delete the '{ ... }' attribute list"
    return "term text is Markdown: write it without HTML elements"


def audit_glossary(build: GlossaryBuild, use_cache: bool = True) -> list[Problem]:
    """What the sanitiser would remove from each term page, as ``termbook check`` reports it.

    (A build sanitises the HTML that MkDocs makes of each page instead; see :mod:`.finishing`.)
    """
    from .linking import referenced_by
    from .rendering import render_term

    project = build.project
    by_slug = build.by_slug
    pages = {
        term.slug: render_term(
            term, by_slug, linked=build.linked.get(term.slug), referenced_by=referenced_by(term, build.incoming), template=project.template
        )
        for term in build.terms
    }
    profile = MarkdownProfile.from_mkdocs_yml(project.root / "mkdocs.yml")
    cache = Cache(project.cache_dir, enabled=use_cache, folder="audit")
    return audit_pages(build.terms, pages, project.root, profile, cache)


def audit_pages(
    terms: list[Term], pages: dict[str, str], root: Path, profile: MarkdownProfile, cache: Cache | None = None
) -> list[Problem]:
    """Render each term page's Markdown as the site would and report what the sanitiser removes.

    ``pages`` maps a slug to its page's Markdown. This is what ``termbook check`` runs; a build
    sanitises the HTML MkDocs produced instead and reports through the same
    :func:`removal_problems`, so both say the same. With ``cache``, what a page's audit found is
    kept under a key of everything that decides it (the page's Markdown, the extensions and their
    settings, the code and versions of the renderer, sanitiser and MathML converter), so an
    unchanged page is not rendered again: rendering was most of a warm ``termbook check``.
    """
    renderer = None
    problems: list[Problem] = []
    for term in terms:
        page = pages.get(term.slug)
        if page is None:
            continue
        key = _audit_key(page, profile) if cache is not None else ""
        found = _from_entry(cache.get(key)) if cache is not None else None
        if found is None:
            renderer = renderer or profile.renderer()
            html, removals = sanitize(to_html(renderer, _without_front_matter(page)))
            _, issues = convert_math(html)
            unsafe_math = [r for issue in issues if issue.kind is MathIssueKind.UNSAFE for r in issue.removals]
            if cache is not None:
                cache.put(key, {"removals": [_as_list(r) for r in removals], "math": [_as_list(r) for r in unsafe_math]})
        else:
            removals, unsafe_math = found
        if removals or unsafe_math:
            source = Source.of_term(term, relative(term.path, root))
            problems += removal_problems(removals, source) + removal_problems(unsafe_math, source, in_math=True)
    return problems


@lru_cache(maxsize=1)
def _auditor_version() -> str:
    """Changes whenever the code or a library that turns a page into audited HTML changes."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("auditing.py", "sanitizing.py", "mathml.py", "markdown_html.py"):
        digest.update((here / name).read_bytes())
    for package in ("markdown", "pymdown-extensions", "pygments", "nh3", "latex2mathml"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} missing".encode())
    return digest.hexdigest()[:16]


def _audit_key(page: str, profile: MarkdownProfile) -> str:
    return make_key(
        {
            "auditor": _auditor_version(),
            "extensions": list(profile.extensions),
            "configs": json.loads(json.dumps(profile.configs, sort_keys=True, default=repr)),
            "page": page,
        }
    )


def _as_list(removal: Removal) -> list[str | None]:
    return [removal.kind.value, removal.tag, removal.attribute, removal.value]


def _from_entry(entry: dict | None) -> tuple[list[Removal], list[Removal]] | None:
    """(removals, removals from formulas) of a cached audit; None if absent or not understood."""
    if entry is None:
        return None
    try:
        removals, math = (
            [Removal(RemovalKind(k), tag, attribute, value) for k, tag, attribute, value in entry[part]] for part in ("removals", "math")
        )
    except (KeyError, TypeError, ValueError):
        return None
    return removals, math


def _without_front_matter(page: str) -> str:
    if page.startswith("---\n"):
        end = page.find("\n---\n", 4)
        if end != -1:
            return page[end + 5 :]
    return page
