"""Greedy maximum coverage under a marketer's constraints: the selection step shared by IMM
(vertices cover RR sets) and team reach (KOLs cover the people they reach).

Greedy gives 1 − 1/e of the best cover of k sets (Nemhauser, Wolsey & Fisher, Math. Prog.
14:265, 1978); with at most m per community (a partition matroid) it gives 1/2 (Fisher,
Nemhauser & Wolsey 1978); with a budget it picks by gain per cost and keeps the better of that
and the best single affordable choice, (1 − 1/e)/2 (Khuller, Moss & Naor, IPL 70:39, 1999).
"""

from __future__ import annotations

__all__ = ["Constraints", "Cover", "greedy_cover"]

from dataclasses import dataclass, field

import numpy as np

from graphsvc.analysis.influence.graph import csr_positions


@dataclass(frozen=True)
class Constraints:
    """Who may be chosen. Vertex indices; ``community`` is a label per vertex (-1: none)."""

    exclude: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    include: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # chosen first
    community: np.ndarray | None = None
    per_community: int | None = None
    cost: np.ndarray | None = None  # price per vertex (e.g. by tier)
    budget: float | None = None

    def check(self, n: int, k: int) -> None:
        """ValueError naming the first constraint that cannot hold."""
        include, exclude = np.asarray(self.include), np.asarray(self.exclude)
        if len(include) > k:
            raise ValueError(f"{len(include)} people must be included but k is {k}")
        if len(np.intersect1d(include, exclude)):
            raise ValueError("a person is both included and excluded")
        if len(np.unique(include)) != len(include):
            raise ValueError("a person is included twice")
        for name, ids in (("include", include), ("exclude", exclude)):
            if len(ids) and (ids.min() < 0 or ids.max() >= n):
                raise ValueError(f"{name} names a vertex outside 0..{n - 1}")
        if self.per_community is not None and self.community is not None and len(include):
            labels, counts = np.unique(self.community[include], return_counts=True)
            over = (labels >= 0) & (counts > self.per_community)
            if over.any():
                raise ValueError(
                    f"the included people put {int(counts[over].max())} in one community; "
                    f"at most {self.per_community} allowed"
                )
        if self.budget is not None:
            if self.cost is None:
                raise ValueError("a budget needs a cost per person")
            if float(np.sum(self.cost[include])) > self.budget:
                raise ValueError(
                    f"the included people cost {float(np.sum(self.cost[include])):g}, "
                    f"over the budget {self.budget:g}"
                )


@dataclass(frozen=True)
class Cover:
    """Chosen vertices in choice order, each with the weight it newly covered."""

    chosen: np.ndarray  # int64
    gains: np.ndarray  # float64

    @property
    def covered(self) -> float:
        return float(self.gains.sum())


class _Greedy:
    """State of one greedy pass: uncovered items, each candidate's current gain."""

    def __init__(self, sets, items, weight) -> None:
        self.sets, self.items, self.weight = sets, items, weight
        set_first, set_items = sets
        item_first, _item_sets = items
        n_items = len(item_first) - 1
        per_entry = weight[set_items] if len(set_items) else np.zeros(0)
        owner = np.repeat(np.arange(len(set_first) - 1), np.diff(set_first))
        self.gain = np.bincount(owner, per_entry, len(set_first) - 1).astype(float)
        self.covered = np.zeros(n_items, dtype=bool)

    def take(self, v: int) -> float:
        """Choose ``v``: cover its items, lower the gains of the others covering them."""
        set_first, set_items = self.sets
        item_first, item_sets = self.items
        fresh = set_items[set_first[v] : set_first[v + 1]]
        fresh = fresh[~self.covered[fresh]]
        self.covered[fresh] = True
        at, count = csr_positions(item_first, fresh)
        loss = np.repeat(self.weight[fresh], count)
        self.gain -= np.bincount(item_sets[at], loss, len(self.gain))
        return float(self.weight[fresh].sum())


def _transpose(first: np.ndarray, members: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    owner = np.repeat(np.arange(len(first) - 1, dtype=np.int64), np.diff(first))
    order = np.argsort(members, kind="stable")
    return np.searchsorted(members[order], np.arange(n + 1)).astype(np.int64), owner[order]


def greedy_cover(
    first: np.ndarray,
    members: np.ndarray,
    n_items: int,
    k: int,
    constraints: Constraints | None = None,
    weight: np.ndarray | None = None,
) -> Cover:
    """Greedy max coverage: candidate v covers items ``members[first[v]:first[v+1]]``.

    Up to ``k`` candidates (fewer if the constraints leave none): the includes first, in
    their order, then by largest weighted gain (per cost under a budget), ties by lowest
    index. O(k · candidates + entries): each entry lowers a gain at most once.
    """
    constraints = constraints or Constraints()
    n = len(first) - 1
    constraints.check(n, k)
    weight = np.ones(n_items) if weight is None else np.asarray(weight, dtype=float)
    first, members = np.asarray(first, np.int64), np.asarray(members, np.int64)
    sets, items = (first, members), _transpose(first, members, n_items)
    chosen, gains = _run(_Greedy(sets, items, weight), n, k, constraints, by_ratio=True)
    if constraints.budget is not None:  # Khuller et al.: also try the best single choice
        single = _run(_Greedy(sets, items, weight), n, k, constraints, by_ratio=False, one=True)
        if sum(single[1]) > sum(gains):
            chosen, gains = single
    return Cover(np.array(chosen, dtype=np.int64), np.array(gains, dtype=float))


def _run(
    state: _Greedy, n: int, k: int, c: Constraints, *, by_ratio: bool, one: bool = False
) -> tuple[list[int], list[float]]:
    allowed = np.ones(n, dtype=bool)
    allowed[np.asarray(c.exclude, dtype=np.int64)] = False
    cost = np.ones(n) if c.cost is None else np.asarray(c.cost, dtype=float)
    left = np.inf if c.budget is None else float(c.budget)
    per: dict[int, int] = {}
    chosen: list[int] = []
    gains: list[float] = []
    queue = [int(v) for v in c.include]
    limit = len(queue) + 1 if one else k
    while len(chosen) < min(k, limit):
        if queue:
            v = queue.pop(0)
        else:
            open_ = allowed & (cost <= left)
            if not open_.any():
                break
            score = state.gain / np.maximum(cost, 1e-300) if by_ratio and c.budget else state.gain
            v = int(np.argmax(np.where(open_, score, -np.inf)))
        gains.append(state.take(v))
        chosen.append(v)
        allowed[v] = False
        left -= cost[v]
        if c.per_community is not None and c.community is not None and c.community[v] >= 0:
            label = int(c.community[v])
            per[label] = per.get(label, 0) + 1
            if per[label] >= c.per_community:
                allowed[c.community == label] = False
    return chosen, gains
