"""Consensus clustering against single seeded Leiden runs: agreement (NMI) with known groups.

    python -m benchmarks.consensus [--seeds 5]

Graphs with known groups: Zachary's karate club (the two clubs after the split, as networkx
ships it), LFR benchmark graphs (n 1000, mixing μ 0.1–0.6; Lancichinetti, Fortunato &
Radicchi 2008) and a planted partition with a Dunbar-sized block structure. For each, the NMI
of every single seeded run (seeds 0…k-1) and of the consensus partition built from the same
seeds; and how well two seeds agree with each other (NMI of seed 0 against seed 100), single
and consensus. Prints one table row per graph.
"""

from __future__ import annotations

__all__ = ["compare", "graphs_with_groups"]

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import igraph as ig
import networkx as nx
import numpy as np

from graphsvc import synth
from graphsvc.analysis.communities import leiden_membership
from graphsvc.analysis.consensus import consensus_membership
from graphsvc.analysis.graphs import attention_graph, symmetrized
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams
from graphsvc.store.sqlite import SqliteStore
from graphsvc.synth import block_model_pairs


def _igraph(graph: nx.Graph) -> ig.Graph:
    out = ig.Graph(n=graph.number_of_nodes(), edges=list(graph.edges()))
    out.es["weight"] = [1.0] * out.ecount()
    return out


def _lfr(mu: float) -> tuple[nx.Graph, np.ndarray]:
    for seed in range(20):
        try:
            graph = nx.LFR_benchmark_graph(
                1000, 3, 1.5, mu, average_degree=20, max_degree=50,
                min_community=20, max_community=100, seed=seed,
            )  # fmt: skip
        except nx.ExceededMaxIterations:
            continue
        truth = np.zeros(1000, dtype=np.int64)
        for label, members in enumerate({frozenset(graph.nodes[v]["community"]) for v in graph}):
            truth[list(members)] = label
        graph.remove_edges_from(nx.selfloop_edges(graph))
        return graph, truth
    raise RuntimeError(f"no LFR graph for mu={mu}")


def _planted(seed: int = 3) -> tuple[nx.Graph, np.ndarray]:
    """40 blocks of 50 (p_in 0.12, p_out 0.004): a noisy community-commerce scale."""
    truth = np.repeat(np.arange(40), 50)
    a, b = block_model_pairs(truth, 0.12, 0.004, np.random.default_rng(seed))
    graph = nx.Graph()
    graph.add_nodes_from(range(len(truth)))
    graph.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    return graph, truth


def _commerce(users: int, seed: int = 1) -> tuple[ig.Graph, np.ndarray]:
    """A generated community-commerce graph (``graphsvc.synth``): the symmetrized attention
    graph and each ordinary user's primary group (official accounts are left out)."""
    with tempfile.TemporaryDirectory() as tmp:
        truth = synth.generate(Path(tmp) / "data", users=users, seed=seed)
        with SqliteStore(Path(tmp) / "g.db") as store:
            store.init_schema()
            load_files(discover(Path(tmp) / "data"), store)
            snapshot = build_snapshot(store)
    graph = symmetrized(attention_graph(snapshot, AnalysisParams())).to_igraph()
    official = np.isin(snapshot.user_ids, truth.official_accounts)
    user, group = snapshot.membership_user, snapshot.membership_group
    first = np.unique(user, return_index=True)[1]  # supers: their lowest-numbered group
    primary = np.full(snapshot.n_users, -1)
    primary[user[first]] = group[first]
    keep = np.flatnonzero(~official & (primary >= 0))
    return graph.induced_subgraph(keep.tolist()), primary[keep]


def graphs_with_groups() -> Iterator[tuple[str, ig.Graph, np.ndarray]]:
    karate = nx.karate_club_graph()
    clubs = np.array([karate.nodes[v]["club"] == "Officer" for v in karate], dtype=np.int64)
    yield "karate club (Zachary 1977)", _igraph(karate), clubs
    for mu in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        graph, truth = _lfr(mu)
        yield f"LFR n=1000 mu={mu}", _igraph(graph), truth
    graph, truth = _planted()
    yield "planted 40x50", _igraph(graph), truth
    for users in (5_000, 20_000):
        graph, truth = _commerce(users)
        yield f"generated community commerce, {users:,} users", graph, truth


def _nmi(a: np.ndarray, b: np.ndarray) -> float:
    return float(ig.compare_communities(a.tolist(), b.tolist(), method="nmi"))


def compare(graph: ig.Graph, truth: np.ndarray, seeds: int) -> dict[str, float]:
    """NMI of single runs (seeds 0…seeds-1) and of their consensus with the known groups,
    seed-to-seed NMI of each, and the seconds each took."""
    clock = time.perf_counter()
    single = [leiden_membership(graph, seed=s)[0] for s in range(seeds)]
    single_s = (time.perf_counter() - clock) / seeds
    clock = time.perf_counter()
    found, rounds = consensus_membership(graph, seed=0, runs=seeds)
    consensus_s = time.perf_counter() - clock
    other, _ = consensus_membership(graph, seed=100, runs=seeds)
    scores = [_nmi(m, truth) for m in single]
    return {
        "single_mean": float(np.mean(scores)),
        "single_min": min(scores),
        "single_max": max(scores),
        "consensus": _nmi(found, truth),
        "rounds": rounds,
        "single_seed_to_seed": _nmi(single[0], leiden_membership(graph, seed=100)[0]),
        "consensus_seed_to_seed": _nmi(found, other),
        "single_seconds": single_s,
        "consensus_seconds": consensus_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="runs per consensus")
    args = parser.parse_args(argv)
    print(
        "| graph | NMI with the groups: single runs, mean (min–max) | consensus | rounds "
        "| seed 0 vs seed 100: single | consensus | seconds |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, graph, truth in graphs_with_groups():
        r = compare(graph, truth, args.seeds)
        print(
            f"| {name} | {r['single_mean']:.3f} ({r['single_min']:.3f}–{r['single_max']:.3f}) "
            f"| {r['consensus']:.3f} | {r['rounds']} | {r['single_seed_to_seed']:.3f} "
            f"| {r['consensus_seed_to_seed']:.3f} "
            f"| {r['single_seconds']:.3f} single, {r['consensus_seconds']:.2f} consensus |"
        )


if __name__ == "__main__":
    main()
