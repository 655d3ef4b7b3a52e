"""The glossary as a graph: health suggestions and SVG pictures, computed at build time.

* :func:`edges` — every link between terms: ``related`` entries and links found in prose.
* :func:`health` — orphans, one-way ``related`` links, terms mentioned in prose but not related.
  These are suggestions (severity ``"suggestion"``), never errors.
* :func:`neighbourhood_svg` / :func:`glossary_svg` — clickable SVG, no script. Links come from a
  ``url_for(slug)`` callback so the caller decides how pages address each other. The nodes of
  the whole-glossary pictures carry ``data-slug`` and ``data-tags`` (a JSON list), its edges
  ``data-a`` and ``data-b`` (slugs): ``assets/graph-explorer.js`` pans, zooms and filters with them.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .errors import Problem, Severity, relative
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

    files: dict[str, str] = {}

    def file_of(term: Term) -> str:  # once per term: ``relative`` resolves paths on disk
        if term.slug not in files:
            files[term.slug] = relative(term.path, root) if root else term.path.as_posix()
        return files[term.slug]

    for term in terms:
        if term.slug not in touched:
            out.append(
                Problem(
                    file_of(term),
                    f"{term.slug} is an orphan: no term links to it and it links to none",
                    field="related",
                    hint="add the terms a reader should visit next to 'related'",
                    severity=Severity.SUGGESTION,
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
                    severity=Severity.SUGGESTION,
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
                    severity=Severity.SUGGESTION,
                )
            )
    return out


# --- pictures ---------------------------------------------------------------------------------

CHAR_W = 7.2  # average width of a character at the label font size, in SVG units
FONT = 13
BOX_H = 24


def _label_width(label: str) -> float:
    return len(label) * CHAR_W + 16


def _node(x: float, y: float, label: str, href: str | None, cls: str, title: str, data: str = "") -> str:
    """A box with a label; ``data`` is extra attributes (already escaped) for the ``<a>``."""
    w = _label_width(label)
    body = (
        f'<rect x="{x - w / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{w:.1f}" height="{BOX_H}" rx="11"/>'
        f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{html.escape(label)}</text>'
    )
    tip = f"<title>{html.escape(title)}</title>"  # the tooltip, and the description a screen reader adds to the name
    if href is None:
        return f'<g class="{cls}">{tip}{body}</g>'
    return f'<a href="{html.escape(href, quote=True)}" class="{cls}" aria-label="{html.escape(label, quote=True)}"{data}>{tip}{body}</a>'


def _node_data(term: Term) -> str:
    """The slug and tags (a JSON list) of a term's node, for the graph explorer's filters."""
    tags = json.dumps(list(term.data.tags), ensure_ascii=False)
    return f' data-slug="{html.escape(term.slug, quote=True)}" data-tags="{html.escape(tags, quote=True)}"'


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
            parts.append(f'<line class="tb-edge tb-edge--{kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{markers}/>')
            nodes.append(_node(x, y, t.name, url_for(t.slug), "tb-node", t.data.summary))
    nodes.append(_node(cx, cy, term.name, None, "tb-node tb-node--self", term.data.summary))
    return _svg(width, height, f"Terms linked with {term.name}", parts + nodes)


SINGLE_PICTURE_MAX = 200  # up to this many terms the whole glossary is one picture
GROUP_MAX = 100  # above it, one picture per tag, each of at most this many terms


def glossary_svg(terms: list[Term], graph: list[Edge], url_for: Callable[[str], str], seed: int = 0) -> str:
    """The whole glossary: deterministic force-directed layouts of the ``related`` links.

    Mentions in prose are left out (they turn the picture into a hairball); boxes are then pushed
    apart until no two labels overlap. The picture keeps its natural size and scrolls. Up to
    :data:`SINGLE_PICTURE_MAX` terms it is one picture. A larger glossary gets one picture per
    group of :func:`glossary_groups` (by tag, at most :data:`GROUP_MAX` terms each): a picture of
    thousands of boxes is unreadable, and the layout costs O(n²) per step, so groups keep the whole
    linear in the number of terms.
    """
    n = len(terms)
    if n == 0:
        return _svg(200, 60, "The glossary has no terms yet", [])
    pairs = _related_pairs(graph)
    if n <= SINGLE_PICTURE_MAX:
        return _picture(terms, pairs, url_for, seed, f"All {n} terms and the related links between them")
    groups = glossary_groups(terms, graph, GROUP_MAX)
    group_of = {t.slug: i for i, (_, members) in enumerate(groups) for t in members}
    inside: list[list[tuple[str, str]]] = [[] for _ in groups]
    between = 0
    for a, b in pairs:
        if a in group_of and b in group_of:
            if group_of[a] == group_of[b]:
                inside[group_of[a]].append((a, b))
            else:
                between += 1
    ids = _unique_ids([title for title, _ in groups])
    toc = " · ".join(f'<a href="#{ident}">{html.escape(title)}</a>&nbsp;({len(members)})' for ident, (title, members) in zip(ids, groups))
    parts = [
        '<div class="termbook-graph-groups">',
        f"<p>{len(groups)} pictures: a term is drawn under its first tag, and a tag of more than {GROUP_MAX} "
        f"terms is split into parts of linked terms. The {between} related links between pictures are not "
        "drawn; every term's page shows all of its links.</p>",
        f'<p class="termbook-graph-toc">{toc}</p>',
    ]
    for ident, (title, members), links in zip(ids, groups, inside):
        label = f"{title}: {len(members)} terms and the related links between them"
        parts.append(f'<h2 id="{ident}">{html.escape(title)}</h2>')
        parts.append(_picture(members, links, url_for, seed, label))
    parts.append("</div>")
    return "\n".join(parts)


def glossary_groups(terms: list[Term], graph: list[Edge], limit: int = GROUP_MAX) -> list[tuple[str, list[Term]]]:
    """Terms in groups of at most ``limit``, each term once: ``[(title, terms), ...]``.

    A group is the terms whose first tag is the same (untagged terms last). A tag with more than
    ``limit`` terms is cut into equal parts of a breadth-first walk of its ``related`` links, so
    that linked terms tend to share a part; the parts are titled "tag (1 of 3)". Deterministic.
    """
    by_tag: dict[str, list[Term]] = {}
    for term in sorted(terms, key=lambda t: (t.name.casefold(), t.slug)):
        by_tag.setdefault(term.data.tags[0] if term.data.tags else "", []).append(term)
    neighbours: dict[str, list[str]] = {t.slug: [] for t in terms}
    for a, b in _related_pairs(graph):
        if a in neighbours and b in neighbours:
            neighbours[a].append(b)
            neighbours[b].append(a)
    groups: list[tuple[str, list[Term]]] = []
    for tag in sorted(by_tag, key=lambda t: (t == "", t.casefold(), t)):
        members = by_tag[tag]
        title = tag or "untagged"
        if len(members) <= limit:
            groups.append((title, members))
            continue
        order = _walk(members, neighbours)
        count = -(-len(members) // limit)
        size = -(-len(members) // count)
        for part, start in enumerate(range(0, len(members), size), start=1):
            groups.append((f"{title} ({part} of {count})", order[start : start + size]))
    return groups


def _walk(members: list[Term], neighbours: dict[str, list[str]]) -> list[Term]:
    """``members`` in breadth-first order over links among them, starting from the first by name."""
    rank = {t.slug: i for i, t in enumerate(members)}
    order: list[Term] = []
    seen: set[str] = set()
    for root in members:
        if root.slug in seen:
            continue
        seen.add(root.slug)
        queue = deque([root.slug])
        while queue:
            slug = queue.popleft()
            order.append(members[rank[slug]])
            for other in sorted((s for s in neighbours[slug] if s in rank and s not in seen), key=rank.__getitem__):
                seen.add(other)
                queue.append(other)
    return order


def _unique_ids(titles: list[str]) -> list[str]:
    ids: list[str] = []
    for title in titles:
        base = "group-" + (re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-") or "terms")
        ident, k = base, 1
        while ident in ids:
            k += 1
            ident = f"{base}-{k}"
        ids.append(ident)
    return ids


def _related_pairs(graph: list[Edge]) -> list[tuple[str, str]]:
    """Each pair of terms joined by a ``related`` link (either way) once, as sorted slugs."""
    return sorted({(min(e.source, e.target), max(e.source, e.target)) for e in graph if e.kind == RELATED})


def _picture(terms: list[Term], pairs: list[tuple[str, str]], url_for: Callable[[str], str], seed: int, label: str) -> str:
    """One force-directed picture of ``terms`` and the ``pairs`` (of slugs) among them."""
    index = {t.slug: i for i, t in enumerate(terms)}
    links = tuple(sorted({(min(index[a], index[b]), max(index[a], index[b])) for a, b in pairs if a in index and b in index}))
    xy, width, height = _placed(tuple(t.name for t in terms), links, seed)
    lines = [
        f'<line class="tb-edge" x1="{xy[a, 0]:.1f}" y1="{xy[a, 1]:.1f}" x2="{xy[b, 0]:.1f}" y2="{xy[b, 1]:.1f}"'
        f' data-a="{html.escape(terms[a].slug, quote=True)}" data-b="{html.escape(terms[b].slug, quote=True)}"/>'
        for a, b in links
    ]
    nodes = [_node(xy[i, 0], xy[i, 1], t.name, url_for(t.slug), "tb-node", t.data.summary, _node_data(t)) for i, t in enumerate(terms)]
    svg = _svg(width, height, label, lines + nodes, wide=True, markers=False)  # undirected: no arrows
    return f'<div class="termbook-graph-wide">{svg}</div>'


@lru_cache(maxsize=1024)
def _placed(names: tuple[str, ...], links: tuple[tuple[int, int], ...], seed: int):
    """Where each box of a picture goes, and the picture's size: ``(xy, width, height)``.

    The layout depends only on the labels, the links and the seed, so it is kept: under
    `mkdocs serve`, an edit that changes a summary draws the pictures again without laying them out.
    """
    import numpy as np

    n = len(names)
    pos = _force_layout(n, np.array(links, dtype=int).reshape(-1, 2), seed)
    width = max(720.0, 190.0 * math.sqrt(n))
    height = width * 0.75
    span = pos.max(axis=0) - pos.min(axis=0)
    span[span == 0] = 1.0
    xy = (pos - pos.min(axis=0)) / span * [width, height]
    sizes = np.array([[_label_width(name), BOX_H] for name in names])
    xy = _separate(xy, sizes + [12.0, 10.0])
    xy -= xy.min(axis=0) - sizes.max(axis=0) / 2 - 10
    width, height = (xy.max(axis=0) + sizes.max(axis=0) / 2 + 10).tolist()
    xy.flags.writeable = False  # shared by every later drawing of the same picture
    return xy, width, height


def _separate(xy, sizes, steps: int = 300):
    """Push overlapping boxes apart along the axis where they overlap least (vectorised).

    Each step is O(n²) in comparisons but builds only n × n arrays, and pushes only the pairs
    that overlap.
    """
    import numpy as np

    n = len(xy)
    x, y = (xy[:, 0].astype(float), xy[:, 1].astype(float))
    half_w, half_h = sizes[:, 0] / 2.0, sizes[:, 1] / 2.0
    reach_w, reach_h = half_w[:, None] + half_w[None, :], half_h[:, None] + half_h[None, :]
    mean_w, mean_h = sizes.mean(axis=0)
    diagonal = np.eye(n, dtype=bool)
    for _ in range(steps):
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        over_x = reach_w - np.abs(dx)
        over_y = reach_h - np.abs(dy)
        hit = (over_x > 0) & (over_y > 0) & ~diagonal
        rows, cols = np.nonzero(hit)
        if not len(rows):
            break
        ox, oy = over_x[rows, cols], over_y[rows, cols]
        along_x = ox / mean_w <= oy / mean_h  # resolve along the cheaper axis
        sx = np.where(dx[rows, cols] >= 0, 1.0, -1.0)
        sy = np.where(dy[rows, cols] >= 0, 1.0, -1.0)
        x += np.bincount(rows, np.where(along_x, sx * ox / 2 + sx * 0.5, 0.0), minlength=n) * 0.5
        y += np.bincount(rows, np.where(along_x, 0.0, sy * oy / 2 + sy * 0.5), minlength=n) * 0.5
    return np.stack([x, y], axis=1)


def _force_layout(n: int, pairs, seed: int, steps: int = 400):
    """Fruchterman–Reingold in NumPy: O(n²) per step, for pictures of up to a few hundred terms.

    Repulsion k²/d along each pair's direction is (dx, dy) · k²/d², so a step needs n × n arrays
    only (no n × n × 2 differences). Elementwise NumPy only, no BLAS: a matrix product may round
    differently on another CPU, and a force layout turns the last bit into a different picture.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(n, 2))
    x, y = pos[:, 0].copy(), pos[:, 1].copy()
    k = 1.0 / math.sqrt(n)
    temperature = 0.1
    diagonal = np.arange(n)
    linked = len(pairs) > 0
    a, b = pairs[:, 0], pairs[:, 1]
    for _ in range(steps):
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        d2 = dx * dx + dy * dy
        d2[diagonal, diagonal] = np.inf  # no force of a term on itself
        np.maximum(d2, 1e-18, out=d2)
        f = (k * k) / d2
        disp_x, disp_y = (dx * f).sum(axis=1), (dy * f).sum(axis=1)
        if linked:  # attraction d²/k along each link
            lx, ly = x[a] - x[b], y[a] - y[b]
            pull = np.sqrt(lx * lx + ly * ly) / k
            px, py = lx * pull, ly * pull
            disp_x += np.bincount(b, px, minlength=n) - np.bincount(a, px, minlength=n)
            disp_y += np.bincount(b, py, minlength=n) - np.bincount(a, py, minlength=n)
        disp_x -= 0.05 * x  # gentle gravity keeps unconnected terms on the canvas
        disp_y -= 0.05 * y
        norm = np.sqrt(disp_x * disp_x + disp_y * disp_y) + 1e-9
        step = np.minimum(norm, temperature) / norm
        x += disp_x * step
        y += disp_y * step
        temperature *= 0.99
    return np.stack([x, y], axis=1)


def _svg(width: float, height: float, label: str, body: list[str], wide: bool = False, markers: bool = True) -> str:
    """An SVG element; ``markers`` adds the arrow head (one per page: its id must be unique).

    ``role="group"`` with a label, not ``img``: an image's children are hidden from assistive
    technology, and the nodes are links a reader reaches with Tab (each named by its term, with the
    summary as description). ``data-search-exclude`` keeps the labels and tooltips out of the
    search index: they repeat the related lists as run-together text, and at 10,000 terms they
    added megabytes to the index.
    """
    cls = "termbook-graph termbook-graph--wide" if wide else "termbook-graph"
    defs = (
        "<defs>"
        '<marker id="tb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="tb-arrow"/></marker>'
        "</defs>"
    )
    return (
        f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" role="group" aria-label="{html.escape(label, quote=True)}" font-size="{FONT}" data-search-exclude>'
        + (defs if markers else "")
        + "".join(body)
        + "</svg>"
    )
