"""Spreader rankings beside PageRank, and the SIR protocol that judges them.

Rankers (higher: a better single spreader), each on the attention graph:
- ``degree``: how many people pay the user attention;
- ``pagerank``: weighted PageRank, graphsvc's influence;
- ``kshell``: k-core number of the symmetrized graph (Kitsak et al., Nature Physics 6:888,
  2010: the core, not the hubs at the periphery, spreads furthest);
- ``leaderrank``: a random walk with a ground node linked both ways to everyone (Lü, Zhang,
  Yeung & Zhou, PLoS ONE 6:e21202, 2011);
- ``voterank``: users elected one by one by their audience's votes, each election weakening
  the electors (Zhang et al., Sci. Rep. 6:27823, 2016); a rank, not a score.

Protocol: the spreading of each user alone under SIR with β = 1.5 β_c and recovery after one
step, which is the independent cascade with p = β (Kempe et al. 2003), so every user's
expected outbreak is n × their share of RR sets; rankers are compared by Kendall's τ with it.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_RANKERS",
    "RANKERS",
    "epidemic_threshold",
    "kendall_tau",
    "leaderrank_scores",
    "sir_spreads",
    "spreader_scores",
    "voterank_order",
]

import numpy as np
from scipy import sparse, stats

from graphsvc.analysis.centrality import coreness, pagerank_scores
from graphsvc.analysis.graphs import EdgeList, symmetrized
from graphsvc.analysis.influence.graph import InfluenceGraph
from graphsvc.analysis.influence.rrsets import sample_rr_sets

RANKERS = ("degree", "pagerank", "kshell", "leaderrank", "voterank")
# Those that beat degree under the SIR protocol on generated graphs
# (tests/analysis/influence/test_spreaders.py::test_default_rankers_beat_degree).
DEFAULT_RANKERS = ("pagerank", "leaderrank")


def leaderrank_scores(attention: EdgeList, *, tol: float = 1e-12, max_iter: int = 10_000):
    """LeaderRank (Lü et al. 2011) on the unweighted attention graph plus a ground node.
    O((n + m) · iterations)."""
    n = attention.n
    src = np.concatenate([attention.src, np.arange(n), np.full(n, n)])
    dst = np.concatenate([attention.dst, np.full(n, n), np.arange(n)])
    out = np.bincount(src, minlength=n + 1).astype(float)
    walk = sparse.csr_array((1.0 / out[src], (dst, src)), shape=(n + 1, n + 1))
    score = np.append(np.ones(n), 0.0)
    for _ in range(max_iter):
        nxt = walk @ score
        done = np.abs(nxt - score).sum() < tol
        score = nxt
        if done:
            break
    return score[:n] + score[n] / n


def voterank_order(graph: InfluenceGraph, count: int | None = None) -> np.ndarray:
    """Up to ``count`` spreaders in VoteRank's order of election (Zhang et al. 2016), as
    networkx ``voterank`` on the influence graph: the influenced vote for their influencers,
    and an election lowers its voters' voting ability by 1 / the mean out-degree.
    O(count · (n + m))."""
    n = graph.n
    count = n if count is None else min(count, n)
    if n == 0 or graph.m == 0:
        return np.zeros(0, dtype=np.int64)
    votes = sparse.csr_array((np.ones(graph.m), (graph.src, graph.dst)), shape=(n, n))
    ability, elected = np.ones(n), np.zeros(n, dtype=bool)
    weaken = graph.m / n
    order = []
    for _ in range(count):
        score = votes @ ability
        score[elected] = 0
        v = int(np.argmax(score))
        if score[v] <= 0:
            break
        order.append(v)
        elected[v], ability[v] = True, 0.0
        out = graph.dst[graph.out_first[v] : graph.out_first[v + 1]]
        ability[out] = np.maximum(ability[out] - 1 / weaken, 0.0)
    return np.array(order, dtype=np.int64)


def spreader_scores(
    name: str, attention: EdgeList, graph: InfluenceGraph, damping: float = 0.85
) -> np.ndarray:
    """Scores of ranker ``name`` (see RANKERS) per vertex; VoteRank: n − election position
    for the elected, 0 for the others."""
    if name == "degree":
        return np.bincount(attention.dst, minlength=attention.n).astype(float)
    if name == "pagerank":
        return pagerank_scores(attention, damping=damping)
    if name == "kshell":
        return coreness(symmetrized(attention)).astype(float)
    if name == "leaderrank":
        return leaderrank_scores(attention)
    if name == "voterank":
        order = voterank_order(graph)
        scores = np.zeros(attention.n)
        scores[order] = attention.n - np.arange(len(order))
        return scores
    raise ValueError(f"unknown ranker {name!r}; expected one of {', '.join(RANKERS)}")


def epidemic_threshold(graph: InfluenceGraph) -> float:
    """SIR epidemic threshold of a directed graph, β_c = ⟨k_in⟩ / ⟨k_in · k_out⟩ (the
    uncorrelated heterogeneous mean field; ⟨k⟩ / (⟨k²⟩ − ⟨k⟩) undirected). O(n + m)."""
    k_in = np.bincount(graph.dst, minlength=graph.n).astype(float)
    k_out = np.bincount(graph.src, minlength=graph.n).astype(float)
    product = float((k_in * k_out).mean())
    return float(k_in.mean() / product) if product > 0 else 1.0


def sir_spreads(graph: InfluenceGraph, beta: float, samples: int, seed: int = 0) -> np.ndarray:
    """Expected SIR outbreak (recovery after one step) from each vertex alone, as n × its
    share of ``samples`` RR sets under the cascade with p = β everywhere. O(samples · E|RR|)."""
    uniform = InfluenceGraph(graph.n, graph.src, graph.dst, np.full(graph.m, min(beta, 1.0)))
    rr = sample_rr_sets(uniform, "ic", samples, np.random.default_rng(seed))
    return graph.n * np.bincount(rr.nodes, minlength=graph.n) / max(samples, 1)


def kendall_tau(scores: np.ndarray, spreads: np.ndarray) -> float:
    """Kendall's τ-b of a ranking against the simulated spreads (ties allowed)."""
    return float(stats.kendalltau(scores, spreads).statistic)
