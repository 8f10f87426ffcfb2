"""CELF: lazy greedy by Monte-Carlo simulation, the reference IMM is checked against.

Leskovec, Krause, Guestrin, Faloutsos, VanBriesen & Glance, "Cost-effective Outbreak
Detection in Networks", KDD 2007: marginal gains only fall as the seed set grows
(submodularity), so a candidate whose stale gain still tops the queue once re-evaluated is the
greedy choice. (1 − 1/e) of the optimum up to the simulation error (Kempe et al. 2003).
O(n · runs) simulations for the first pass, usually few more per seed: small graphs only.
"""

from __future__ import annotations

__all__ = ["CelfResult", "celf"]

import heapq
from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.influence.graph import InfluenceGraph
from graphsvc.analysis.influence.simulate import diffusion_model


@dataclass(frozen=True)
class CelfResult:
    seeds: np.ndarray  # int64 vertices in choice order
    gains: np.ndarray  # simulated marginal spread of each at its choice
    evaluations: int  # marginal gains simulated (runs each)


def celf(
    graph: InfluenceGraph, k: int, *, model: str = "ic", runs: int = 1000, seed: int = 0
) -> CelfResult:
    """The k seeds lazy greedy chooses, each gain the mean of ``runs`` simulations (run
    on common random numbers with the current seeds, as CyNetDiff computes gains)."""
    sim = diffusion_model(graph, model, seed)
    chosen: list[int] = []
    gains: list[float] = []
    heap = []
    for v in range(graph.n):
        heap.append((-sim.compute_marginal_gains([], [v], runs)[1], v, 0))
    heapq.heapify(heap)
    evaluations = graph.n
    while heap and len(chosen) < k:
        neg, v, at = heapq.heappop(heap)
        if at == len(chosen):
            chosen.append(v)
            gains.append(-neg)
            continue
        gain = sim.compute_marginal_gains(chosen, [v], runs)[1]
        evaluations += 1
        heapq.heappush(heap, (-gain, v, len(chosen)))
    return CelfResult(np.array(chosen, dtype=np.int64), np.array(gains), evaluations)
