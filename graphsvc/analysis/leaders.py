"""Effective leaders (group-owner KOLs, 群主) of communities and explicit groups.

The effective leader of a block (a community or an explicit group) is the member with the
highest PageRank inside the block's induced subgraph of the attention graph; the margin to the
runner-up says how clear the choice is (DESIGN §4). Attention, not activity: an official
account that only broadcasts receives no attention and so never leads.
"""

from __future__ import annotations

__all__ = ["Leaders", "block_leaders", "declared_owners"]

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.centrality import pagerank_scores
from graphsvc.analysis.graphs import EdgeList, find_sorted, sorted_unique
from graphsvc.model import GraphSnapshot, MemberRole

_CANDIDATES_PER_CHUNK = 4_000_000  # bounds the temporary arrays of the membership join


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
    by_user = np.argsort(member_user, kind="stable")
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
) -> Leaders:
    """Leader, runner-up and margin of every block by PageRank inside its induced subgraph.

    ``member_user``/``member_block`` list memberships (duplicates ignored; blocks may
    overlap). All blocks are solved by one PageRank (Brin & Page 1998) on the disjoint union
    of their induced subgraphs, each membership a vertex: teleport and dangling mass are
    uniform, so each block's part of the solution is proportional to its own PageRank, and
    normalizing per block gives it exactly. ``eligible`` (bool per vertex) restricts the
    candidates in blocks that have any eligible member (lurkers do not lead). Ties go to the
    smaller vertex index. O((M + E) · iterations) for M memberships and E intra-block edges,
    plus the membership join (see ``_overlap_join``).
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
    order = np.argsort(a, kind="stable")  # memory locality for the power iteration
    inner = EdgeList(m_count, a[order], b[order], w[order], directed=True)
    score = pagerank_scores(inner, damping=damping, tol=tol, max_iter=max_iter)
    total = np.bincount(mb, score, n_blocks)
    score = score / np.where(total[mb] > 0, total[mb], 1.0) if m_count else score
    in_weight = np.bincount(inner.dst, inner.weight, m_count).astype(float, copy=False)

    ok = np.ones(m_count, dtype=bool) if eligible is None else np.asarray(eligible)[mu]
    has_ok = np.bincount(mb, ok, n_blocks) > 0
    cand = np.flatnonzero(ok | ~has_ok[mb])
    ranked = cand[np.lexsort((mu[cand], -score[cand], mb[cand]))]
    count = np.bincount(mb[ranked], minlength=n_blocks)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    leader = np.full(n_blocks, -1, dtype=np.int64)
    runner_up = np.full(n_blocks, -1, dtype=np.int64)
    margin = np.where(count == 1, 1.0, np.nan)
    one, two = np.flatnonzero(count >= 1), np.flatnonzero(count >= 2)
    leader[one] = mu[ranked[start[one]]]
    runner_up[two] = mu[ranked[start[two] + 1]]
    top, nxt = score[ranked[start[two]]], score[ranked[start[two] + 1]]
    margin[two] = (top - nxt) / top
    size = np.bincount(mb, minlength=n_blocks).astype(np.int64)
    return Leaders(leader, runner_up, margin, size, mu, mb, score, in_weight)


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
