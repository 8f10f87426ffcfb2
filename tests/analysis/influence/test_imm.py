"""IMM against CELF and exact values, its parameters, determinism and constraints."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphsvc.analysis.graphs import EdgeList
from graphsvc.analysis.influence import Constraints, imm, influence_graph
from graphsvc.analysis.influence.celf import celf
from graphsvc.analysis.influence.graph import InfluenceGraph
from graphsvc.analysis.influence.imm import imm_theta, prefix_spread
from graphsvc.analysis.influence.rrsets import rr_sets_of, sample_rr_sets
from graphsvc.analysis.influence.simulate import simulate_spread


def chain(p: float) -> InfluenceGraph:
    """0 → 1 → 2 and 0 → 2, each with probability p."""
    return InfluenceGraph(3, np.array([0, 0, 1]), np.array([1, 2, 2]), np.full(3, p))


def test_influence_flows_against_attention_with_weighted_cascade():
    # a(0) replies to b(1) and c(2); d(3) replies to b(1): b influences a and d
    attention = EdgeList.build(4, np.array([0, 0, 3]), np.array([1, 2, 1]), np.array([5, 1, 1.0]))
    wc = influence_graph(attention)
    assert list(zip(wc.src.tolist(), wc.dst.tolist(), wc.prob.tolist(), strict=True)) == [
        (1, 0, 0.5),
        (1, 3, 1.0),
        (2, 0, 0.5),
    ]
    assert influence_graph(attention, "weighted").prob.tolist() == [5 / 6, 1.0, 1 / 6]
    assert influence_graph(attention, "uniform", p=0.2).prob.tolist() == [0.2] * 3


@pytest.mark.parametrize("model", ["ic", "lt"])
def test_rr_sets_give_the_exact_spread_of_a_small_graph(model):
    # IC: σ({0}) = 1 + p + P(2 active) = 1 + .5 + (1 - .5 · (1 - .25)) = 2.125
    # LT (weights .5 each into 2): σ({0}) = 1 + .5 + (.5 + .5 · .5) = 2.25
    rr = sample_rr_sets(chain(0.5), model, 200_000, np.random.default_rng(3))
    expected = {"ic": 2.125, "lt": 2.25}[model]
    assert prefix_spread(rr, np.array([0])).spread[0] == pytest.approx(expected, abs=0.02)
    assert simulate_spread(chain(0.5), [0], model, 20_000).mean == pytest.approx(expected, abs=0.03)


def test_each_rr_set_starts_at_its_root_and_holds_no_repeat():
    graph = chain(1.0)
    rr = rr_sets_of(graph, "ic", np.array([2, 1, 0]), np.random.default_rng(0))
    sets = [rr.nodes[rr.first[i] : rr.first[i + 1]].tolist() for i in range(rr.count)]
    assert sets == [[2, 0, 1], [1, 0], [0]]


@pytest.mark.parametrize(("model", "k", "runs"), [("ic", 20, 300), ("lt", 10, 100)])
def test_imm_spreads_at_least_99_percent_of_celf(generated, model, k, runs):
    graph = generated.graph
    assert graph.m <= 60_000
    ours = imm(graph, k, model=model, seed=1)
    reference = celf(graph, k, model=model, runs=runs, seed=1)
    ours_spread = simulate_spread(graph, ours.seeds, model, 10_000, seed=2)
    celf_spread = simulate_spread(graph, reference.seeds, model, 10_000, seed=2)
    assert ours_spread.mean >= 0.99 * celf_spread.mean
    # the reported spread (independent RR sets) brackets the simulated one
    assert ours.spread.low[-1] * 0.99 <= ours_spread.mean <= ours.spread.high[-1] * 1.01


def test_imm_honours_its_approximation_parameters(generated):
    graph, k = generated.graph, 10
    loose = imm(graph, k, epsilon=0.5, ell=1.0, seed=4)
    tight = imm(graph, k, epsilon=0.2, ell=1.0, seed=4)
    for result in (loose, tight):
        ell = 1.0 * (1 + math.log(2) / math.log(graph.n))
        _, lam_star = imm_theta(graph.n, k, result.epsilon, ell)
        assert result.theta == math.ceil(lam_star / result.lower_bound)
        assert result.ell == pytest.approx(ell)
        # LB is a lower bound of the optimum: below the spread greedy reaches
        best = simulate_spread(graph, tight.seeds, "ic", 5000).high
        assert result.lower_bound <= best
    # θ ∝ 1 / ε² for a similar LB
    ratio = (tight.theta * tight.lower_bound) / (loose.theta * loose.lower_bound)
    assert ratio == pytest.approx((0.5 / 0.2) ** 2, rel=0.15)
    assert tight.sampled >= 2 * tight.theta  # fresh sets for selection and for the estimate


def test_imm_is_deterministic_per_seed(generated):
    a, b = (imm(generated.graph, 15, seed=9) for _ in range(2))
    assert a.seeds.tolist() == b.seeds.tolist()
    assert a.spread.spread.tolist() == b.spread.spread.tolist()
    other = imm(generated.graph, 15, seed=10)
    assert other.theta != a.theta or other.spread.spread[-1] != a.spread.spread[-1]


def test_prefix_spread_grows_and_marginals_shrink_mostly(generated):
    result = imm(generated.graph, 30, seed=2)
    spread = result.spread.spread
    assert np.all(np.diff(spread) >= 0)
    assert np.all(result.spread.low <= spread)
    assert np.all(spread <= result.spread.high)
    gains = result.cover.gains
    assert np.all(np.diff(gains) <= 0)  # greedy gains never rise without constraints


def test_imm_respects_constraints(generated):
    graph, n = generated.graph, generated.graph.n
    free = imm(graph, 12, seed=3)
    community = np.arange(n) % 4
    cost = np.where(np.arange(n) % 2 == 0, 1.0, 3.0)
    include = np.array([n - 1, n - 2])
    constraints = Constraints(
        exclude=free.seeds[:5],
        include=include,
        community=community,
        per_community=3,
        cost=cost,
        budget=20.0,
    )
    chosen = imm(graph, 12, seed=3, constraints=constraints).seeds
    assert chosen[:2].tolist() == include.tolist()
    assert not set(chosen.tolist()) & set(free.seeds[:5].tolist())
    assert np.bincount(community[chosen]).max() <= 3
    assert cost[chosen].sum() <= 20.0
    # it stops only when nobody else fits
    full = np.flatnonzero(np.bincount(community[chosen], minlength=4) >= 3)
    rest = np.setdiff1d(np.arange(n), np.concatenate([chosen, free.seeds[:5]]))
    fits = (cost[rest] <= 20.0 - cost[chosen].sum()) & ~np.isin(community[rest], full)
    assert len(chosen) == 12 or not fits.any()


def test_impossible_constraints_are_refused():
    graph = chain(0.5)
    with pytest.raises(ValueError, match="over the budget"):
        imm(
            graph,
            2,
            constraints=Constraints(include=np.array([0]), cost=np.full(3, 5.0), budget=4.0),
        )
    with pytest.raises(ValueError, match="both included and excluded"):
        imm(graph, 2, constraints=Constraints(include=np.array([0]), exclude=np.array([0])))
