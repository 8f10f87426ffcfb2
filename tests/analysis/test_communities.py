"""Leiden communities: LFR benchmark, canonical ids, unassigned users, the Dunbar split."""

from __future__ import annotations

import random

import igraph as ig
import networkx as nx
import numpy as np
import pytest

from graphsvc.analysis.communities import (
    detect_communities,
    igraph_seed,
    leiden_membership,
    modularity,
    rank_blocks,
)
from graphsvc.analysis.graphs import EdgeList
from graphsvc.synth import block_model_pairs
from tests.builders import nmi


def undirected(n: int, src, dst) -> EdgeList:
    return EdgeList.build(n, np.asarray(src), np.asarray(dst), directed=False)


def detect(graph: EdgeList, **kwargs):
    return detect_communities(graph.to_igraph(), graph, **kwargs)


def lfr(mu: float) -> tuple[nx.Graph, np.ndarray]:
    """LFR (Lancichinetti, Fortunato & Radicchi 2008), n 1000; retries seeds that fail."""
    for seed in range(20):
        try:
            graph = nx.LFR_benchmark_graph(
                1000,
                3,
                1.5,
                mu,
                average_degree=20,
                max_degree=50,
                min_community=20,
                max_community=100,
                seed=seed,
            )
        except nx.ExceededMaxIterations:
            continue
        truth = np.zeros(1000, dtype=np.int64)
        for label, members in enumerate({frozenset(graph.nodes[v]["community"]) for v in graph}):
            truth[list(members)] = label
        return graph, truth
    raise AssertionError(f"no LFR graph for mu={mu}")


def test_lfr_benchmark_nmi():
    rows = []
    for mu in (0.1, 0.2, 0.3, 0.4, 0.5):
        graph, truth = lfr(mu)
        src, dst = np.asarray(list(graph.edges())).T
        found = detect(undirected(1000, src, dst), iterations=-1)
        leaf = found.leaf
        rows.append((mu, nmi(truth, found.top), nmi(truth, leaf), found.n_top, len(set(truth))))
    print("\n  mu   NMI(top)  NMI(leaf)  found  planted")
    for mu, top, leaf, k, planted in rows:
        print(f"  {mu:.1f}  {top:.4f}    {leaf:.4f}     {k:5d}  {planted:7d}")
    assert all(top >= 0.9 for mu, top, *_ in rows if mu <= 0.3)
    assert rows[3][1] >= 0.8  # mu 0.4 still well above chance


def test_ids_by_size_then_smallest_member():
    # cliques: vertices 0-3 (4), 4-9 (6), 10-13 (4), 14-18 (5), 19-20 (2), 21 alone
    blocks = [range(0, 4), range(4, 10), range(10, 14), range(14, 19), range(19, 21)]
    src, dst = [], []
    for block in blocks:
        for i in block:
            for j in block:
                if i < j:
                    src.append(i)
                    dst.append(j)
    found = detect(undirected(22, src, dst))
    assert found.top_ids == ["c-0001", "c-0002", "c-0003", "c-0004"]
    expected = [2] * 4 + [0] * 6 + [3] * 4 + [1] * 5 + [-1] * 3  # pair and isolate unassigned
    assert found.top.tolist() == expected
    assert found.n_sub == 0
    assert found.modularity == pytest.approx(
        ig.Graph(n=22, edges=list(zip(src, dst, strict=True))).modularity(found.module.tolist())
    )


@pytest.mark.parametrize("resolution", [1.0, 0.5, 2.0])
def test_modularity_equals_igraphs_weighted_with_resolution(resolution):
    rng = np.random.default_rng(8)
    graph = EdgeList.build(
        60, rng.integers(0, 60, 400), rng.integers(0, 60, 400), rng.random(400), directed=False
    )
    membership = rng.integers(0, 5, 60)
    expected = graph.to_igraph().modularity(
        membership.tolist(), weights="weight", resolution=resolution
    )
    assert modularity(graph, membership, resolution) == pytest.approx(expected, abs=1e-12)


def test_rank_blocks_numbers_inside_parents():
    block = np.array([7, 7, 3, 3, 3, 9, 9, 9, 5, 5, -1])
    parent = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, -1])
    label, par, number = rank_blocks(block, 2, parent=parent)
    assert label.tolist() == [1, 1, 0, 0, 0, 2, 2, 2, 3, 3, -1]
    assert par.tolist() == [0, 0, 1, 1]
    assert number.tolist() == [0, 1, 0, 1]


def hierarchical_graph(seed: int = 4) -> tuple[EdgeList, np.ndarray, np.ndarray]:
    """Two communities of four 60-vertex sub-blocks, plus 300 ten-cliques in a ring that make
    the graph large enough for modularity's resolution limit to merge the sub-blocks."""
    rng = np.random.default_rng(seed)
    sub = np.repeat(np.arange(8), 60)
    com = sub // 4
    a, b = block_model_pairs(sub, 0.25, 0.0005, rng, parent=com, p_parent=0.04)
    src, dst = [a], [b]
    ca, cb = np.triu_indices(10, 1)
    for i in range(300):
        base = 480 + 10 * i
        src += [base + ca, np.array([base])]
        dst += [base + cb, np.array([480 + 10 * ((i + 1) % 300) + 1])]
    graph = undirected(3480, np.concatenate(src), np.concatenate(dst))
    return graph, com, sub


def test_communities_over_dunbar_split_into_planted_sub_blocks():
    graph, com, sub = hierarchical_graph()
    found = detect(graph, max_size=150)
    assert np.bincount(found.top[found.top >= 0])[:2].tolist() == [240, 240]
    assert nmi(com, found.top[:480]) == pytest.approx(1.0)
    assert found.sub_ids[:4] == ["c-0001.01", "c-0001.02", "c-0001.03", "c-0001.04"]
    assert found.n_sub == 8
    assert found.sub_parent.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert nmi(sub, found.leaf[:480]) >= 0.99  # one Leiden pass inside the communities
    converged = detect(graph, max_size=150, split_iterations=-1)
    assert nmi(sub, converged.leaf[:480]) == pytest.approx(1.0)
    # every sub-community lies inside its parent; the small ring cliques are not split
    inside = found.sub >= 0
    assert (found.sub_parent[found.sub[inside]] == found.top[inside]).all()
    assert (found.sub[480:] == -1).all()
    unsplit = detect(graph, max_size=150, split_large=False)
    assert unsplit.n_sub == 0
    assert (unsplit.top == found.top).all()


def test_split_equals_modularity_inside_each_community():
    graph, _com, _ = hierarchical_graph()
    found = detect(graph, max_size=150)
    members = np.flatnonzero(found.top == 0)
    alone = graph.to_igraph().induced_subgraph(members.tolist())
    own, _ = leiden_membership(alone, iterations=-1)
    q_split = alone.modularity(found.sub[members].tolist(), weights="weight")
    q_own = alone.modularity(own.tolist(), weights="weight")
    assert q_split == pytest.approx(q_own, abs=0.01)


def test_leiden_is_deterministic_and_restores_the_rng():
    graph, _, _ = hierarchical_graph()
    first = detect(graph, seed=11)
    assert np.array_equal(first.top, detect(graph, seed=11).top)
    assert first.ids == detect(graph, seed=11).ids
    random.seed(1)
    before = ig.Graph.Erdos_Renyi(40, 0.2).get_edgelist()
    random.seed(1)
    with igraph_seed(99):
        ig.Graph.Erdos_Renyi(40, 0.2)
    assert ig.Graph.Erdos_Renyi(40, 0.2).get_edgelist() == before


def test_screening_with_every_vertex_free_is_plain_leiden():
    graph, _, _ = hierarchical_graph()
    plain = detect(graph, max_size=150)
    free = detect(graph, max_size=150, fixed=np.full(graph.n, -1))
    np.testing.assert_array_equal(free.top, plain.top)
    np.testing.assert_array_equal(free.sub, plain.sub)
    assert free.quality == pytest.approx(plain.quality, abs=1e-9)
    assert free.modularity == plain.modularity


def test_screened_groups_move_whole_and_lose_no_quality():
    graph, _, sub = hierarchical_graph()
    cold = detect(graph, max_size=150)
    n = graph.n
    alone = n + np.arange(n)
    # a warm start: every tenth user changed and moves alone; the others keep to their
    # community and sub-community
    changed = np.arange(n) % 10 == 0
    fixed = np.where(changed, -1, cold.leaf)
    fixed_top = np.where(changed, -1, cold.top)
    warm = detect(
        graph,
        max_size=150,
        iterations=1,
        initial=cold.module,
        initial_sub=np.where(cold.leaf >= 0, cold.leaf, alone),
        fixed=fixed_top,
        fixed_sub=fixed,
    )
    for label in np.unique(fixed[fixed >= 0]):
        assert len(np.unique(warm.leaf[fixed == label])) == 1
    assert nmi(cold.leaf, warm.leaf) == pytest.approx(1.0)
    assert nmi(sub, warm.leaf[:480]) >= 0.99
    assert warm.modularity >= cold.modularity - 1e-6
    # the free users found their way back from a scrambled start
    scrambled = np.where(np.arange(n) % 10 == 0, (cold.module + 1) % (cold.module.max() + 1), 0)
    back = detect(
        graph,
        max_size=150,
        iterations=1,
        initial=np.where(fixed >= 0, cold.module, scrambled),
        initial_sub=np.where(fixed >= 0, cold.leaf, alone),
        fixed=fixed_top,
        fixed_sub=fixed,
    )
    assert nmi(cold.top, back.top) >= 0.99


def test_a_warm_start_never_merges_previous_communities():
    # two 10-cliques with heavier ties between them than inside: one community, cold
    a, b = np.triu_indices(20, 1)
    cross = (a < 10) != (b < 10)
    graph = EdgeList.build(20, a, b, np.where(cross, 2.0, 1.0), directed=False)
    assert detect(graph).n_top == 1
    previous = np.repeat([0, 1], 10)
    core = np.where(np.arange(20) == 0, -1, previous)  # user 0 changed: free to move
    warm = detect(graph, iterations=1, initial=previous, fixed=core, fixed_sub=core)
    assert warm.n_top == 2
    assert len(set(warm.top[1:10].tolist())) == len(set(warm.top[10:].tolist())) == 1
    assert warm.top[1] != warm.top[10]
    assert warm.top[0] == warm.top[10]  # tied more strongly to the other core (20 > 9)
