"""Team reach: k KOLs whose audiences together touch the most distinct people.

A KOL's reach is themself, everyone who pays them attention (replies, mentions, buys through
them …) and their whole referral downline. Choosing the team is maximum coverage (greedy,
see ``cover``), so a KOL whose people the team already reaches adds little however large
their own audience; the overlap of every two chosen KOLs is reported beside.
"""

from __future__ import annotations

__all__ = ["TeamReach", "reach_sets", "team_reach"]

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from graphsvc.analysis.graphs import EdgeList, sorted_unique
from graphsvc.analysis.influence.cover import Constraints, greedy_cover


@dataclass(frozen=True)
class TeamReach:
    chosen: np.ndarray  # int64 vertices in choice order
    gains: np.ndarray  # people each newly reached at its choice
    reach: np.ndarray  # people each reaches alone
    overlap: np.ndarray  # int64 (k, k): people both reach; the diagonal is ``reach``

    @property
    def total(self) -> int:
        return int(self.gains.sum())


def reach_sets(
    attention: EdgeList, inviter: np.ndarray, invitee: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each vertex's reach as CSR (first, people): itself, who pays it attention, and its
    referral downline at every depth. O(m + n · depth) then a sort."""
    n = attention.n
    parent = np.full(n, -1, dtype=np.int64)
    parent[np.asarray(invitee, dtype=np.int64)] = np.asarray(inviter, dtype=np.int64)
    whose, who = [np.arange(n), attention.dst], [np.arange(n), attention.src]
    member = np.flatnonzero(parent >= 0)
    up = parent[member]
    while len(member):  # (ancestor, descendant) pairs, one level further up each round
        whose.append(up)
        who.append(member)
        keep = parent[up] >= 0
        member, up = member[keep], parent[up[keep]]
    keys, _ = sorted_unique(np.concatenate(whose) * n + np.concatenate(who))
    first = np.searchsorted(keys // max(n, 1), np.arange(n + 1)).astype(np.int64)
    return first, keys % max(n, 1)


def team_reach(
    first: np.ndarray,
    people: np.ndarray,
    k: int,
    constraints: Constraints | None = None,
) -> TeamReach:
    """Greedy team of up to ``k`` under ``constraints`` over reach sets from ``reach_sets``."""
    n = len(first) - 1
    cover = greedy_cover(first, people, n, k, constraints)
    chosen = cover.chosen
    rows = [people[first[v] : first[v + 1]] for v in chosen]
    sizes = np.array([len(r) for r in rows], dtype=np.int64)
    data = np.ones(int(sizes.sum()))
    index = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    matrix = sparse.csr_array(
        (data, index, np.concatenate([[0], np.cumsum(sizes)])), shape=(len(chosen), n)
    )
    overlap = (matrix @ matrix.T).toarray().astype(np.int64)
    return TeamReach(chosen, cover.gains, sizes, overlap)
