"""Referral hierarchy (fission, 裂变): levels, direct referrals, downline, deep chains.

The referral forest has an edge inviter → invitee; an invitee has one inviter (the store keeps
the earliest). Everything is vectorized: pointer doubling for roots and levels
(O(n log depth)), one ``np.add.at`` per level for downline sizes (O(n) in total), no recursion.
"""

from __future__ import annotations

__all__ = ["ReferralTree", "referral_tree"]

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.graphs import sorted_unique


@dataclass(frozen=True)
class ReferralTree:
    """Per vertex; -1 / 0 for users in no referral (neither invited nor inviting)."""

    parent: np.ndarray  # int64 inviter, -1 for roots and users outside any tree
    level: np.ndarray  # int64 depth below the root (root 0), -1 outside any tree
    direct_referrals: np.ndarray  # int64 invitees
    downline: np.ndarray  # int64 all descendants
    tree_depth: np.ndarray  # int64 deepest level of the user's tree, -1 outside any tree
    root: np.ndarray  # int64 root of the user's tree, -1 outside any tree
    deep_chain: np.ndarray  # int64 0/1
    cycles_broken: int  # referral cycles (bad data) cut at their smallest vertex


def _double(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pointer doubling over ``parent`` (-1: root). Returns, for every vertex, the vertex
    reached after 2^K steps (a root, or a vertex on a cycle), the number of real steps taken
    (the level, when a root was reached), and the minimum vertex on the 2^K-step walk.
    O(n log n)."""
    n = len(parent)
    idx = np.arange(n, dtype=np.int64)
    up = np.where(parent >= 0, parent, idx)
    dist = (parent >= 0).astype(np.int64)
    low = np.minimum(idx, up)
    for _ in range(max(1, int(n).bit_length() + 1)):
        dist = dist + dist[up]
        low = np.minimum(low, low[up])
        nxt = up[up]
        if np.array_equal(nxt, up):
            break
        up = nxt
    return up, dist, low


def referral_tree(
    inviter: np.ndarray, invitee: np.ndarray, n: int, *, deep_chain_levels: int = 3
) -> ReferralTree:
    """Levels, direct referrals, downline sizes and deep-chain flags of a referral forest.

    ``deep_chain`` is 1 for users more than ``deep_chain_levels`` below their root — the
    levels a multi-level commission would reach beyond the legal three — and for the root of
    every such tree (the account the chain is accountable to). Self-referrals are ignored; an
    invitee listed twice keeps its first inviter; a cycle (A invited B, B invited A) has no
    root, so it is cut at its smallest vertex, which becomes a root (counted in
    ``cycles_broken``). O(n log n + r) for r referrals.
    """
    inviter = np.asarray(inviter, dtype=np.int64)
    invitee = np.asarray(invitee, dtype=np.int64)
    keep = inviter != invitee
    inviter, invitee = inviter[keep], invitee[keep]
    parent = np.full(n, -1, dtype=np.int64)
    uniq, first = np.unique(invitee, return_index=True)
    parent[uniq] = inviter[first]

    up, dist, low = _double(parent)
    on_cycle_walk = parent[up] >= 0  # never reached a root
    cycles_broken = 0
    if on_cycle_walk.any():
        cycle_nodes, _ = sorted_unique(up[on_cycle_walk])  # every cycle vertex is such an endpoint
        cut = cycle_nodes[low[cycle_nodes] == cycle_nodes]
        parent[cut] = -1
        cycles_broken = len(cut)
        up, dist, low = _double(parent)

    direct = np.bincount(parent[parent >= 0], minlength=n).astype(np.int64)
    in_tree = (parent >= 0) | (direct > 0)
    level = np.where(in_tree, dist, -1)
    root = np.where(in_tree, up, -1)

    size = np.ones(n, dtype=np.int64)
    order = np.argsort(-level, kind="stable")
    lv = level[order]
    bounds = np.flatnonzero(np.diff(lv)) + 1
    for chunk in np.split(order, bounds):
        if len(chunk) == 0 or level[chunk[0]] <= 0:
            break
        np.add.at(size, parent[chunk], size[chunk])
    downline = np.where(in_tree, size - 1, 0)

    deepest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(deepest, root[in_tree], level[in_tree])
    tree_depth = np.where(in_tree, deepest[np.maximum(root, 0)], -1)
    deep = (level > deep_chain_levels) | ((level == 0) & (tree_depth > deep_chain_levels))
    return ReferralTree(
        parent,
        level.astype(np.int64),
        direct,
        downline.astype(np.int64),
        tree_depth.astype(np.int64),
        root.astype(np.int64),
        deep.astype(np.int64),
        int(cycles_broken),
    )
