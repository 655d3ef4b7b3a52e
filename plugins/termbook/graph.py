"""The glossary as a graph: health suggestions and SVG pictures, computed at build time.

* :func:`edges` — every link between terms: ``related`` entries and links found in prose.
* :func:`health` — orphans, one-way ``related`` links, terms mentioned in prose but not related.
  These are suggestions (severity ``"suggestion"``), never errors.
* :func:`neighbourhood_svg` / :func:`glossary_svg` — clickable SVG, no script. Links come from a
  ``url_for(slug)`` callback so the caller decides how pages address each other.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import Problem, relative
from .model import Term

RELATED = "related"
MENTION = "mention"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # "related" or "mention"


def edges(terms: list[Term], prose_targets: dict[str, list[str]]) -> list[Edge]:
    """Directed links between known terms; a related entry wins over a mention of the same pair."""
    known = {t.slug for t in terms}
    out: dict[tuple[str, str], Edge] = {}
    for term in terms:
        for slug in term.data.related:
            if slug in known and slug != term.slug:
                out[(term.slug, slug)] = Edge(term.slug, slug, RELATED)
        for slug in prose_targets.get(term.slug, []):
            if slug in known and slug != term.slug:
                out.setdefault((term.slug, slug), Edge(term.slug, slug, MENTION))
    return list(out.values())


def health(terms: list[Term], graph: list[Edge], root=None) -> list[Problem]:
    """Suggestions that keep the graph navigable (reported by ``termbook check``)."""
    by_slug = {t.slug: t for t in terms}
    related = {(e.source, e.target) for e in graph if e.kind == RELATED}
    touched = {e.source for e in graph} | {e.target for e in graph}
    out: list[Problem] = []

    def file_of(term: Term) -> str:
        return relative(term.path, root) if root else term.path.as_posix()

    for term in terms:
        if term.slug not in touched:
            out.append(
                Problem(
                    file_of(term),
                    f"{term.slug} is an orphan: no term links to it and it links to none",
                    field="related",
                    hint="add the terms a reader should visit next to 'related'",
                    severity="suggestion",
                )
            )
    for source, target in sorted(related):
        if (target, source) not in related:
            term = by_slug[target]
            out.append(
                Problem(
                    file_of(term),
                    f"{source} lists {target} as related, but {target} does not list {source}",
                    line=term.line_of("related")[0],
                    field="related",
                    hint=f"add '{source}' to the related list of {target}, if a reader of {target} would want it",
                    severity="suggestion",
                )
            )
    for edge in graph:
        if edge.kind == MENTION:
            term = by_slug[edge.source]
            out.append(
                Problem(
                    file_of(term),
                    f"{edge.source} mentions {edge.target} in its text but does not list it as related",
                    line=term.line_of("related")[0],
                    field="related",
                    hint=f"add '{edge.target}' to related, or leave it as an in-text link",
                    severity="suggestion",
                )
            )
    return out


# --- pictures ---------------------------------------------------------------------------------

CHAR_W = 6.6  # average width of a character at the label font size, in SVG units
FONT = 11
BOX_H = 22


def _label_width(label: str) -> float:
    return len(label) * CHAR_W + 16


def _node(x: float, y: float, label: str, href: str | None, cls: str, title: str) -> str:
    w = _label_width(label)
    body = (
        f'<rect x="{x - w / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{w:.1f}" height="{BOX_H}" rx="11"/>'
        f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{html.escape(label)}</text>'
    )
    tip = f"<title>{html.escape(title)}</title>"
    if href is None:
        return f'<g class="{cls}">{tip}{body}</g>'
    return f'<a href="{html.escape(href, quote=True)}" class="{cls}">{tip}{body}</a>'


def _clip(x1: float, y1: float, x2: float, y2: float, box_w: float) -> tuple[float, float]:
    """The point where the segment from (x1, y1) to the centre of a box at (x2, y2) meets its edge."""
    dx, dy = x2 - x1, y2 - y1
    half_w, half_h = box_w / 2 + 2, BOX_H / 2 + 2
    if dx == 0 and dy == 0:
        return x2, y2
    t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return x2 - dx * t, y2 - dy * t


def neighbourhood_svg(
    term: Term,
    outgoing: list[Term],
    incoming: list[Term],
    url_for: Callable[[str], str],
) -> str:
    """A radial picture: the term in the middle, the terms it links to and that link to it around.

    Neighbours sit on rings of at most 10; an arrow shows the direction of each link (both ends
    when the link goes both ways). Readable from 1 to ~40 neighbours.
    """
    out_slugs = {t.slug for t in outgoing}
    in_slugs = {t.slug for t in incoming}
    neighbours = sorted({t.slug: t for t in [*outgoing, *incoming]}.values(), key=lambda t: t.name.casefold())
    per_ring = 10
    rings = max(1, math.ceil(len(neighbours) / per_ring))
    widest = max([_label_width(t.name) for t in neighbours] + [_label_width(term.name)])
    rx0, ry0 = max(170.0, widest * 0.9), 95.0
    width = 2 * (rx0 + (rings - 1) * 120 + widest / 2 + 10)
    height = 2 * (ry0 + (rings - 1) * 70 + BOX_H + 10)
    cx, cy = width / 2, height / 2
    lines, nodes = [], []
    for i, t in enumerate(neighbours):
        ring, k = divmod(i, per_ring)
        count = min(per_ring, len(neighbours) - ring * per_ring)
        angle = -math.pi / 2 + 2 * math.pi * (k + 0.5 * (ring % 2)) / count
        x = cx + (rx0 + ring * 120) * math.cos(angle)
        y = cy + (ry0 + ring * 70) * math.sin(angle)
        both = t.slug in out_slugs and t.slug in in_slugs
        kind = "both" if both else ("out" if t.slug in out_slugs else "in")
        x1, y1, x2, y2 = (cx, cy, x, y) if kind != "in" else (x, y, cx, cy)
        w_self, w_other = _label_width(term.name), _label_width(t.name)
        w1, w2 = (w_self, w_other) if kind != "in" else (w_other, w_self)
        x1, y1 = _clip(x2, y2, x1, y1, w1)  # start and end on the boxes' edges, so arrows show
        x2, y2 = _clip(x1, y1, x2, y2, w2)
        markers = ' marker-end="url(#tb-arrow)"' + (' marker-start="url(#tb-arrow-start)"' if both else "")
        lines.append(
            f'<line class="tb-edge tb-edge--{kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{markers}/>'
        )
        nodes.append(_node(x, y, t.name, url_for(t.slug), "tb-node", t.data.summary))
    nodes.append(_node(cx, cy, term.name, None, "tb-node tb-node--self", term.data.summary))
    return _svg(width, height, f"Terms linked with {term.name}", lines + nodes)


def glossary_svg(terms: list[Term], graph: list[Edge], url_for: Callable[[str], str], seed: int = 0) -> str:
    """The whole glossary, laid out by a deterministic force-directed simulation."""
    import numpy as np

    n = len(terms)
    if n == 0:
        return _svg(200, 60, "The glossary has no terms yet", [])
    index = {t.slug: i for i, t in enumerate(terms)}
    pairs = {(min(index[e.source], index[e.target]), max(index[e.source], index[e.target])) for e in graph}
    pos = _force_layout(n, np.array(sorted(pairs), dtype=int).reshape(-1, 2), seed)
    width = max(900.0, 130.0 * math.sqrt(n) * 1.6)
    height = width * 0.7
    margin = 80.0
    span = pos.max(axis=0) - pos.min(axis=0)
    span[span == 0] = 1.0
    xy = (pos - pos.min(axis=0)) / span * [width - 2 * margin, height - 2 * margin] + margin
    lines = [
        f'<line class="tb-edge" x1="{xy[a, 0]:.1f}" y1="{xy[a, 1]:.1f}" x2="{xy[b, 0]:.1f}" y2="{xy[b, 1]:.1f}"/>'
        for a, b in sorted(pairs)
    ]
    nodes = [_node(xy[i, 0], xy[i, 1], t.name, url_for(t.slug), "tb-node", t.data.summary) for i, t in enumerate(terms)]
    return _svg(width, height, f"All {n} terms and the links between them", lines + nodes)


def _force_layout(n: int, pairs, seed: int, steps: int = 400):
    """Fruchterman–Reingold in NumPy: O(n²) per step, fine for thousands of terms at build time."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(n, 2))
    k = 1.0 / math.sqrt(n)
    temperature = 0.1
    for _ in range(steps):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta**2).sum(-1)) + 1e-9
        np.fill_diagonal(dist, np.inf)
        disp = (delta / dist[..., None] * (k * k / dist)[..., None]).sum(axis=1)
        if len(pairs):
            d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            length = np.sqrt((d**2).sum(-1)) + 1e-9
            pull = d / length[:, None] * (length**2 / k)[:, None]
            np.add.at(disp, pairs[:, 0], -pull)
            np.add.at(disp, pairs[:, 1], pull)
        disp -= 0.05 * pos  # gentle gravity keeps unconnected terms on the canvas
        norm = np.sqrt((disp**2).sum(-1)) + 1e-9
        pos += disp / norm[:, None] * np.minimum(norm, temperature)[:, None]
        temperature *= 0.99
    return pos


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg class="termbook-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" role="img" aria-label="{html.escape(label, quote=True)}" font-size="{FONT}">'
        "<defs>"
        '<marker id="tb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="tb-arrow"/></marker>'
        '<marker id="tb-arrow-start" viewBox="0 0 10 10" refX="0" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="tb-arrow"/></marker>'
        "</defs>" + "".join(body) + "</svg>"
    )
