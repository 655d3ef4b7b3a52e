"""What keeps large glossaries linear: grouped glossary pictures, the linker's first-word index.

No timings here (they live in benchmarks/build.py); these tests pin the behaviour the faster code
must keep, and the structural limits that bound its cost.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
import termbook.graph as graph
from hypothesis import given, settings
from hypothesis import strategies as st
from termbook.graph import RELATED, Edge, glossary_groups, glossary_svg
from termbook.linking import _WORD, Linked, Linker, _glued
from termbook.model import Term, TermData
from termbook.rendering import render_graph_page
from termbook.search_index import read_script, words_by_page

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term


def make(slug: str, name: str, tags=(), related=(), aliases=(), no_autolink=()) -> Term:
    data = TermData(
        term=name,
        summary=f"{name} summary.",
        definition=f"{name} is a thing.",
        tags=list(tags),
        related=list(related),
        aliases=list(aliases),
        no_autolink=list(no_autolink),
    )
    return Term(slug=slug, path=Path(f"terms/{slug}.yml"), data=data)


def related_edges(terms: list[Term]) -> list[Edge]:
    return [Edge(t.slug, r, RELATED) for t in terms for r in t.data.related]


def glossary(n: int, tags: list[str], seed: int = 0, clique: int = 10) -> list[Term]:
    """``n`` terms; consecutive runs of ``clique`` terms share a tag and link to each other."""
    rng = random.Random(seed)
    slugs = [f"term-{i:05d}" for i in range(n)]
    terms = []
    for i, slug in enumerate(slugs):
        block = range(i // clique * clique, min(n, (i // clique + 1) * clique))
        related = [slugs[j] for j in rng.sample(list(block), min(3, len(block))) if j != i]
        terms.append(make(slug, f"Term {i:05d}", tags=[tags[i // clique % len(tags)]], related=related))
    return terms


# --- the whole-glossary picture ------------------------------------------------------------------


def test_groups_hold_every_term_once_and_respect_the_limit():
    terms = glossary(530, ["b-tag", "a-tag", "c-tag"])
    terms.append(make("loner", "Loner"))  # no tag
    groups = glossary_groups(terms, related_edges(terms), limit=50)
    slugs = [t.slug for _, members in groups for t in members]
    assert sorted(slugs) == sorted(t.slug for t in terms)
    assert all(0 < len(members) <= 50 for _, members in groups)
    titles = [title for title, _ in groups]
    assert titles[0] == "a-tag (1 of 4)" and titles[-1] == "untagged"
    assert [t for t in titles if t.startswith("b-tag")] == [f"b-tag ({k} of 4)" for k in range(1, 5)]
    sizes = [len(m) for title, m in groups if title.startswith("b-tag")]
    assert max(sizes) - min(sizes) <= 3  # parts of a tag are about equal


def test_groups_keep_linked_terms_together():
    # two cliques of 8 under one tag, shuffled names: a walk of the links puts each clique in one part
    terms = []
    for c in range(2):
        slugs = [f"c{c}-{i}" for i in range(8)]
        for i, slug in enumerate(slugs):
            name = f"{'ZA'[(i + c) % 2]}{c}{i}"  # interleave the cliques alphabetically
            terms.append(make(slug, name, tags=["t"], related=[s for s in slugs if s != slug]))
    groups = glossary_groups(terms, related_edges(terms), limit=8)
    assert len(groups) == 2
    assert [{t.slug[:2] for t in members} for _, members in groups] == [{"c0"}, {"c1"}]


def test_groups_are_deterministic_and_ignore_input_order():
    terms = glossary(300, ["x", "y"], seed=3)
    edges = related_edges(terms)
    first = [(title, [t.slug for t in m]) for title, m in glossary_groups(terms, edges, limit=40)]
    shuffled = terms[:]
    random.Random(1).shuffle(shuffled)
    again = [(title, [t.slug for t in m]) for title, m in glossary_groups(shuffled, edges[::-1], limit=40)]
    assert first == again


def test_small_glossary_is_one_picture():
    terms = glossary(30, ["x", "y"])
    svg = glossary_svg(terms, related_edges(terms), lambda s: f"{s}.html")
    assert svg.count("<svg") == 1 and "<h2" not in svg
    assert svg.count('class="tb-node"') == 30


def test_large_glossary_is_one_picture_per_group(monkeypatch):
    monkeypatch.setattr(graph, "SINGLE_PICTURE_MAX", 40)
    monkeypatch.setattr(graph, "GROUP_MAX", 25)
    drawn: list[int] = []
    picture = graph._picture

    def spy(terms, *args, **kwargs):
        drawn.append(len(terms))
        return picture(terms, *args, **kwargs)

    monkeypatch.setattr(graph, "_picture", spy)
    terms = glossary(120, ["alpha", "beta", "gamma"])
    edges = related_edges(terms)
    edges.append(Edge("term-00000", "term-00119", RELATED))  # a link across groups
    html = glossary_svg(terms, edges, lambda s: f"{s}.html")
    assert max(drawn) <= 25 and sum(drawn) == 120  # no picture (and no n × n array) beyond the cap
    assert html.count("<svg") == len(drawn)
    assert sorted(re.findall(r'href="(term-\d+)\.html"', html)) == sorted(t.slug for t in terms)
    ids = re.findall(r'<h2 id="([^"]+)">', html)
    assert len(ids) == len(set(ids)) == len(drawn)
    assert all(f'href="#{i}"' in html for i in ids)  # the list of pictures links to each
    assert "The 1 related links between pictures are not drawn" in html
    assert 'id="tb-arrow"' not in html  # no duplicate marker ids across pictures
    assert html == glossary_svg(terms, edges, lambda s: f"{s}.html")  # deterministic


def test_graph_page_says_how_a_large_glossary_is_drawn():
    assert "in one picture per tag" not in render_graph_page(glossary(graph.SINGLE_PICTURE_MAX, ["x"]))
    assert "in one picture per tag" in render_graph_page(glossary(graph.SINGLE_PICTURE_MAX + 1, ["x"]))


def test_separated_boxes_do_not_overlap():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 300, size=(60, 2))  # crowded: boxes of 100 x 34 in a 300 x 300 square
    sizes = np.column_stack([rng.uniform(60, 140, 60), np.full(60, 34.0)])
    out = graph._separate(xy, sizes, steps=2000)
    gap_x = np.abs(out[:, None, 0] - out[None, :, 0]) - (sizes[:, None, 0] + sizes[None, :, 0]) / 2
    gap_y = np.abs(out[:, None, 1] - out[None, :, 1]) - (sizes[:, None, 1] + sizes[None, :, 1]) / 2
    overlap = (gap_x < 0) & (gap_y < 0)
    np.fill_diagonal(overlap, False)
    assert not overlap.any()


def test_force_layout_pulls_linked_terms_together():
    pairs = np.array([(i, i + 1) for i in range(0, 40, 2)])  # 20 linked pairs
    pos = graph._force_layout(40, pairs, seed=0)
    assert np.isfinite(pos).all()
    linked = np.linalg.norm(pos[pairs[:, 0]] - pos[pairs[:, 1]], axis=1).mean()
    everyone = np.linalg.norm(pos[:, None] - pos[None, :], axis=-1)[np.triu_indices(40, 1)].mean()
    assert linked < everyone / 3
    assert np.array_equal(pos, graph._force_layout(40, pairs, seed=0))


def test_pictures_stay_out_of_the_search_index(project):
    project.add_term("batch-normalization", term("Batch Normalization", summary="Normalises features.", related=["dropout"]))
    project.add_term("dropout", term("Dropout", summary="Zeroes random units.", related=["batch-normalization"]))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    site = project.build()
    page = (site / "terms" / "dropout.html").read_text()
    assert "<svg" in page
    words = words_by_page(read_script((site / "assets" / "termbook" / "search-text.js").read_text()))
    assert "zeroes" in words["terms/dropout.html"]  # the page's own summary is searched ...
    assert "normalises" not in words["terms/dropout.html"]  # ... not the related term's, in its list or its picture


# --- the linker's first-word index ----------------------------------------------------------------


class ReferenceLinker(Linker):
    """The linker before the first-word index: every word tries every phrase length."""

    def _auto(self, chunk: str, seen: set[str], result: Linked) -> str:
        if not chunk or not self._max_words:
            return chunk
        words = list(_WORD.finditer(chunk))
        out: list[str] = []
        pos = i = 0
        while i < len(words):
            first = words[i]
            if _glued(chunk, first.start(), before=True):
                i += 1
                continue
            match = None
            for n in range(min(self._max_words, len(words) - i), 0, -1):
                run = words[i : i + n]
                if any(chunk[a.end() : b.start()].strip() for a, b in zip(run, run[1:])):
                    continue
                if _glued(chunk, run[-1].end(), before=False):
                    continue
                found, slug = self._lookup([w.group() for w in run])
                if found:
                    match = (n, slug)
                    break
            if match is None:
                i += 1
                continue
            n, slug = match
            start, end = first.start(), words[i + n - 1].end()
            if slug is not None and slug not in seen:
                seen.add(slug)
                result.targets.append(slug)
                out.append(chunk[pos:start])
                out.append(self._markdown_link(chunk[start:end], slug))
                pos = end
            i += n
        out.append(chunk[pos:])
        return "".join(out)


TERMS = [
    make("gradient-descent", "Gradient Descent", aliases=["GD", "steepest descent"]),
    make("stochastic-gradient-descent", "Stochastic Gradient Descent", aliases=["SGD"]),
    make("stochastic-depth", "Stochastic Depth"),
    make("batch-normalization", "Batch Normalization", aliases=["BN", "BatchNorm", "batch norm"]),
    make("bn-layer", "Bn Layer"),  # a folded word that is also an acronym written in capitals
    make("activation", "Activation", no_autolink=["activation map"]),
    make("self-attention", "Self-Attention", aliases=["intra attention"]),
    make("mini-batch", "Mini-batch"),
]
WORDS = [
    "gradient",
    "Gradient",
    "descent",
    "stochastic",
    "Stochastic",
    "depth",
    "GD",
    "gd",
    "SGD",
    "BN",
    "bn",
    "Bn",
    "layer",
    "Layer",
    "batch",
    "norm",
    "normalization",
    "BatchNorm",
    "activation",
    "map",
    "self-attention",
    "Self-Attention",
    "intra",
    "attention",
    "mini-batch",
    "Mini-batch",
    "steepest",
    "the",
    "of",
    "a",
    "batches",
    "descents",
    "layers",
    "BNs",
    # whole phrases, so that overlapping and nested mentions come up often
    "stochastic gradient descent",
    "Stochastic Gradient Descent",
    "gradient descent",
    "stochastic depth",
    "batch norm",
    "batch normalization",
    "steepest descent",
    "activation map",
    "bn layer",
    "intra attention",
]
SEPARATORS = [" ", " ", " ", "  ", "\n", ", ", ". ", "-", "/", "_", " (", ") ", " `x` ", " $x$ ", " [[gradient-descent]] "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=40), st.sampled_from(TERMS))
def test_first_word_index_links_exactly_like_trying_every_phrase(parts, page):
    text = "".join(word + sep for word, sep in parts)
    fast, reference = Linker(TERMS).link(text, page.slug), ReferenceLinker(TERMS).link(text, page.slug)
    assert (fast.text, fast.targets) == (reference.text, reference.targets)


@pytest.mark.parametrize(
    "text, targets",
    [
        ("Stochastic depth and stochastic gradient descent.", ["stochastic-depth", "stochastic-gradient-descent"]),
        ("bn layer, then BN.", ["bn-layer", "batch-normalization"]),
        ("An activation map is not an activation.", ["activation"]),
        ("Nothing here starts a phrase at all.", []),
    ],
)
def test_phrases_that_share_a_first_word(text, targets):
    assert Linker(TERMS).link(text, "mini-batch").targets == targets
