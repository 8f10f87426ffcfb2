"""Effective leaders (group-owner KOLs, 群主) of communities and explicit groups.

The effective leader of a block (a community or an explicit group) is the member with the
highest PageRank inside the block's induced subgraph of the attention graph; the margin to the
runner-up says how clear the choice is (the README's "What the analysis computes"). Attention, not
activity: an official account that only broadcasts receives no attention and so never leads."""

from __future__ import annotations

__all__ = ["Leaders", "block_leaders", "block_pagerank", "declared_owners", "keep_incumbents"]

from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from graphsvc.analysis.graphs import EdgeList, find_sorted, sorted_unique, stable_argsort
from graphsvc.model import GraphSnapshot, MemberRole

_CANDIDATES_PER_CHUNK = 4_000_000  # bounds the temporary arrays of the membership join
_SHRINK = 0.8  # compact when the blocks still iterating hold this share of the live vertices


@dataclass(frozen=True)
class Leaders:
    """Per block: leader, runner-up, margin, size; per distinct membership (sorted by block,
    then user): the in-block PageRank and the attention weight received from co-members."""

    leader: np.ndarray  # int64 vertex, -1 for a block without members
    runner_up: np.ndarray  # int64 vertex, -1 with fewer than two candidates
    margin: np.ndarray  # float64 (leader - runner-up) / leader; 1 alone; NaN without members
    size: np.ndarray  # int64 distinct members
    member_user: np.ndarray  # int64
    member_block: np.ndarray  # int64
    member_score: np.ndarray  # float64, sums to 1 inside each non-empty block
    member_in_weight: np.ndarray  # float64


def _partition_join(
    graph: EdgeList, member_user: np.ndarray, member_block: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges inside blocks when every vertex is in at most one block. O(n + m)."""
    index = np.full(graph.n, -1, dtype=np.int64)
    index[member_user] = np.arange(len(member_user))
    a, b = index[graph.src], index[graph.dst]
    keep = (a >= 0) & (b >= 0)
    keep[keep] = member_block[a[keep]] == member_block[b[keep]]
    return a[keep], b[keep], graph.weight[keep]


def _overlap_join(
    graph: EdgeList, member_user: np.ndarray, member_block: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges inside blocks when blocks overlap: each edge u→v once per block holding both.

    Expands every edge by the memberships of u and looks (v, block) up in the sorted
    membership keys. O(C log M) for C = Σ_edges |blocks(u)| candidates, in bounded chunks.
    """
    n = graph.n
    keys = member_block * np.int64(n) + member_user  # sorted: memberships are by (block, user)
    count = np.bincount(member_user, minlength=n)
    by_user = stable_argsort(member_user)
    ptr = np.concatenate([[0], np.cumsum(count)])
    edge = np.flatnonzero((count[graph.src] > 0) & (count[graph.dst] > 0))
    reps = count[graph.src[edge]]
    bounds = np.searchsorted(np.cumsum(reps), np.arange(0, reps.sum(), _CANDIDATES_PER_CHUNK))
    bounds = np.unique(np.concatenate([bounds, [len(edge)]]))
    out_a, out_b, out_w = [], [], []
    lo = 0
    for hi in bounds.tolist():
        if hi <= lo:
            continue
        e, r = edge[lo:hi], reps[lo:hi]
        lo = hi
        which = np.repeat(np.arange(len(e)), r)
        offset = np.arange(len(which)) - np.repeat(np.cumsum(r) - r, r)
        mem_a = by_user[ptr[graph.src[e]][which] + offset]
        want = member_block[mem_a] * np.int64(n) + graph.dst[e][which]
        pos = find_sorted(keys, want)
        found = pos >= 0
        out_a.append(mem_a[found])
        out_b.append(pos[found])
        out_w.append(graph.weight[e][which][found])
    if not out_a:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_w)


def block_pagerank(
    graph: EdgeList,
    block: np.ndarray,
    n_blocks: int,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """PageRank of every block of a graph whose edges all lie inside blocks; sums to 1 per
    non-empty block.

    ``block`` gives each vertex's block. Each block is walked on its own (Brin & Page 1998):
    teleport and the mass of its dangling vertices go uniformly to its members — the
    convention of ``pagerank_scores``, so a block's scores equal ``pagerank_scores`` of the
    block alone. One vectorized power iteration for all blocks; a block stops when the L1
    change of its step is below ``tol`` (its error is then below tol · d / (1 - d), the step
    being a d-contraction in L1). Once converged blocks hold a fifth of the vertices still
    iterating, they are dropped and the iteration goes on over a compacted system of the
    rest, so well-mixed blocks cost a few dozen steps and only slowly mixing ones run long.
    ``start`` (non-negative per vertex, NaN unknown) warm-starts the iteration, e.g. with a
    previous run's scores: normalized per block, unknown vertices at the block's uniform
    share; the fixed point is the same, and a block whose start is already its solution
    stops after one step. O((n + m) · iterations), far less when most blocks converge early.
    """
    n = graph.n
    block = np.asarray(block, dtype=np.int64)
    size = np.bincount(block, minlength=n_blocks).astype(float)
    x = 1.0 / size[block] if n else np.empty(0)
    if start is not None and n:
        start = np.asarray(start, dtype=float)
        given = np.where(start >= 0, start, x)  # NaN compares False: the uniform share
        total = np.bincount(block, given, n_blocks)[block]
        x = np.where(total > 0, given / np.where(total > 0, total, 1.0), x)
    walk, out = graph.walk()
    live = stable_argsort(block)  # vertices still iterating, by block
    steps = 0
    while len(live) and steps < max_iter:
        system = _BlockWalk(walk, out, block, live, damping)
        x_live, active = x[live], np.ones(len(system.starts), dtype=bool)
        while steps < max_iter:
            y = system.step(x_live)
            np.subtract(x_live, y, out=x_live)
            active &= _segment_sums(np.abs(x_live, out=x_live), system.starts) >= tol
            x_live, steps = y, steps + 1
            if system.sizes[active].sum() <= _SHRINK * len(live):
                break
        x[live] = x_live
        live = live[np.repeat(active, system.sizes)]
    total = np.bincount(block, x, n_blocks)
    return x / np.where(total[block] > 0, total[block], 1.0) if n else x


class _BlockWalk:
    """One PageRank step of the blocks of ``live`` vertices (sorted by block; every edge
    into them comes from them), on vectors indexed like ``live``."""

    def __init__(
        self,
        walk: sparse.csr_array,
        out: np.ndarray,
        block: np.ndarray,
        live: np.ndarray,
        damping: float,
    ) -> None:
        if np.array_equal(live, np.arange(len(out))):
            self.walk = walk
        else:
            local = np.empty(len(out), dtype=walk.indices.dtype)
            local[live] = np.arange(len(live))
            rows = walk[live]
            self.walk = sparse.csr_array(
                (rows.data, local[rows.indices], rows.indptr), shape=(len(live), len(live))
            )
        blocks = block[live]
        self.starts = np.flatnonzero(np.concatenate([[True], blocks[1:] != blocks[:-1]]))
        self.sizes = np.diff(np.append(self.starts, len(live)))
        self.teleport = (1.0 - damping) / np.repeat(self.sizes, self.sizes)
        self.dangling = np.flatnonzero(out[live] == 0)
        self.dangling_starts = np.searchsorted(self.dangling, self.starts)
        self.damping = damping

    def step(self, x: np.ndarray) -> np.ndarray:
        """``x`` moved one step: the walk, the teleport, and each block's dangling mass
        spread over the block."""
        lost = _segment_sums(x[self.dangling], self.dangling_starts)
        y = self.walk @ x
        y *= self.damping
        y += self.teleport
        y += np.repeat(self.damping * lost / self.sizes, self.sizes)
        return y


def _segment_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of ``values[starts[i]:starts[i + 1]]`` (the last to the end); 0 when empty.
    ``np.add.reduceat``: several times faster than a weighted ``np.bincount``."""
    if not len(values):
        return np.zeros(len(starts))
    sums = np.add.reduceat(values, np.minimum(starts, len(values) - 1))
    sums[starts == np.append(starts[1:], len(values))] = 0.0
    return sums


def block_leaders(
    graph: EdgeList,
    member_user: np.ndarray,
    member_block: np.ndarray,
    n_blocks: int,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
    eligible: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> Leaders:
    """Leader, runner-up and margin of every block by PageRank inside its induced subgraph.

    ``member_user``/``member_block`` list memberships (duplicates ignored; blocks may
    overlap). All blocks are solved at once by ``block_pagerank`` on the disjoint union of
    their induced subgraphs, each membership a vertex. ``eligible`` (bool per vertex) restricts the
    candidates in blocks that have any eligible member (lurkers do not lead). Ties go to the
    smaller vertex index. ``start`` (per vertex, NaN unknown: e.g. a previous run's in-block
    scores) warm-starts ``block_pagerank``. O((M + E) · iterations) for M memberships and E
    intra-block edges, plus the membership join (see ``_overlap_join``).
    """
    n = graph.n
    member_user = np.asarray(member_user, dtype=np.int64)
    member_block = np.asarray(member_block, dtype=np.int64)
    keys, _ = sorted_unique(member_block * np.int64(n) + member_user)
    mu, mb = keys % max(n, 1), keys // max(n, 1)
    m_count = len(keys)
    if m_count and np.bincount(mu, minlength=n).max() > 1:
        a, b, w = _overlap_join(graph, mu, mb)
    else:
        a, b, w = _partition_join(graph, mu, mb)
    order = stable_argsort(a)  # sources in order, as EdgeList keeps them
    inner = EdgeList(m_count, a[order], b[order], w[order], directed=True)
    score = block_pagerank(
        inner,
        mb,
        n_blocks,
        damping=damping,
        tol=tol,
        max_iter=max_iter,
        start=None if start is None else np.asarray(start, dtype=float)[mu],
    )
    in_weight = np.bincount(inner.dst, inner.weight, m_count).astype(float, copy=False)

    ok = np.ones(m_count, dtype=bool) if eligible is None else np.asarray(eligible)[mu]
    has_ok = np.bincount(mb, ok, n_blocks) > 0
    candidate = ok | ~has_ok[mb]
    count = np.bincount(mb, candidate, n_blocks).astype(np.int64)
    leader = np.full(n_blocks, -1, dtype=np.int64)
    runner_up = np.full(n_blocks, -1, dtype=np.int64)
    margin = np.where(count == 1, 1.0, np.nan)
    if m_count:
        # memberships run by block, users ascending inside: the first best is the tie-break
        present = np.flatnonzero(np.bincount(mb, minlength=n_blocks))
        starts = np.searchsorted(mb, present)
        ranking = np.where(candidate, score, -1.0)  # scores are positive
        best = _first_max(ranking, starts)
        ranking[best] = -1.0
        second = _first_max(ranking, starts)
        one, two = count[present] >= 1, count[present] >= 2
        leader[present[one]] = mu[best[one]]
        runner_up[present[two]] = mu[second[two]]
        top, nxt = score[best[two]], score[second[two]]
        margin[present[two]] = (top - nxt) / top
    size = np.bincount(mb, minlength=n_blocks).astype(np.int64)
    return Leaders(leader, runner_up, margin, size, mu, mb, score, in_weight)


def _first_max(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Position of the first largest value in each segment ``values[starts[i]:starts[i+1]]``
    (all non-empty). O(k), where sorting by (segment, -value) would cost O(k log k)."""
    top = np.maximum.reduceat(values, starts)
    segment = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    position = np.where(values == top[segment], np.arange(len(values)), len(values))
    return np.minimum.reduceat(position, starts)


def declared_owners(snapshot: GraphSnapshot) -> np.ndarray:
    """Declared owner vertex of every group: ``group_owner``, else its first member whose
    membership role is owner, else -1. O(M)."""
    owner = np.asarray(snapshot.group_owner, dtype=np.int64).copy()
    is_owner = np.asarray(snapshot.membership_role) == MemberRole.OWNER.code
    if is_owner.any():
        g = np.asarray(snapshot.membership_group)[is_owner]
        u = np.asarray(snapshot.membership_user)[is_owner]
        order = np.lexsort((u, g))
        g, u = g[order], u[order]
        first = np.ones(len(g), dtype=bool)
        first[1:] = g[1:] != g[:-1]
        g, u = g[first], u[first]
        missing = owner[g] < 0
        owner[g[missing]] = u[missing]
    return owner


def keep_incumbents(
    lead: Leaders,
    incumbent: np.ndarray,
    margin: float,
    user_ids: np.ndarray,
    *,
    eligible: np.ndarray | None = None,
) -> tuple[Leaders, list[str]]:
    """Owner hysteresis: each block's ``incumbent`` (its previous owner vertex, -1 none) stays
    leader until a member's in-block PageRank beats the incumbent's by ``margin`` (0.1: 10%);
    the challenger is then the runner-up and the margin negative. An incumbent who left the
    block or is no longer ``eligible`` (a lurker now) is replaced at once. Returns the leaders
    and, per block, the reason for a change or a kept owner ("" when the owner simply leads
    again or the block is new): "owner changed: u12 overtook u7 by 31%". O(M log M)."""
    width = np.int64(max(len(user_ids), 1))
    keys = lead.member_block * width + lead.member_user
    blocks = np.flatnonzero((incumbent >= 0) & (lead.leader >= 0) & (lead.leader != incumbent))
    held_at = find_sorted(keys, blocks * width + incumbent[blocks])
    best_at = find_sorted(keys, blocks * width + lead.leader[blocks])
    leader, runner_up, margin_of = lead.leader.copy(), lead.runner_up.copy(), lead.margin.copy()
    reasons = [""] * len(lead.leader)
    for b, h, t in zip(blocks.tolist(), held_at.tolist(), best_at.tolist(), strict=True):
        old, new = str(user_ids[incumbent[b]]), str(user_ids[lead.leader[b]])
        if h < 0 or (eligible is not None and not eligible[incumbent[b]]):
            gone = "left" if h < 0 else "no longer acts"
            reasons[b] = f"owner changed: {old} {gone}, {new} leads"
            continue
        held, best = float(lead.member_score[h]), float(lead.member_score[t])
        ahead = best / held - 1.0 if held > 0 else np.inf
        if ahead >= margin:
            reasons[b] = f"owner changed: {new} overtook {old} by {ahead:.0%}"
            continue
        leader[b], runner_up[b], margin_of[b] = incumbent[b], lead.leader[b], (held - best) / held
        reasons[b] = f"{old} stays owner: {new} is {ahead:.0%} ahead, short of {margin:.0%}"
    return replace(lead, leader=leader, runner_up=runner_up, margin=margin_of), reasons
