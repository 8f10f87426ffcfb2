"""Community health: star versus mesh, and density/reciprocity against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from graphsvc.analysis.graphs import EdgeList, symmetrized
from graphsvc.analysis.health import community_health, degree_centralization, health_score


def three_communities(seed: int = 1):
    """Community 0: a star (5 fans → owner 0, owner answers two); 1: a 6-clique talking both
    ways; 2: 12 random members; plus cross-community edges and an unassigned vertex."""
    rng = np.random.default_rng(seed)
    src = [1, 2, 3, 4, 5, 0, 0]
    dst = [0, 0, 0, 0, 0, 1, 2]
    clique = range(6, 12)
    for a in clique:
        for b in clique:
            if a != b:
                src.append(a)
                dst.append(b)
    members = np.arange(12, 24)
    s, d = rng.choice(members, 40), rng.choice(members, 40)
    src += [*s.tolist(), 1, 6, 12, 24]
    dst += [*d.tolist(), 6, 12, 1, 0]
    label = np.array([0] * 6 + [1] * 6 + [2] * 12 + [-1])
    weight = np.ones(len(src))
    return EdgeList.build(25, src, dst, weight), label


def test_star_clique_and_random_community():
    graph, label = three_communities()
    owner = np.array([0, 6, 12])
    health = community_health(graph, symmetrized(graph), label, 3, owner)
    assert health.size.tolist() == [6, 6, 12]
    assert health.centralization[0] == pytest.approx(1.0)
    assert health.owner_share[0] == pytest.approx(1.0)
    assert health.shape.tolist()[:2] == ["star", "mesh"]
    assert health.density[1] == pytest.approx(1.0)
    assert health.reciprocity[1] == pytest.approx(1.0)
    assert health.centralization[1] == pytest.approx(0.0)
    assert health.owner_share[1] == pytest.approx(10 / 30)

    for c in range(3):
        members = np.flatnonzero(label == c).tolist()
        full = nx.DiGraph()
        full.add_edges_from(zip(graph.src.tolist(), graph.dst.tolist(), strict=True))
        sub = nx.DiGraph(full.subgraph(members))
        sub.add_nodes_from(members)
        assert health.density[c] == pytest.approx(nx.density(sub))
        assert health.reciprocity[c] == pytest.approx(nx.reciprocity(sub))
        degrees = [d for _, d in sub.to_undirected().degree()]
        assert health.centralization[c] == pytest.approx(degree_centralization(degrees))


def test_freeman_centralization_by_hand():
    assert degree_centralization([4, 1, 1, 1, 1]) == 1.0  # star
    assert degree_centralization([2, 2, 2, 2]) == 0.0  # cycle
    # path a-b-c-d: degrees 1,2,2,1 → (1 + 0 + 0 + 1) / (3 · 2)
    assert degree_centralization([1, 2, 2, 1]) == pytest.approx(2 / 6)
    assert degree_centralization([1, 1]) == 0.0


def test_shape_thresholds_are_parameters():
    graph, label = three_communities()
    owner = np.array([0, 6, 12])
    strict = community_health(
        graph, symmetrized(graph), label, 3, owner, star_centralization=1.1, star_owner_share=0.3
    )
    assert strict.shape[1] == "star"  # the clique owner takes part in 1/3 of the weight


def test_health_score_ranks_the_mesh_first_and_the_star_last():
    graph, label = three_communities()
    health = community_health(graph, symmetrized(graph), label, 3, np.array([0, 6, 12]))
    # the clique: everyone answers everyone, nobody central; the star: replies to the owner only
    assert health.score[1] == pytest.approx(1.0)
    assert health.score[0] == pytest.approx(0.0)
    assert health.score[1] > health.score[2] > health.score[0]
    expected = health.reciprocity * (1 - health.centralization)
    assert health.score == pytest.approx(expected)


def test_health_score_counts_missing_figures_as_zero():
    score = health_score(np.array([0.5, np.nan, 0.8]), np.array([0.2, 0.1, np.nan]))
    assert score.tolist() == pytest.approx([0.4, 0.0, 0.8])
