"""PageRank, coreness and betweenness against networkx; the sampled betweenness bound."""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.analysis import centrality
from graphsvc.analysis.centrality import betweenness, coreness, pagerank_scores, sample_size
from graphsvc.analysis.graphs import EdgeList, attention_graph, symmetrized
from graphsvc.model import AnalysisParams, GraphSnapshot
from graphsvc.synth import block_model_pairs
from tests.builders import columns_snapshot, reference_pagerank


def random_digraph(n: int, m: int, seed: int) -> EdgeList:
    rng = np.random.default_rng(seed)
    return EdgeList.build(n, rng.integers(0, n, m), rng.integers(0, n, m), rng.random(m) + 0.05)


def to_nx(graph: EdgeList) -> nx.Graph:
    out = nx.DiGraph() if graph.directed else nx.Graph()
    out.add_nodes_from(range(graph.n))
    rows = zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True)
    out.add_weighted_edges_from(rows)
    return out


@pytest.mark.parametrize(("n", "m", "seed", "damping"), [(30, 60, 1, 0.85), (50, 80, 2, 0.7)])
def test_pagerank_equals_networkx_weighted_directed_with_dangling_nodes(n, m, seed, damping):
    graph = random_digraph(n, m, seed)
    assert (graph.out_strength() == 0).sum() >= 3  # dangling vertices present
    ours = pagerank_scores(graph, damping=damping, tol=1e-13)
    ref = reference_pagerank(to_nx(graph), damping)
    assert ours == pytest.approx([ref[i] for i in range(n)], abs=1e-6)
    assert ours.sum() == pytest.approx(1.0, abs=1e-12)
    prpack = ig.Graph(n=n, edges=list(zip(graph.src, graph.dst, strict=True)), directed=True)
    expected = prpack.pagerank(weights=graph.weight.tolist(), damping=damping)
    assert ours == pytest.approx(expected, abs=1e-9)


def test_pagerank_on_undirected_graph_walks_both_ways():
    graph = symmetrized(random_digraph(25, 50, 3))
    ref = reference_pagerank(to_nx(graph), 0.85)
    assert pagerank_scores(graph, tol=1e-13) == pytest.approx([ref[i] for i in range(25)], abs=1e-6)


def test_coreness_equals_networkx_core_number():
    graph = symmetrized(random_digraph(80, 300, 4))
    ours = coreness(graph)
    ref = nx.core_number(to_nx(graph))
    assert ours.tolist() == [ref[i] for i in range(80)]
    assert ours.max() >= 3


@pytest.mark.parametrize("rounds", [2_000, 5])
def test_coreness_of_a_long_chain_and_cliques_by_peeling_or_by_igraph(monkeypatch, rounds):
    # a path peels from both ends one vertex per round: with 5 rounds allowed, igraph finishes
    monkeypatch.setattr(centrality, "_PEEL_ROUNDS", rounds)
    path = [(i, i + 1) for i in range(40)]
    clique = [(a, b) for a in range(41, 47) for b in range(a + 1, 47)]  # K6: core 5
    src, dst = np.array(path + clique + [(40, 41)]).T
    graph = EdgeList.build(50, src, dst, directed=False)  # 47..49 isolated: core 0
    built, to_igraph = [], EdgeList.to_igraph
    monkeypatch.setattr(EdgeList, "to_igraph", lambda self: built.append(1) or to_igraph(self))
    ref = nx.core_number(to_nx(graph))
    assert coreness(graph).tolist() == [ref[i] for i in range(50)]
    assert len(built) == (rounds < 20)


def test_exact_betweenness_equals_networkx_normalized():
    graph = symmetrized(random_digraph(60, 90, 5))  # sparse: several components
    result = betweenness(graph.to_igraph())
    ref = nx.betweenness_centrality(to_nx(graph), normalized=True, weight=None)
    assert result.method == "exact"
    assert result.epsilon == 0.0
    assert result.values == pytest.approx([ref[i] for i in range(60)], abs=1e-12)
    assert result.values.max() > 0.05


def _medium_graph(seed: int = 9) -> ig.Graph:
    """1,200 vertices in 12 blocks of 100 (p_in 0.05) joined in a ring by one edge between
    consecutive blocks: the ring's endpoints carry betweenness up to ~0.3."""
    rng = np.random.default_rng(seed)
    n, block = 1200, np.repeat(np.arange(12), 100)
    a, b = block_model_pairs(block, 0.05, 0.0, rng)
    ring_a = np.arange(12) * 100
    ring_b = (np.arange(12) * 100 + 150) % n
    src, dst = np.concatenate([a, ring_a]), np.concatenate([b, ring_b])
    return EdgeList.build(n, src, dst, directed=False).to_igraph()


@pytest.fixture(scope="module")
def medium():
    graph = _medium_graph()
    return graph, betweenness(graph, exact_max_vertices=10**9).values


@pytest.mark.parametrize(("epsilon", "budget"), [(0.1, 10**12), (0.1, 100 * 6000)])
def test_sampled_betweenness_within_its_stated_bound(medium, epsilon, budget):
    graph, exact = medium
    n = graph.vcount()
    result = betweenness(
        graph, exact_max_vertices=100, epsilon=epsilon, delta=0.1, budget=budget, seed=3
    )
    assert result.method == "sampled_sources"
    assert result.sources == min(sample_size(n, epsilon, 0.1), budget // graph.ecount())
    k = result.sources
    assert result.epsilon == pytest.approx(n / (n - 1) * np.sqrt(np.log(2 * n / 0.1) / (2 * k)))
    assert (result.epsilon <= epsilon) == (k == sample_size(n, epsilon, 0.1))
    error = np.abs(result.values - exact).max()
    print(f"sources={result.sources} ε={result.epsilon:.3f} max error={error:.4f}")
    assert error <= result.epsilon
    top = set(np.argsort(-exact)[:10].tolist())
    assert len(top & set(np.argsort(-result.values)[:20].tolist())) >= 7


def test_sampled_betweenness_is_seeded():
    graph = _medium_graph()
    kwargs = {"exact_max_vertices": 10, "epsilon": 0.2, "budget": 50 * graph.ecount()}
    a = betweenness(graph, seed=1, **kwargs).values
    assert np.array_equal(a, betweenness(graph, seed=1, **kwargs).values)
    assert not np.array_equal(a, betweenness(graph, seed=2, **kwargs).values)


def test_sample_size_is_hoeffding_with_union_bound():
    n, eps, delta = 10_000, 0.05, 0.1
    k = sample_size(n, eps, delta)
    bound = (n / (n - 1)) * np.sqrt(np.log(2 * n / delta) / (2 * k))
    assert bound <= eps < (n / (n - 1)) * np.sqrt(np.log(2 * n / delta) / (2 * (k - 1)))


def _snapshot(n: int, edges: list[tuple[int, int, int]], ids: list[str]) -> GraphSnapshot:
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 3)
    return columns_snapshot(ids, src=e[:, 0], dst=e[:, 1], weight=e[:, 2])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 25).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 5)),
                max_size=60,
            ),
            st.permutations(list(range(n))),
        )
    )
)
def test_pagerank_sums_to_one_and_ignores_vertex_order(case):
    n, edges, perm = case
    ids = [f"u{i:02d}" for i in range(n)]
    params = AnalysisParams()
    base = pagerank_scores(attention_graph(_snapshot(n, edges, ids), params))
    assert base.sum() == pytest.approx(1.0, abs=1e-12)
    # the same users at other positions, and the rows in reverse order
    where = np.asarray(perm)  # user i now sits at position where[i]
    moved = [(int(where[a]), int(where[b]), w) for a, b, w in reversed(edges)]
    moved_ids = [""] * n
    for i, p in enumerate(perm):
        moved_ids[p] = ids[i]
    other = pagerank_scores(attention_graph(_snapshot(n, moved, moved_ids), params))
    assert other[where] == pytest.approx(base, abs=1e-9)
