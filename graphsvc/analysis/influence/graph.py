"""The influence graph: who influences whom, with what probability, as CSR arrays.

Influence flows against attention: when a pays attention to b (a replies to b, a was invited
by b), b influences a. So the influence graph is the attention graph reversed, and the edge
b → a gets a probability from a's attention (the README's "What the analysis computes"; Kempe,
Kleinberg & Tardos, KDD 2003)."""

from __future__ import annotations

__all__ = ["PROBABILITIES", "InfluenceGraph", "csr_positions", "influence_graph"]

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from graphsvc.analysis.graphs import EdgeList, stable_argsort

# "wc": weighted cascade, p(b→a) = 1 / the number of people influencing a (Kempe et al. 2003);
# "weighted": a's attention to b as a share of all a's attention; "uniform": one p everywhere.
PROBABILITIES = ("wc", "weighted", "uniform")


def csr_positions(first: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of every entry of CSR ``rows`` (``first[r]:first[r+1]``), and how many each
    row has. O(entries), one vectorized gather."""
    count = first[rows + 1] - first[rows]
    start = np.repeat(first[rows] - np.cumsum(count) + count, count)
    return start + np.arange(int(count.sum())), count


@dataclass(frozen=True)
class InfluenceGraph:
    """Edges influencer → influenced with a probability each, sorted by (src, dst).

    ``prob`` is the independent-cascade activation probability; ``lt_weight`` the linear
    threshold weight: the same, scaled down per target where its weights sum above 1.
    """

    n: int
    src: np.ndarray  # int64
    dst: np.ndarray  # int64
    prob: np.ndarray  # float64 in (0, 1]

    @property
    def m(self) -> int:
        return len(self.src)

    @cached_property
    def lt_weight(self) -> np.ndarray:
        total = np.bincount(self.dst, self.prob, self.n)
        return self.prob / np.maximum(total, 1.0)[self.dst]

    @cached_property
    def out_first(self) -> np.ndarray:
        """CSR row starts of the out-edges (edges are sorted by src)."""
        return np.searchsorted(self.src, np.arange(self.n + 1)).astype(np.int64)

    @cached_property
    def in_order(self) -> np.ndarray:
        """Edge positions sorted by (dst, src): the in-edges of each vertex together."""
        return stable_argsort(self.dst)

    @cached_property
    def in_first(self) -> np.ndarray:
        """CSR row starts of the in-edges in ``in_order``."""
        return np.searchsorted(self.dst[self.in_order], np.arange(self.n + 1)).astype(np.int64)

    @cached_property
    def lt_cumulative(self) -> np.ndarray:
        """Running sum of ``lt_weight`` in ``in_order``, starting at 0 (len m + 1)."""
        return np.concatenate([[0.0], np.cumsum(self.lt_weight[self.in_order])])

    def reversed_attention(self) -> EdgeList:
        """The attention graph this came from, unweighted (influenced → influencer)."""
        return EdgeList.build(self.n, self.dst, self.src, directed=True)


def influence_graph(
    attention: EdgeList, probabilities: str = "wc", p: float = 0.1
) -> InfluenceGraph:
    """The influence graph of a directed attention graph. O(m log m).

    ``probabilities``: ``wc`` (default) weighted cascade, p(b→a) = 1 / in-degree of a in the
    influence graph (Kempe, Kleinberg & Tardos, KDD 2003; Chen, Wang & Wang, KDD 2010);
    ``weighted``: a's attention weight to b over a's total attention, so the people a pays
    most attention to move a most; ``uniform``: ``p`` on every edge.
    """
    if probabilities not in PROBABILITIES:
        raise ValueError(f"probabilities={probabilities!r}: expected one of {PROBABILITIES}")
    if not 0 < p <= 1:
        raise ValueError(f"p={p}: expected a probability in (0, 1]")
    reversed_ = EdgeList.build(attention.n, attention.dst, attention.src, attention.weight)
    follower = reversed_.dst  # the influenced one: the one who paid attention
    if probabilities == "wc":
        prob = 1.0 / np.bincount(follower, minlength=attention.n)[follower]
    elif probabilities == "weighted":
        prob = reversed_.weight / np.bincount(follower, reversed_.weight, attention.n)[follower]
    else:
        prob = np.full(reversed_.m, float(p))
    return InfluenceGraph(attention.n, reversed_.src, reversed_.dst, np.minimum(prob, 1.0))
