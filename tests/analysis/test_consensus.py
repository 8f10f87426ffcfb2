"""Consensus clustering (Lancichinetti & Fortunato 2012) against single seeded Leiden runs."""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np

from graphsvc.analysis.communities import leiden_membership
from graphsvc.analysis.consensus import consensus_membership
from graphsvc.synth import block_model_pairs
from tests.builders import nmi


def weighted(graph: nx.Graph) -> ig.Graph:
    out = ig.Graph(n=graph.number_of_nodes(), edges=list(graph.edges()))
    out.es["weight"] = [1.0] * out.ecount()
    return out


def planted(seed: int = 3) -> tuple[ig.Graph, np.ndarray]:
    """40 blocks of 50, p_in 0.12, p_out 0.004: noisy enough for single runs to disagree."""
    truth = np.repeat(np.arange(40), 50)
    a, b = block_model_pairs(truth, 0.12, 0.004, np.random.default_rng(seed))
    graph = ig.Graph(n=len(truth), edges=np.column_stack([a, b]).tolist())
    graph.es["weight"] = [1.0] * graph.ecount()
    return graph, truth


def test_consensus_does_not_hinge_on_the_seed_and_agrees_better_with_the_groups():
    graph, truth = planted()
    single = [leiden_membership(graph, seed=s)[0] for s in range(10)]
    found, rounds = consensus_membership(graph, seed=0)
    other, _ = consensus_membership(graph, seed=100)
    assert rounds >= 2  # the single runs disagreed, so a second round was needed
    assert nmi(found, truth) >= np.mean([nmi(m, truth) for m in single])
    assert nmi(found, other) > nmi(single[0], leiden_membership(graph, seed=100)[0])
    assert nmi(found, other) >= 0.95


def test_consensus_on_zacharys_karate_club():
    karate = nx.karate_club_graph()
    clubs = [karate.nodes[v]["club"] == "Officer" for v in karate]
    graph = weighted(karate)
    found, _ = consensus_membership(graph, seed=0)
    assert consensus_membership(graph, seed=7)[0].tolist() == found.tolist()
    single = [nmi(leiden_membership(graph, seed=s)[0], clubs) for s in range(10)]
    assert nmi(found, clubs) >= np.mean(single)
    assert found[0] != found[33]  # the two leaders stay apart


def test_consensus_of_agreeing_runs_is_the_runs_answer():
    cliques = nx.disjoint_union(nx.complete_graph(6), nx.complete_graph(6))
    cliques.add_edge(0, 6)
    found, rounds = consensus_membership(weighted(cliques), seed=0)
    assert rounds == 1
    assert len(set(found[:6].tolist())) == len(set(found[6:].tolist())) == 1
    assert found[0] != found[6]
