"""Influence maximization by IMM: which k people to seed so a campaign reaches the most.

Tang, Xiao & Shi, "Influence Maximization in Near-Linear Time: A Martingale Approach", SIGMOD
2015: sample RR sets until a lower bound LB of the optimum spread is established (sampling
phase), then θ = λ* / LB fresh RR sets and a greedy maximum cover of them (node selection).
With probability ≥ 1 − 1/n^ℓ the seeds spread at least (1 − 1/e − ε) of the optimum (k seeds,
no other constraint). The final RR sets are sampled anew, independent of the sampling phase:
the fix of Chen (arXiv:1808.09363, 2018) to IMM's martingale argument.
Expected time O((k + ℓ)(n + m) log n / ε²).
"""

from __future__ import annotations

__all__ = ["ImmResult", "PrefixSpread", "imm", "imm_theta", "prefix_spread"]

import math
from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.influence.cover import Constraints, Cover, greedy_cover
from graphsvc.analysis.influence.graph import InfluenceGraph
from graphsvc.analysis.influence.rrsets import RRSets, sample_rr_sets

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class PrefixSpread:
    """Expected spread of the first i seeds (i = 1..k), with a 95% confidence interval."""

    spread: np.ndarray
    low: np.ndarray
    high: np.ndarray
    samples: int  # RR sets the estimate rests on


@dataclass(frozen=True)
class ImmResult:
    seeds: np.ndarray  # int64 vertices in choice order
    cover: Cover  # RR sets each seed newly covered, in the selection sample
    spread: PrefixSpread  # per prefix, on RR sets independent of the selection
    theta: int  # RR sets of the node selection
    lower_bound: float  # LB of the optimum spread from the sampling phase
    sampled: int  # RR sets drawn in all (sampling phase, selection, estimate)
    epsilon: float
    ell: float
    model: str


def _log_binom(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def imm_theta(n: int, k: int, epsilon: float, ell: float) -> tuple[float, float]:
    """(λ', λ*) of IMM (Tang et al. 2015, eq. 9 and Thm 1) for ℓ already adjusted."""
    eps_prime = math.sqrt(2) * epsilon
    log_cnk = _log_binom(n, k)
    lam_prime = (
        (2 + 2 / 3 * eps_prime)
        * (log_cnk + ell * math.log(n) + math.log(max(math.log2(n), 1.0)))
        * n
        / eps_prime**2
    )
    alpha = math.sqrt(ell * math.log(n) + math.log(2))
    beta = math.sqrt((1 - 1 / math.e) * (log_cnk + ell * math.log(n) + math.log(2)))
    lam_star = 2 * n * ((1 - 1 / math.e) * alpha + beta) ** 2 / epsilon**2
    return lam_prime, lam_star


def _select(rr: RRSets, k: int, constraints: Constraints | None) -> Cover:
    first, sets = rr.by_node()
    return greedy_cover(first, sets, rr.count, k, constraints)


def prefix_spread(rr: RRSets, seeds: np.ndarray) -> PrefixSpread:
    """σ of every prefix of ``seeds`` as n × the share of RR sets it meets: an RR set counts
    from the first seed in it on. The interval is the normal one of that share. O(|rr|)."""
    k = len(seeds)
    rank = np.full(rr.n, k, dtype=np.int64)
    rank[seeds] = np.arange(k)
    if rr.count == 0 or k == 0:
        zero = np.zeros(k)
        return PrefixSpread(zero, zero, zero, rr.count)
    nonempty = rr.sizes > 0
    best = np.full(rr.count, k, dtype=np.int64)
    best[nonempty] = np.minimum.reduceat(rank[rr.nodes], rr.first[:-1][nonempty])
    share = np.cumsum(np.bincount(best, minlength=k + 1)[:k]) / rr.count
    half = _Z95 * np.sqrt(share * (1 - share) / rr.count)
    n = rr.n
    return PrefixSpread(n * share, n * np.maximum(share - half, 0), n * (share + half), rr.count)


def imm(
    graph: InfluenceGraph,
    k: int,
    *,
    model: str = "ic",
    epsilon: float = 0.2,
    ell: float = 1.0,
    seed: int = 0,
    constraints: Constraints | None = None,
    estimate_samples: int = 0,
) -> ImmResult:
    """The k seeds IMM chooses under ``model`` ("ic" or "lt"), seeded and deterministic.

    ``constraints`` (exclusions, must-includes, at most m per community, a budget) act on
    every greedy selection; the (1 − 1/e − ε) guarantee is then the greedy's for that
    constraint (see ``cover``) less ε. The spread of each prefix is estimated on θ further
    RR sets (at least ``estimate_samples``), independent of the choice, so it is not biased
    upward by it.
    """
    n = graph.n
    if not 0 < epsilon < 1:
        raise ValueError(f"epsilon={epsilon}: expected 0 < epsilon < 1")
    if k < 1 or n == 0:
        raise ValueError(f"k={k} on {n} vertices: nothing to choose")
    k = min(k, n)
    rng = np.random.default_rng(seed)
    if n < 2:
        rr = sample_rr_sets(graph, model, 1, rng)
        cover = _select(rr, k, constraints)
        return ImmResult(
            cover.chosen, cover, prefix_spread(rr, cover.chosen), 1, 1.0, 1, epsilon, ell, model
        )
    ell = ell * (1 + math.log(2) / math.log(n))
    eps_prime = math.sqrt(2) * epsilon
    lam_prime, lam_star = imm_theta(n, k, epsilon, ell)
    rr = sample_rr_sets(graph, model, 0, rng)
    lower = 1.0
    for i in range(1, max(int(math.log2(n)), 2)):
        x = n / 2**i
        want = math.ceil(lam_prime / x)
        rr = rr.join(sample_rr_sets(graph, model, want - rr.count, rng))
        estimate = n * _select(rr, k, constraints).covered / rr.count
        if estimate >= (1 + eps_prime) * x:
            lower = estimate / (1 + eps_prime)
            break
    sampled = rr.count
    theta = math.ceil(lam_star / lower)
    rr = sample_rr_sets(graph, model, theta, rng)
    cover = _select(rr, k, constraints)
    check = sample_rr_sets(graph, model, max(theta, estimate_samples), rng)
    spread = prefix_spread(check, cover.chosen)
    sampled += theta + check.count
    return ImmResult(cover.chosen, cover, spread, theta, lower, sampled, epsilon, ell, model)
