"""Reverse-reachable (RR) sets, sampled many at a time with numpy.

An RR set of a random vertex v holds the vertices that would have activated v in one random
realisation of the diffusion (Borgs, Brautbar, Chayes & Lucier, SODA 2014): under the
independent cascade, those reaching v over live edges, each edge u→v live with probability
p(u, v); under the linear threshold model, a reverse random walk in which each vertex picks
at most one in-edge with probability its weight (Kempe, Kleinberg & Tardos, KDD 2003, the
live-edge equivalence). For any seed set S, n · P(S meets a random RR set) = σ(S).

A batch of cascades advances level by level: every frontier vertex of every cascade draws its
in-edges at once, and a dense (cascade, vertex) bitmap of at most ``_CELLS`` entries keeps
each cascade's visited set, so a level costs O(edges drawn) whatever the batch size.
Deterministic for a given numpy Generator.
"""

from __future__ import annotations

__all__ = ["MODELS", "RRSets", "rr_sets_of", "sample_rr_sets"]

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.graphs import stable_argsort
from graphsvc.analysis.influence.graph import InfluenceGraph, csr_positions

MODELS = ("ic", "lt")
_CELLS = 1 << 28  # visited-bitmap entries per batch (256 MiB, touched sparsely)


@dataclass(frozen=True)
class RRSets:
    """RR sets as CSR: set i holds ``nodes[first[i]:first[i+1]]`` (its root first)."""

    n: int
    first: np.ndarray  # int64, len count + 1
    nodes: np.ndarray  # int32

    @property
    def count(self) -> int:
        return len(self.first) - 1

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.first)

    def owners(self) -> np.ndarray:
        """The set of each entry of ``nodes``."""
        return np.repeat(np.arange(self.count, dtype=np.int64), self.sizes)

    def join(self, other: RRSets) -> RRSets:
        first = np.concatenate([self.first, other.first[1:] + self.first[-1]])
        return RRSets(self.n, first, np.concatenate([self.nodes, other.nodes]))

    def by_node(self) -> tuple[np.ndarray, np.ndarray]:
        """The inverse incidence as CSR over vertices: (first, set ids). O(size log size)."""
        order = stable_argsort(self.nodes)
        first = np.searchsorted(self.nodes[order], np.arange(self.n + 1)).astype(np.int64)
        return first, self.owners()[order]


def _ic_step(graph: InfluenceGraph, owner: np.ndarray, node: np.ndarray, rng) -> np.ndarray:
    """Keys (cascade · n + vertex) reached over the live in-edges of a level."""
    at, count = csr_positions(graph.in_first, node)
    edge = graph.in_order[at]
    live = rng.random(len(edge)) < graph.prob[edge]
    return np.repeat(owner, count)[live] * graph.n + graph.src[edge[live]]


def _lt_step(graph: InfluenceGraph, owner: np.ndarray, node: np.ndarray, rng) -> np.ndarray:
    """Reverse live-edge walk: each vertex keeps one in-edge with probability its weight."""
    first, cum = graph.in_first, graph.lt_cumulative
    pick = cum[first[node]] + rng.random(len(node))
    inside = pick < cum[first[node + 1]]
    at = np.searchsorted(cum, pick[inside], side="right") - 1
    at = np.clip(at, first[node[inside]], first[node[inside] + 1] - 1)
    return owner[inside] * graph.n + graph.src[graph.in_order[at]]


_STEPS = {"ic": _ic_step, "lt": _lt_step}


def _levels(
    graph: InfluenceGraph, model: str, owner: np.ndarray, node: np.ndarray, seen, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Every (cascade, vertex) reached backwards from the given ones, level by level."""
    owners, nodes = [owner], [node]
    while len(node):
        key = _STEPS[model](graph, owner, node, rng)
        key = np.unique(key[~seen[key]])
        seen[key] = True
        owner, node = key // graph.n, key % graph.n
        owners.append(owner)
        nodes.append(node)
    return np.concatenate(owners), np.concatenate(nodes)


def rr_sets_of(
    graph: InfluenceGraph, model: str, roots: np.ndarray, rng: np.random.Generator
) -> RRSets:
    """One RR set per root (a cascade run backwards from it), as RRSets in root order."""
    if model not in MODELS:
        raise ValueError(f"model={model!r}: expected one of {MODELS}")
    n = max(graph.n, 1)
    batch = max(1, _CELLS // n)
    seen = np.zeros(min(batch, max(len(roots), 1)) * n, dtype=bool)
    sizes, parts = [], []
    for lo in range(0, len(roots), batch):
        root = np.asarray(roots[lo : lo + batch], dtype=np.int64)
        owner = np.arange(len(root), dtype=np.int64)
        seen[owner * n + root] = True
        owner, node = _levels(graph, model, owner, root, seen, rng)
        seen[owner * n + node] = False
        order = stable_argsort(owner)  # levels in order: each set starts with its root
        sizes.append(np.bincount(owner, minlength=len(root)))
        parts.append(node[order].astype(np.int32))
    counts = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
    first = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    nodes = np.concatenate(parts) if parts else np.zeros(0, np.int32)
    return RRSets(graph.n, first, nodes)


def sample_rr_sets(
    graph: InfluenceGraph, model: str, count: int, rng: np.random.Generator
) -> RRSets:
    """``count`` RR sets of uniformly random roots. O(count · E[edges examined per set])."""
    return rr_sets_of(graph, model, rng.integers(0, graph.n, int(count)), rng)
