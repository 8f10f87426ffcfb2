"""Agreement between two rankings: top-k overlap and Spearman's rank correlation."""

from __future__ import annotations

__all__ = ["rank_agreement", "spearman", "top_overlap"]

import numpy as np


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank (as scipy.stats.rankdata). O(n log n)."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    average = (starts + ends + 1) / 2.0  # mean of the 1-based positions starts+1 .. ends
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ: Pearson correlation of the (tie-averaged) ranks. O(n log n)."""
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def top_overlap(a: np.ndarray, b: np.ndarray, k: int = 20) -> float:
    """Share of the k highest-scored items of ``a`` that are among the k highest of ``b``."""
    k = min(k, len(a))
    top_a = set(np.argsort(-np.asarray(a), kind="stable")[:k].tolist())
    top_b = set(np.argsort(-np.asarray(b), kind="stable")[:k].tolist())
    return len(top_a & top_b) / k if k else 1.0


def rank_agreement(ours: np.ndarray, theirs: np.ndarray, k: int = 20) -> dict[str, float]:
    """Top-k overlap and Spearman ρ of two score vectors over the same items."""
    return {f"top{k}_overlap": top_overlap(ours, theirs, k), "spearman": spearman(ours, theirs)}
