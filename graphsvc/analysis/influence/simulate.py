"""Monte-Carlo spread of a seed set, by CyNetDiff's compiled IC and LT simulators.

Robson, Reddy & Umrawal, "CyNetDiff: A Python Library for Accelerated Implementation of
Network Diffusion Models", PVLDB 17(12):4409 (2024). Used by the tests, the benchmark and
CELF as the reference the RR-set estimates are checked against. O(runs · edges reached).
"""

from __future__ import annotations

__all__ = ["SpreadEstimate", "diffusion_model", "simulate_spread"]

import math
from dataclasses import dataclass

import numpy as np
from cynetdiff.models import DiffusionModel, IndependentCascadeModel, LinearThresholdModel

from graphsvc.analysis.influence.graph import InfluenceGraph
from graphsvc.analysis.influence.rrsets import MODELS

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class SpreadEstimate:
    """Mean number of people activated (seeds included) over ``runs``, with a 95% interval."""

    mean: float
    low: float
    high: float
    runs: int


def diffusion_model(graph: InfluenceGraph, model: str, seed: int = 0) -> DiffusionModel:
    """The CyNetDiff model of ``graph`` (out-edge CSR; probabilities as float32)."""
    if model not in MODELS:
        raise ValueError(f"model={model!r}: expected one of {MODELS}")
    starts = graph.out_first[:-1].astype(np.uint32)
    edges = graph.dst.astype(np.uint32)
    if model == "ic":
        probs = graph.prob.astype(np.float32)
        return IndependentCascadeModel(starts, edges, activation_probs=probs, rng=seed)
    weights = graph.lt_weight.astype(np.float32)
    return LinearThresholdModel(starts, edges, influence=weights, rng=seed)


def simulate_spread(
    graph: InfluenceGraph, seeds: np.ndarray, model: str = "ic", runs: int = 10_000, seed: int = 0
) -> SpreadEstimate:
    """Expected spread of ``seeds`` by ``runs`` simulated cascades; deterministic per seed."""
    sim = diffusion_model(graph, model, seed)
    sim.set_seeds([int(v) for v in seeds])
    counts = np.empty(runs)
    for i in range(runs):
        sim.reset_model()
        sim.advance_until_completion()
        counts[i] = sim.get_num_activated_nodes()
    mean = float(counts.mean()) if runs else 0.0
    half = _Z95 * float(counts.std(ddof=1)) / math.sqrt(runs) if runs > 1 else 0.0
    return SpreadEstimate(mean, mean - half, mean + half, runs)
