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

CHAR_W = 7.2  # average width of a character at the label font size, in SVG units
FONT = 13
BOX_H = 24


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


def neighbourhood_svg(
    term: Term,
    outgoing: list[Term],
    incoming: list[Term],
    url_for: Callable[[str], str],
) -> str:
    """The term in the middle; on the right the terms it links to, on the left those linking to it.

    A link that goes both ways is drawn once, on the right, with arrows at both ends. Rows grow
    with the number of neighbours, so 3 or 40 neighbours stay equally readable.
    """
    out_slugs = {t.slug for t in outgoing}
    in_slugs = {t.slug for t in incoming}
    right = sorted({t.slug: t for t in outgoing}.values(), key=lambda t: t.name.casefold())
    left = sorted((t for t in {t.slug: t for t in incoming}.values() if t.slug not in out_slugs), key=lambda t: t.name.casefold())
    row = 30.0
    top = 34.0
    rows = max(len(left), len(right), 1)
    height = top + rows * row + 10
    col_w = max([_label_width(t.name) for t in [*left, *right]] + [120.0])
    self_w = _label_width(term.name)
    width = max(720.0, 2 * col_w + self_w + 160)
    cx, cy = width / 2, top + rows * row / 2
    xl, xr = 8 + col_w / 2, width - 8 - col_w / 2
    parts = []
    if left:
        parts.append(f'<text class="tb-caption" x="{xl:.1f}" y="16" text-anchor="middle">links here</text>')
    if right:
        parts.append(f'<text class="tb-caption" x="{xr:.1f}" y="16" text-anchor="middle">linked from here</text>')
    nodes = []
    for column, x in ((left, xl), (right, xr)):
        offset = top + (rows - len(column)) * row / 2
        for i, t in enumerate(column):
            y = offset + (i + 0.5) * row
            both = t.slug in out_slugs and t.slug in in_slugs
            kind = "both" if both else ("out" if t.slug in out_slugs else "in")
            if kind == "in":  # from the neighbour's right edge to the term's left edge
                x1, y1 = x + _label_width(t.name) / 2 + 2, y
                x2, y2 = cx - self_w / 2 - 2, cy
            else:  # from the term's right edge to the neighbour's left edge
                x1, y1 = cx + self_w / 2 + 2, cy
                x2, y2 = x - _label_width(t.name) / 2 - 2, y
            markers = ' marker-end="url(#tb-arrow)"' + (' marker-start="url(#tb-arrow)"' if both else "")
            parts.append(
                f'<line class="tb-edge tb-edge--{kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{markers}/>'
            )
            nodes.append(_node(x, y, t.name, url_for(t.slug), "tb-node", t.data.summary))
    nodes.append(_node(cx, cy, term.name, None, "tb-node tb-node--self", term.data.summary))
    return _svg(width, height, f"Terms linked with {term.name}", parts + nodes)


def glossary_svg(terms: list[Term], graph: list[Edge], url_for: Callable[[str], str], seed: int = 0) -> str:
    """The whole glossary: a deterministic force-directed layout of the ``related`` links.

    Mentions in prose are left out (they turn the picture into a hairball); boxes are then pushed
    apart until no two labels overlap. The picture keeps its natural size and scrolls.
    """
    import numpy as np

    n = len(terms)
    if n == 0:
        return _svg(200, 60, "The glossary has no terms yet", [])
    index = {t.slug: i for i, t in enumerate(terms)}
    pairs = sorted(
        {
            (min(index[e.source], index[e.target]), max(index[e.source], index[e.target]))
            for e in graph
            if e.kind == RELATED
        }
    )
    pos = _force_layout(n, np.array(pairs, dtype=int).reshape(-1, 2), seed)
    width = max(720.0, 190.0 * math.sqrt(n))
    height = width * 0.75
    span = pos.max(axis=0) - pos.min(axis=0)
    span[span == 0] = 1.0
    xy = (pos - pos.min(axis=0)) / span * [width, height]
    sizes = np.array([[_label_width(t.name), BOX_H] for t in terms])
    xy = _separate(xy, sizes + [12.0, 10.0])
    xy -= xy.min(axis=0) - sizes.max(axis=0) / 2 - 10
    width, height = (xy.max(axis=0) + sizes.max(axis=0) / 2 + 10).tolist()
    lines = [
        f'<line class="tb-edge" x1="{xy[a, 0]:.1f}" y1="{xy[a, 1]:.1f}" x2="{xy[b, 0]:.1f}" y2="{xy[b, 1]:.1f}"/>'
        for a, b in pairs
    ]
    nodes = [_node(xy[i, 0], xy[i, 1], t.name, url_for(t.slug), "tb-node", t.data.summary) for i, t in enumerate(terms)]
    svg = _svg(width, height, f"All {n} terms and the related links between them", lines + nodes, wide=True)
    return f'<div class="termbook-graph-wide">{svg}</div>'


def _separate(xy, sizes, steps: int = 300):
    """Push overlapping boxes apart along the axis where they overlap least (vectorised)."""
    import numpy as np

    xy = xy.astype(float).copy()
    half = sizes / 2.0
    for _ in range(steps):
        d = xy[:, None, :] - xy[None, :, :]
        overlap = half[:, None, :] + half[None, :, :] - np.abs(d)
        hit = (overlap > 0).all(-1)
        np.fill_diagonal(hit, False)
        if not hit.any():
            break
        axis = np.argmin(overlap / sizes.mean(axis=0), axis=-1)  # resolve along the cheaper axis
        push = np.zeros_like(d)
        rows, cols = np.nonzero(hit)
        ax = axis[rows, cols]
        sign = np.where(d[rows, cols, ax] >= 0, 1.0, -1.0)
        push[rows, cols, ax] = sign * overlap[rows, cols, ax] / 2 + sign * 0.5
        xy += push.sum(axis=1) * 0.5
    return xy


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


def _svg(width: float, height: float, label: str, body: list[str], wide: bool = False) -> str:
    cls = "termbook-graph termbook-graph--wide" if wide else "termbook-graph"
    return (
        f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" role="img" aria-label="{html.escape(label, quote=True)}" font-size="{FONT}">'
        "<defs>"
        '<marker id="tb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="tb-arrow"/></marker>'
        "</defs>" + "".join(body) + "</svg>"
    )
