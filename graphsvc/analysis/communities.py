"""Communities: Leiden modularity on the symmetrized attention graph, canonical ids, and one
further level for communities larger than Dunbar's number.
"""

from __future__ import annotations

__all__ = [
    "AUTO_RESOLUTIONS",
    "Communities",
    "choose_resolution",
    "detect_communities",
    "igraph_seed",
    "leiden_membership",
    "modularity",
    "rank_blocks",
]

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import igraph as ig
import numpy as np

from graphsvc.analysis.graphs import EdgeList, sum_by_key
from graphsvc.analysis.lineage import community_id

_RNG_LOCK = threading.Lock()


@contextmanager
def igraph_seed(seed: int) -> Iterator[None]:
    """Seed igraph's (process-global) random number generator for the ``with`` block.

    igraph draws from one global generator; this installs ``random.Random(seed)`` and puts
    back Python's ``random`` module (igraph's default) afterwards, under a lock so that two
    threads never interleave their draws. igraph offers no getter, so a generator installed
    by other code is replaced by the default on exit.
    """
    with _RNG_LOCK:
        ig.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            ig.set_random_number_generator(random)


def leiden_membership(
    graph: ig.Graph,
    *,
    resolution: float = 1.0,
    seed: int = 0,
    iterations: int = 2,
    node_weights: np.ndarray | None = None,
    initial: np.ndarray | None = None,
    objective: str | None = None,
) -> tuple[np.ndarray, float]:
    """Leiden partition of an undirected weighted graph (edge attribute ``weight``).

    Traag, Waltman & van Eck, Sci. Rep. 9:5233 (2019). ``objective`` is ``"modularity"``
    (Newman & Girvan 2004) with resolution γ (Reichardt & Bornholdt 2006) or ``"CPM"``;
    default: modularity without ``node_weights``, CPM with them. Modularity with
    ``node_weights`` uses them in place of the vertex strengths (a collapsed graph whose
    vertices stand for groups of vertices of a larger one). ``iterations`` passes (-1: until a
    pass leaves the partition unchanged). ``initial`` (a label per vertex) warm-starts from a
    known partition. Each pass is about O(m) in practice. Returns the membership and the
    optimised quality. Deterministic for a given ``seed``, vertex order and start.
    """
    weights = "weight" if "weight" in graph.es.attributes() else None
    start = None if initial is None else np.asarray(initial, dtype=np.int64).tolist()
    objective = objective or ("modularity" if node_weights is None else "CPM")
    with igraph_seed(seed):
        clustering = graph.community_leiden(
            objective_function=objective,
            weights=weights,
            resolution=resolution,
            node_weights=None if node_weights is None else np.asarray(node_weights).tolist(),
            n_iterations=iterations,
            initial_membership=start,
        )
    return np.asarray(clustering.membership, dtype=np.int64), float(clustering.quality)


AUTO_RESOLUTIONS = (0.25, 0.5, 1.0, 2.0, 4.0)


def choose_resolution(
    graph: ig.Graph,
    member_user: np.ndarray,
    member_group: np.ndarray,
    *,
    candidates: tuple[float, ...] = AUTO_RESOLUTIONS,
    seed: int = 0,
    iterations: int = 2,
) -> tuple[float, dict[float, float]]:
    """The resolution whose Leiden communities agree best with the explicit groups.

    Agreement is the normalized mutual information (Danon et al., J. Stat. Mech. P09008,
    2005) between a membership's group and its user's community, over all memberships.
    Returns the best candidate (ties: the one closest to 1) and every candidate's NMI. Costs
    one Leiden run per candidate.
    """
    member_user = np.asarray(member_user, dtype=np.int64)
    groups = np.asarray(member_group, dtype=np.int64).tolist()
    scores = {}
    for resolution in candidates:
        module, _ = leiden_membership(
            graph, resolution=resolution, seed=seed, iterations=iterations
        )
        labels = module[member_user].tolist()
        scores[resolution] = float(ig.compare_communities(labels, groups, method="nmi"))
    best = max(candidates, key=lambda r: (scores[r], -abs(np.log(r))))
    return best, scores


def rank_blocks(
    block: np.ndarray, min_size: int, parent: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Renumber blocks canonically: by size descending, ties by smallest member vertex.

    ``block`` holds any non-negative labels (-1: none). Blocks smaller than ``min_size`` are
    dropped (their vertices get -1). With ``parent`` (one per vertex, constant on a block),
    numbering restarts at 0 inside each parent. Returns (label per vertex, parent per block,
    number within the parent per block), blocks in canonical order. O(n log n).
    """
    n = len(block)
    has = block >= 0
    values, first, inverse, sizes = np.unique(
        block[has], return_index=True, return_inverse=True, return_counts=True
    )
    first = np.flatnonzero(has)[first] if len(values) else first
    par = np.zeros(len(values), np.int64) if parent is None else parent[first]
    order = np.lexsort((first, -sizes, par))
    order = order[sizes[order] >= min_size]
    rank = np.full(len(values), -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    label = np.full(n, -1, dtype=np.int64)
    label[has] = rank[inverse]
    par_sorted = par[order]
    starts = np.searchsorted(par_sorted, par_sorted, side="left")
    return label, par_sorted, np.arange(len(order)) - starts


@dataclass(frozen=True)
class Communities:
    """Two-level community structure. Indices: communities 0..n_top-1 (0 is the largest),
    sub-communities 0..n_sub-1; ``leaf`` joins both into one index space (subs after tops)."""

    module: np.ndarray  # int64 raw Leiden module of every vertex (isolates: singletons)
    top: np.ndarray  # int64 community per vertex, -1 unassigned
    sub: np.ndarray  # int64 sub-community per vertex, -1 none
    sub_parent: np.ndarray  # int64 parent community of each sub-community
    top_ids: list[str]
    sub_ids: list[str]
    modularity: float  # of the raw Leiden partition, resolution 1
    quality: float  # Leiden's own objective value at the configured resolution

    @property
    def n_top(self) -> int:
        return len(self.top_ids)

    @property
    def n_sub(self) -> int:
        return len(self.sub_ids)

    @property
    def ids(self) -> list[str]:
        return self.top_ids + self.sub_ids

    @property
    def leaf(self) -> np.ndarray:
        """The finest community of each vertex in the joint index space, -1 unassigned."""
        return np.where(self.sub >= 0, self.n_top + self.sub, self.top)


@dataclass(frozen=True)
class _Collapsed:
    """A graph with groups of vertices merged into one node each (edges inside a group
    dropped, parallel edges summed): ``node`` maps every vertex to its node."""

    node: np.ndarray  # int64 per vertex
    edges: EdgeList  # undirected, between distinct nodes
    graph: ig.Graph  # ``edges.to_igraph()``

    def per_node(self, label: np.ndarray) -> np.ndarray:
        """A per-vertex label that is constant on every node, per node."""
        out = np.empty(self.edges.n, dtype=np.asarray(label).dtype)
        out[self.node] = label
        return out

    def total(self, values: np.ndarray) -> np.ndarray:
        """Per node, the sum of a per-vertex quantity."""
        return np.bincount(self.node, values, self.edges.n)


def _collapse(edges: EdgeList, fixed: np.ndarray) -> _Collapsed:
    """Vertices sharing a label ``fixed >= 0`` become one node; the others (-1) stay alone.
    O(n + m log m)."""
    fixed = np.asarray(fixed, dtype=np.int64)
    free = fixed < 0
    used = np.bincount(fixed[~free], minlength=1) > 0
    renumber = np.cumsum(used) - 1
    node = np.empty(len(fixed), dtype=np.int64)
    node[~free] = renumber[fixed[~free]]
    n_fixed = int(used.sum())
    node[free] = n_fixed + np.arange(int(free.sum()))
    n_nodes = n_fixed + int(free.sum())
    small = EdgeList.build(n_nodes, node[edges.src], node[edges.dst], edges.weight, directed=False)
    return _Collapsed(node, small, small.to_igraph())


def _split(
    graph: ig.Graph | None,
    edges: EdgeList,
    top: np.ndarray,
    large: np.ndarray,
    *,
    resolution: float,
    seed: int,
    iterations: int,
    initial: np.ndarray | None = None,
    collapsed: _Collapsed | None = None,
) -> np.ndarray:
    """Leiden inside every large community at once; returns a sub-label per vertex (-1: none).
    ``initial`` (a label per vertex) warm-starts it; with ``collapsed`` (each node inside one
    community) it runs on the collapsed graph, every node moving as one, and ``graph`` (the
    igraph Graph of ``edges``) is not used.

    Modularity of each community on its own equals CPM on their union with node weight
    k_i / sqrt(2 m_c) (k_i: strength inside the community c, m_c: its internal weight), since
    the union has no edges between communities; so one Leiden call splits them all. O(m).
    """
    n = edges.n
    ctop = top[edges.src]
    inside = (ctop >= 0) & (ctop == top[edges.dst]) & large[np.maximum(ctop, 0)]
    if not inside.any():
        return np.full(n, -1, dtype=np.int64)
    eids = np.flatnonzero(inside)
    w = edges.weight[eids]
    strength = np.bincount(edges.src[eids], w, n) + np.bincount(edges.dst[eids], w, n)
    total = np.bincount(ctop[eids], 2.0 * w, len(large))  # 2 m_c
    node_comm = np.maximum(top, 0)
    scale = np.where(total[node_comm] > 0, np.sqrt(np.maximum(total[node_comm], 1e-300)), 1.0)
    node_weights = np.where(top >= 0, strength / scale, 0.0)
    if collapsed is None:
        sub_graph = graph.subgraph_edges(eids.tolist(), delete_vertices=False)
        start = initial
    else:
        # Edges inside a node are a constant of CPM's quality: dropping them changes nothing.
        small, ntop = collapsed.edges, collapsed.per_node(top)
        cs = ntop[small.src]
        keep = (cs >= 0) & (cs == ntop[small.dst]) & large[np.maximum(cs, 0)]
        sub_graph = EdgeList(small.n, small.src[keep], small.dst[keep], small.weight[keep], False)
        sub_graph = sub_graph.to_igraph()
        node_weights = collapsed.total(node_weights)
        start = None if initial is None else collapsed.per_node(initial)
    membership, _ = leiden_membership(
        sub_graph,
        resolution=resolution,
        seed=seed,
        iterations=iterations,
        node_weights=node_weights,
        initial=start,
    )
    if collapsed is not None:
        membership = membership[collapsed.node]
    in_large = (top >= 0) & large[node_comm]
    # A key per (community, Leiden label): a split never crosses communities.
    key = np.where(in_large, top * np.int64(n) + membership, -1)
    return key


def _cores_apart(edges: EdgeList, module: np.ndarray, core: np.ndarray) -> np.ndarray:
    """``module`` with no two cores in one community: a community that merged several cores
    (``core`` ≥ 0: the unchanged users of one previous community; -1 free) is split back into
    one community per core, and each of its free users joins the core they are tied to most
    strongly (the largest core when tied to none). A warm start thus never merges previous
    communities: only users whose attention changed move. O(n + m log m)."""
    n = len(module)
    has = core >= 0
    key, inverse = np.unique(module[has] * np.int64(n) + core[has], return_inverse=True)
    cores_in = np.bincount(key // n, minlength=int(module.max()) + 1 if n else 0)
    merged = cores_in[module] > 1
    if not merged.any():
        return module
    out = module.copy()
    out[has & merged] = int(module.max()) + 1 + inverse[merged[has]]
    size = np.bincount(inverse, minlength=len(key))
    largest = np.full(len(cores_in), -1, dtype=np.int64)  # per community: its largest core
    order = np.lexsort((-size, key // n))
    first = order[np.concatenate([[True], np.diff((key // n)[order]) != 0])]
    largest[key[first] // n] = int(module.max()) + 1 + first
    free = merged & ~has
    out[free] = largest[module[free]]
    a = np.concatenate([edges.src, edges.dst])
    b = np.concatenate([edges.dst, edges.src])
    w = np.concatenate([edges.weight, edges.weight])
    tie = free[a] & has[b] & merged[b] & (module[a] == module[b])
    if tie.any():
        pairs, weight = sum_by_key(a[tie] * np.int64(n) + out[b[tie]], w[tie])
        order = np.lexsort((-weight, pairs // n))
        best = order[np.concatenate([[True], np.diff((pairs // n)[order]) != 0])]
        out[pairs[best] // n] = pairs[best] % n
    return out


def modularity(edges: EdgeList, membership: np.ndarray, resolution: float = 1.0) -> float:
    """Newman's modularity of a partition of an undirected weighted graph, with the
    resolution γ of Reichardt & Bornholdt (Phys. Rev. E 74:016110, 2006):
    Q = Σ_c [w_c / W − γ (s_c / 2W)²] for w_c the weight inside community c, s_c its summed
    strength and W the total weight (Newman, PNAS 103:8577, 2006). Equals igraph's
    ``Graph.modularity``, without building an igraph Graph. O(n + m)."""
    membership = np.asarray(membership, dtype=np.int64)
    total = float(edges.weight.sum())
    if total <= 0:
        return float("nan")
    label = membership[edges.src]
    inside = label == membership[edges.dst]
    k = int(membership.max()) + 1
    within = np.bincount(label[inside], edges.weight[inside], k)
    strength = np.bincount(membership, edges.out_strength(), k)
    return float(within.sum() / total - resolution * ((strength / (2 * total)) ** 2).sum())


def detect_communities(
    graph: ig.Graph | None,
    edges: EdgeList,
    *,
    resolution: float = 1.0,
    seed: int = 0,
    iterations: int = 2,
    min_size: int = 3,
    max_size: int = 150,
    split_large: bool = True,
    split_iterations: int = 1,
    initial: np.ndarray | None = None,
    initial_sub: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    fixed_sub: np.ndarray | None = None,
    module: np.ndarray | None = None,
) -> Communities:
    """Communities of the symmetrized attention graph, numbered canonically.

    ``graph`` is ``edges.to_igraph()`` (undirected, weighted), built here if None and
    needed (a screened refresh needs none). Leiden modularity (Traag et al.
    2019) on the whole graph; vertices without edges and communities under ``min_size`` stay
    unassigned. With ``split_large``, every community over ``max_size`` (Dunbar's number,
    Dunbar 1992) is split once more by modularity inside it; a split that yields fewer than two
    sub-communities of ``min_size`` is dropped, and members of too-small parts keep only the
    parent; ``split_iterations`` Leiden passes (one pass converges on blocks this small: on a
    1M-user planted graph a second pass changed the sub-community NMI by < 0.001).
    Ids: "c-0001"… by size descending, ties by smallest member vertex; sub-communities
    "c-0001.01"…, numbered the same way inside their parent. ``initial`` (a label per vertex)
    warm-starts the top-level Leiden, ``initial_sub`` the split (both constant on every
    ``fixed`` group).

    ``fixed`` (a label per vertex, -1 free) screens a warm start after a small delta:
    vertices sharing a label (unchanged users of one previous community) move as one node, so
    Leiden runs on the collapsed graph and only the free (changed or new) users move alone —
    the screening of Zarayeneh & Kalyanaraman, IEEE Trans. Netw. Sci. Eng. 8:1614 (2021), on
    a collapsed graph as in Louvain's aggregation (Blondel et al., J. Stat. Mech. P10008,
    2008). Exact: modularity and CPM of a partition that keeps each group whole equal those
    of the collapsed partition up to a constant (node weight = summed strength). The
    reported quality is then the full graph's modularity at ``resolution``. ``fixed_sub``
    (finer groups, each inside one ``fixed`` group; default ``fixed``) screens the split the
    same way. O(n + m log m) to collapse, then O(m') per pass on the m' edges between nodes.

    ``module`` (a partition found elsewhere, e.g. by ``consensus_membership``) replaces the
    top-level Leiden run.
    """
    n = edges.n
    collapsed = None if fixed is None else _collapse(edges, fixed)
    split_collapsed = collapsed if fixed_sub is None else _collapse(edges, fixed_sub)
    quality = None  # Leiden's own objective, when it ran on the whole graph
    if module is None and collapsed is None:
        graph = edges.to_igraph() if graph is None else graph
        module, quality = leiden_membership(
            graph, resolution=resolution, seed=seed, iterations=iterations, initial=initial
        )
    elif module is None:
        strength = edges.out_strength()  # undirected: both ends
        module, _ = leiden_membership(
            collapsed.graph,
            resolution=resolution,
            seed=seed,
            iterations=iterations,
            node_weights=collapsed.total(strength),
            initial=None if initial is None else collapsed.per_node(initial),
            objective="modularity",
        )
        module = _cores_apart(edges, module[collapsed.node], np.asarray(fixed, dtype=np.int64))
    module = np.asarray(module, dtype=np.int64)
    degree = np.bincount(edges.src, minlength=n) + np.bincount(edges.dst, minlength=n)
    quality_at_1 = modularity(edges, module) if edges.m else 0.0
    if quality is None:
        quality = quality_at_1
        if resolution != 1.0 and edges.m:
            quality = modularity(edges, module, resolution)
    top, _, _ = rank_blocks(np.where(degree > 0, module, -1), min_size)
    n_top = int(top.max()) + 1 if n else 0
    top_ids = [community_id(i + 1) for i in range(n_top)]

    sub = np.full(n, -1, dtype=np.int64)
    sub_parent = np.empty(0, dtype=np.int64)
    sub_number = np.empty(0, dtype=np.int64)
    sizes = np.bincount(top[top >= 0], minlength=n_top)
    large = sizes > max_size
    if split_large and large.any():
        key = _split(
            graph,
            edges,
            top,
            large,
            resolution=resolution,
            seed=seed,
            iterations=split_iterations,
            initial=initial_sub,
            collapsed=split_collapsed,
        )
        sub_all, sub_parent, sub_number = rank_blocks(key, min_size, parent=np.maximum(top, 0))
        # keep only parents split into at least two sub-communities
        keep = np.bincount(sub_parent, minlength=n_top)[sub_parent] >= 2
        if keep.any():
            new_index = np.where(keep, np.cumsum(keep) - 1, -1)
            sub = np.where(sub_all >= 0, new_index[np.maximum(sub_all, 0)], -1)
            sub_parent, sub_number = sub_parent[keep], sub_number[keep]
        else:
            sub_parent, sub_number = sub_parent[:0], sub_number[:0]
    pairs = zip(sub_parent.tolist(), sub_number.tolist(), strict=True)
    sub_ids = [community_id(j + 1, top_ids[p]) for p, j in pairs]
    return Communities(module, top, sub, sub_parent, top_ids, sub_ids, quality_at_1, quality)
