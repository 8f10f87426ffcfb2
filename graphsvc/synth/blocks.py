"""Planted partitions: stochastic block models (Holland, Laskey & Leinhardt 1983) whose blocks
the community detection must find, for tests and benchmarks."""

from __future__ import annotations

import numpy as np


def block_model_pairs(
    block: np.ndarray,
    p_in: float,
    p_out: float,
    rng: np.random.Generator,
    *,
    parent: np.ndarray | None = None,
    p_parent: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Undirected edges (i < j) of a stochastic block model over vertices labelled ``block``:
    each pair is joined with ``p_in`` inside a block, ``p_parent`` between blocks of the same
    ``parent`` (a two-level hierarchy), ``p_out`` otherwise. One uniform draw per pair."""
    a, b = np.triu_indices(len(block), 1)
    p = np.where(block[a] == block[b], p_in, p_out)
    if parent is not None:
        p = np.where((block[a] != block[b]) & (parent[a] == parent[b]), p_parent, p)
    keep = rng.random(len(a)) < p
    return a[keep], b[keep]
