"""How terms point at each other: auto-linked mentions, explicit links, related lists, backlinks.

Terms induce a graph, not a tree; everything here is computed once from the whole glossary.

* :func:`phrases_of` — the names a term is known by: name, aliases, their regular English plurals
  and the irregular ones the term lists. One list drives both linking and search.
* :class:`Linker` — ``link(text, self_slug) -> (text, targets, problems)`` turns the first mention
  of each other term in a section into a Markdown link (with the target's summary as tooltip), and
  resolves explicit links ``[[slug]]``, ``[[slug|text]]`` and ``[text](slug)``. It never links
  inside code, math, headings, HTML or existing links, never to the page itself, prefers the longest
  phrase ("stochastic gradient descent" over "gradient descent"), matches words case-insensitively
  but acronyms written in capitals exactly ("BN" is not "bn", "GAN" is not in "organ").
* :func:`backlinks` — for each term, the terms whose related list or prose links to it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import Problem, did_you_mean
from .model import Term
from .safety import escape_prose, escape_text, link_title, unsafe_link_target

# Markdown regions that are never touched, matched in this order at each position. The lookahead
# names every character a region can start with, so other positions fail at once (3x faster).
_PROTECTED = re.compile(
    r"""
    (?=[ \t`~\#$\[!<h])
    (?:
      (?P<fence>^[ \t]*(?P<ticks>`{3,}|~{3,})[^\n]*\n.*?^[ \t]*(?P=ticks)[ \t]*$)   # fenced code
    | (?P<heading>^[ \t]*\#{1,6}[ \t][^\n]*$)                                      # ATX heading
    | (?P<code>(?P<bt>`+).+?(?P=bt))                                               # inline code
    | (?P<dmath>\$\$.+?\$\$)                                                       # display math
    | (?P<imath>(?<![\\$])\$(?=\S)(?:\\.|[^$\\\n])+?(?<=\S)\$(?!\d))                # inline math
    | (?P<wiki>\[\[(?P<wslug>[^\]|\n]+?)(?:\|(?P<wtext>[^\]\n]+))?\]\])            # [[slug|text]]
    | (?P<link>!?\[(?P<ltext>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\((?P<ltarget>[^)\s]*)(?P<ltitle>\s+"[^"\n]*")?\))  # [text](target)
    | (?P<ref>!?\[[^\]\n]*\]\[[^\]\n]*\])                                          # [text][ref]
    | (?P<auto><(?:https?://|mailto:)[^>\s]+>)                                     # <https://...>
    | (?P<html></?[A-Za-z][^>\n]*>)                                                # an HTML tag
    | (?P<url>https?://[^\s)>\]]+)                                                 # a bare URL
    )
    """,
    re.X | re.M | re.S,
)
_ACRONYM = re.compile(r"^[^a-z]*[A-Z][^a-z]*$")
_WORD = re.compile(r"[^\W_](?:[\w\-]*[^\W_])?")  # letters/digits, inner hyphens: "self-attention"


def _glued(text: str, index: int, *, before: bool) -> bool:
    """Is the word at ``index`` part of a path, file name, identifier or URL?"""
    if before:
        return index > 0 and text[index - 1] in "/.@#$_\\-"
    return index < len(text) and (text[index] in "/_@-" or (text[index] == "." and text[index + 1 : index + 2].isalnum()))


def plural(phrase: str) -> str:
    """Regular English plural of the last word: batch → batches, loss → losses, entropy → entropies."""
    head, sep, last = phrase.rpartition(" ")
    if _ACRONYM.match(last):
        return phrase + "s"  # GAN → GANs
    low = last.lower()
    if re.search(r"(s|x|z|ch|sh)$", low):
        word = last + "es"
    elif re.search(r"[^aeiou]y$", low):
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return head + sep + word


def phrases_of(term: Term) -> list[str]:
    """Every phrase that names ``term``: name, aliases, their plurals, listed irregular plurals."""
    base = [term.name, *term.data.aliases]
    out: list[str] = []
    for phrase in [*base, *(plural(p) for p in base), *term.data.plurals]:
        if phrase not in out:
            out.append(phrase)
    return out


@dataclass(frozen=True)
class Target:
    slug: str
    name: str
    summary: str


@dataclass
class Linked:
    """The result of linking one piece of text."""

    text: str
    targets: list[str] = field(default_factory=list)  # slugs linked, explicit or automatic, in order
    problems: list[Problem] = field(default_factory=list)


class Linker:
    """Auto-links mentions of terms in Markdown; built once per glossary."""

    def __init__(self, terms: Iterable[Term]):
        terms = list(terms)
        self.targets = {t.slug: Target(t.slug, t.name, t.data.summary) for t in terms}
        # phrase -> slug (None: never link). Acronyms are keyed as written, words case-folded.
        self._exact: dict[str, str | None] = {}
        self._folded: dict[str, str | None] = {}
        for t in terms:
            for phrase in phrases_of(t):
                self._add(phrase, t.slug)
        for t in terms:
            for phrase in t.data.no_autolink:
                self._add(phrase, None, force=True)
        # The first word of every phrase, with the most words a phrase starting with it has. Most
        # words of a text start no phrase; ``_starts`` (case-folded, both tables) rules them out.
        self._starts_exact: dict[str, int] = {}
        self._starts_folded: dict[str, int] = {}
        self._starts: set[str] = set()
        for table, starts in ((self._exact, self._starts_exact), (self._folded, self._starts_folded)):
            for key in table:
                first, *rest = key.split(" ")
                starts[first] = max(starts.get(first, 0), len(rest) + 1)
                self._starts.add(first.casefold())
        self._max_words = max([*self._starts_exact.values(), *self._starts_folded.values()], default=0)

    def retargeted(self, terms: Iterable[Term]) -> Linker:
        """This linker with the summaries of ``terms`` as they are now (the link tooltips).

        The phrase tables are shared, so the names, aliases, plurals and ``no_autolink`` of
        ``terms`` must be those it was built with (the edit loop builds the whole site otherwise).
        """
        out = copy.copy(self)
        out.targets = {**self.targets, **{t.slug: Target(t.slug, t.name, t.data.summary) for t in terms}}
        return out

    def _add(self, phrase: str, slug: str | None, force: bool = False) -> None:
        words = _WORD.findall(phrase)
        if not words:
            return
        if _ACRONYM.match(phrase):
            table, key = self._exact, " ".join(words)
        else:
            table, key = self._folded, " ".join(words).casefold()
        if force or key not in table:
            table[key] = slug

    def _lookup(self, words: list[str]) -> tuple[bool, str | None]:
        """(found, slug) for a run of words: exact-case acronyms first, then folded words."""
        key = " ".join(words)
        if key in self._exact:
            return True, self._exact[key]
        folded = key.casefold()
        if folded in self._folded:
            return True, self._folded[folded]
        return False, None

    def link(self, text: str, self_slug: str, *, file: str = "", field: str = "", line: int | None = None) -> Linked:
        """Link the first mention of every other term in ``text`` (one section)."""
        result = Linked(text="")
        seen: set[str] = {self_slug}
        out: list[str] = []
        pos = 0
        for match in _PROTECTED.finditer(text):
            out.append(self._auto(text[pos : match.start()], seen, result))
            out.append(self._explicit(match, result, seen, file, field, line))
            pos = match.end()
        out.append(self._auto(text[pos:], seen, result))
        result.text = "".join(out)
        return result

    def _auto(self, chunk: str, seen: set[str], result: Linked) -> str:
        """Link mentions in plain text: at each word, the longest known phrase wins."""
        if not chunk or not self._max_words:
            return chunk
        words = list(_WORD.finditer(chunk))
        starts = self._starts
        candidates = [i for i, w in enumerate(words) if w.group().casefold() in starts]
        out: list[str] = []
        pos = 0
        after = 0  # words before this index belong to a phrase already found
        for i in candidates:
            if i < after:
                continue
            first = words[i]
            text = first.group()
            longest = max(self._starts_exact.get(text, 0), self._starts_folded.get(text.casefold(), 0))
            if not longest or _glued(chunk, first.start(), before=True):
                continue
            match = None
            for n in range(min(longest, len(words) - i), 0, -1):
                run = words[i : i + n]
                if any(chunk[a.end() : b.start()].strip() for a, b in zip(run, run[1:])):
                    continue  # only whitespace may separate the words of a phrase
                if _glued(chunk, run[-1].end(), before=False):
                    continue
                found, slug = self._lookup([w.group() for w in run])
                if found:
                    match = (n, slug)
                    break
            if match is None:
                continue
            n, slug = match
            start, end = first.start(), words[i + n - 1].end()
            if slug is not None and slug not in seen:
                seen.add(slug)
                result.targets.append(slug)
                out.append(chunk[pos:start])
                out.append(self._markdown_link(chunk[start:end], slug))
                pos = end
            after = i + n  # a phrase that is not linked still hides the shorter phrases inside it
        out.append(chunk[pos:])
        return "".join(out)

    def _explicit(self, m: re.Match, result: Linked, seen: set[str], file: str, field: str, line: int | None) -> str:
        if m.group("wiki"):
            slug = m.group("wslug").strip()
            label = (m.group("wtext") or "").strip()
            if slug not in self.targets:
                result.problems.append(self._unknown(slug, file, field, line, f"[[{slug}]]"))
                return label or slug
            seen.add(slug)
            result.targets.append(slug)
            return self._markdown_link(label or escape_text(self.targets[slug].name), slug)
        if m.group("link"):
            image = m.group(0).startswith("!")
            why = unsafe_link_target(m.group("ltarget"), image)
            if why:
                result.problems.append(
                    Problem(
                        file,
                        f"{'image' if image else 'link'} ({m.group('ltarget')}) not allowed: {why}",
                        line=line,
                        field=field or None,
                        expected="a relative path, or an http(s) URL for links",
                        hint="link to the page instead" if image else "use an https:// URL",
                    )
                )
                return escape_text(m.group("ltext"))
        if m.group("link") and not m.group(0).startswith("!"):
            target = m.group("ltarget")
            slug = target[:-3] if target.endswith(".md") else target
            if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug or ""):
                if slug not in self.targets:
                    result.problems.append(self._unknown(slug, file, field, line, f"({target})"))
                    return m.group(0)
                seen.add(slug)
                result.targets.append(slug)
                return self._markdown_link(m.group("ltext"), slug)
        return m.group(0)

    def _markdown_link(self, text: str, slug: str) -> str:
        return f'[{text}]({slug}.md "{link_title(self.targets[slug].summary)}")'

    def _unknown(self, slug: str, file: str, field: str, line: int | None, written: str) -> Problem:
        return Problem(
            file,
            f"link {written} points to unknown term '{slug}'",
            line=line,
            field=field or None,
            expected="the slug of a file in terms/",
            hint=did_you_mean(slug, self.targets) or f"create terms/{slug}.yml, or remove the link",
        )


PROSE_FIELDS = ("definition", "how_it_works", "example", "why_it_matters")


@dataclass
class LinkedTerm:
    """A term's prose with links resolved, and the slugs it links to."""

    fields: dict[str, str]
    faq_answers: list[str]
    targets: list[str]


def link_term(term: Term, linker: Linker, file: str = "") -> tuple[LinkedTerm, list[Problem]]:
    """Link every prose section of ``term`` (each field and each FAQ answer is a section)."""
    problems: list[Problem] = []
    targets: list[str] = []
    fields: dict[str, str] = {}
    for name in PROSE_FIELDS:
        text = getattr(term.data, name)
        if text:
            linked = linker.link(escape_prose(text), term.slug, file=file, field=name, line=term.line_of(name)[0])
            fields[name] = linked.text
            targets += linked.targets
            problems += linked.problems
    answers = []
    for i, item in enumerate(term.data.faq):
        linked = linker.link(escape_prose(item.a), term.slug, file=file, field=f"faq[{i}].a", line=term.line_of("faq", i, "a")[0])
        answers.append(linked.text)
        targets += linked.targets
        problems += linked.problems
    unique = list(dict.fromkeys(targets))
    return LinkedTerm(fields, answers, unique), problems


def backlinks(terms: list[Term], prose_targets: dict[str, list[str]] | None = None) -> dict[str, list[Term]]:
    """For each slug, the terms that list it in ``related`` or link to it in prose (by name)."""
    prose_targets = prose_targets or {}
    incoming: dict[str, dict[str, Term]] = {t.slug: {} for t in terms}
    for term in terms:
        for slug in [*term.data.related, *prose_targets.get(term.slug, [])]:
            if slug in incoming and slug != term.slug:
                incoming[slug][term.slug] = term
    return {slug: sorted(src.values(), key=lambda t: t.name.casefold()) for slug, src in incoming.items()}


def referenced_by(term: Term, incoming: dict[str, list[Term]]) -> list[Term]:
    """Backlinks of ``term`` not already shown in its own related list."""
    shown = set(term.data.related)
    return [t for t in incoming.get(term.slug, []) if t.slug not in shown]
