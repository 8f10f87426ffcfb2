"""Pictures drawn on the server as inline SVG, no script: a community's graph (igraph's
Fruchterman–Reingold layout), small line charts of a series over runs, and referral trees as
nested lists. Pure functions: rows in, markup out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph as ig
import numpy as np
from markupsafe import Markup, escape

from graphsvc.runs.explain import figure

__all__ = ["TreeNode", "community_picture", "line_chart", "referral_tree"]

SIZE = 1000  # picture units; the SVG scales to its box
MAX_EDGES = 6000  # strongest ties drawn
CORE = 400  # members laid out by force; the others beside their neighbours
MAX_LABELS = 12  # names written beside the owner and the top KOLs
KOL_TIERS = ("core", "kol")


def _layout(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Positions in [0, 1]² of ``n`` members (most influential first) tied by src–dst.

    The first ``CORE`` members get Fruchterman & Reingold (1991) from igraph, deterministic
    (started from a circle; O(CORE² × iterations), 0.1–0.2 s); each other member then sits at
    the weighted mean of its placed neighbours, slightly scattered (seeded), three rounds
    outwards, O(n + m) each; members tied to none are set on a ring outside.
    """
    core = min(n, CORE)
    inner = (src < core) & (dst < core)
    graph = ig.Graph(n=core, edges=np.column_stack([src[inner], dst[inner]]).tolist())
    coords = np.zeros((n, 2))
    coords[:core] = graph.layout_fruchterman_reingold(
        weights=list(weight[inner]), niter=150, seed=graph.layout_circle().coords, grid=False
    ).coords
    placed = np.zeros(n, dtype=bool)
    placed[:core] = np.bincount(np.concatenate([src[inner], dst[inner]]), minlength=n)[:core] > 0
    a, b = np.concatenate([src, dst]), np.concatenate([dst, src])
    w = np.concatenate([weight, weight])
    rng = np.random.default_rng(0)
    scatter = 0.06 * (coords[placed].std() if placed.any() else 1.0)
    for _ in range(3):
        tie = ~placed[a] & placed[b]
        total = np.bincount(a[tie], w[tie], n)
        new = total > 0
        if not new.any():
            break
        for axis in (0, 1):
            mean = np.bincount(a[tie], w[tie] * coords[b[tie], axis], n)[new] / total[new]
            coords[new, axis] = mean + rng.normal(0.0, scatter, int(new.sum()))
        placed |= new
    if placed.any():  # radius → its square root: the dense middle opens up, all in view
        offset = coords[placed] - np.median(coords[placed], axis=0)
        distance = np.hypot(offset[:, 0], offset[:, 1])
        reach = max(float(distance.max()), 1e-9)
        stretch = np.sqrt(distance / reach) / np.maximum(distance / reach, 1e-9)
        coords[placed] = 0.5 + 0.44 * offset / reach * stretch[:, None]
    alone = ~placed
    if alone.any():
        angle = np.linspace(0, 2 * math.pi, int(alone.sum()), endpoint=False)
        coords[alone] = 0.5 + 0.49 * np.column_stack([np.cos(angle), np.sin(angle)])
    return coords


def _ties(
    index: dict[str, int], edges: Sequence[tuple[str, str, str, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected ties between members, events summed over kinds and directions, strongest
    ``MAX_EDGES`` kept."""
    pairs: dict[tuple[int, int], float] = {}
    for src, dst, _, count in edges:
        a, b = index.get(src), index.get(dst)
        if a is None or b is None or a == b:
            continue
        key = (a, b) if a < b else (b, a)
        pairs[key] = pairs.get(key, 0.0) + count
    if not pairs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    keys = np.array(list(pairs), dtype=np.int64)
    weight = np.log1p(np.fromiter(pairs.values(), dtype=float, count=len(pairs)))
    keep = np.argsort(-weight, kind="stable")[:MAX_EDGES]
    return keys[keep, 0], keys[keep, 1], weight[keep]


def community_picture(
    members: Sequence[dict[str, Any]],
    edges: Sequence[tuple[str, str, str, int]],
    owner_id: str | None,
    url_of: Any,
) -> Markup:
    """An SVG of ``members`` (user rows, most influential first) and their ``edges``: size by
    influence, colour by tier, the owner ringed and named, KOLs ringed, every member a link
    (``url_of(user_id)``) with a tooltip."""
    index = {m["user_id"]: i for i, m in enumerate(members)}
    src, dst, weight = _ties(index, edges)
    xy = _layout(len(members), src, dst, weight) * SIZE
    influence = np.array([m.get("influence") or 0.0 for m in members], dtype=float)
    top = influence.max() if len(influence) else 0.0
    radius = 4 + 12 * np.sqrt(influence / top) if top > 0 else np.full(len(members), 4.0)
    path = "".join(
        f"M{xy[a, 0]:.0f} {xy[a, 1]:.0f}L{xy[b, 0]:.0f} {xy[b, 1]:.0f}"
        for a, b in zip(src, dst, strict=True)
    )
    parts = [
        f'<svg class="graph" viewBox="0 0 {SIZE} {SIZE}" role="img" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<path class="ties" d="{path}"/>' if path else "",
    ]
    labels = []
    order = sorted(range(len(members)), key=lambda i: radius[i])  # big ones on top
    for i in order:
        m = members[i]
        tier = str(m.get("tier") or "")
        ring = " owner" if m["user_id"] == owner_id else " kol" if tier in KOL_TIERS else ""
        name = m.get("name") or m["user_id"]
        tip = f"{name} ({m['user_id']}) · {tier} · #{m.get('influence_rank')}"
        r = radius[i] + (4 if ring == " owner" else 0)
        parts.append(
            f'<a href="{escape(url_of(m["user_id"]))}"><circle class="t-{escape(tier)}{ring}" '
            f'cx="{xy[i, 0]:.0f}" cy="{xy[i, 1]:.0f}" r="{r:.1f}">'
            f"<title>{escape(tip)}</title></circle></a>"
        )
        if ring and (ring == " owner" or len(labels) < MAX_LABELS):
            labels.append((i, name, ring))
    for i, name, ring in labels:
        parts.append(
            f'<text class="label{ring}" x="{xy[i, 0] + radius[i] + 5:.0f}" y="{xy[i, 1] + 5:.0f}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(points: Sequence[tuple[str, float | None]], *, invert: bool = False) -> Markup:
    """A small SVG line chart of values over runs (None: no value there), first value at the
    left; ``invert`` puts small values on top (ranks)."""
    width, height, pad = 320, 90, 14
    known = [(i, v) for i, (_, v) in enumerate(points) if v is not None and math.isfinite(v)]
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    if known:
        values = [v for _, v in known]
        lo, hi = min(values), max(values)
        span = hi - lo or 1.0
        step = (width - 2 * pad) / max(len(points) - 1, 1)

        def at(i: int, v: float) -> tuple[float, float]:
            share = (v - lo) / span
            y = pad + (share if invert else 1 - share) * (height - 2 * pad)
            return pad + i * step, y

        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(i, v) for i, v in known))
        parts.append(f'<polyline points="{line}"/>')
        for i, v in known:
            x, y = at(i, v)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(points[i][0])}: '
                f"{escape(figure(v))}</title></circle>"
            )
        first, last = known[0][1], known[-1][1]
        parts.append(f'<text x="{pad}" y="{height - 1}">{escape(figure(first))}</text>')
        parts.append(
            f'<text x="{width - pad}" y="{height - 1}" text-anchor="end">'
            f"{escape(figure(last))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class TreeNode:
    user_id: str
    depth: int
    children: list[TreeNode] = field(default_factory=list)
    size: int = 1  # users in this subtree, as fetched
    hidden: int = 0  # children left out (the smallest branches)


def referral_tree(root: str, rows: Sequence[dict[str, Any]], max_children: int = 20) -> TreeNode:
    """The downline rows of ``root`` (user_id, inviter_id, depth; by depth) as a tree; each
    node keeps its ``max_children`` biggest branches (ties by id), counting the others."""
    top = TreeNode(root, 0)
    nodes = {root: top}
    for row in rows:
        parent = nodes.get(row["inviter_id"])
        if parent is not None:
            nodes[row["user_id"]] = node = TreeNode(row["user_id"], row["depth"])
            parent.children.append(node)
    for node in sorted(nodes.values(), key=lambda n: -n.depth):  # leaves first
        node.size = 1 + sum(c.size for c in node.children)
        node.children.sort(key=lambda c: (-c.size, c.user_id))
        node.hidden = max(0, len(node.children) - max_children)
        del node.children[max_children:]
    return top
