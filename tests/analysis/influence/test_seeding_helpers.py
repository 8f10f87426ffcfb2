"""Personalized influence, team reach and spreader rankings: networkx references, small
graphs with known answers, and the SIR protocol on generated graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from graphsvc.analysis.graphs import EdgeList
from graphsvc.analysis.influence import (
    Constraints,
    influence_graph,
    personalized_influence,
    reach_sets,
    team_reach,
)
from graphsvc.analysis.influence.simulate import simulate_spread
from graphsvc.analysis.influence.spreaders import (
    DEFAULT_RANKERS,
    RANKERS,
    epidemic_threshold,
    kendall_tau,
    leaderrank_scores,
    sir_spreads,
    spreader_scores,
    voterank_order,
)


def test_personalized_influence_equals_networkx(generated):
    att = generated.attention
    people = np.array([3, 40, 41, 900])
    ours = personalized_influence(att, people)
    g = nx.DiGraph()
    g.add_nodes_from(range(att.n))
    g.add_weighted_edges_from(
        zip(att.src.tolist(), att.dst.tolist(), att.weight.tolist(), strict=True)
    )
    theirs = nx.pagerank(g, personalization={int(v): 1 for v in people}, tol=1e-15, max_iter=1000)
    assert ours == pytest.approx([theirs[v] for v in range(att.n)], abs=1e-9)


def test_personalized_influence_finds_whom_these_people_follow():
    # 0, 1 and 2 reply to 5; 3 and 4 reply to 6, who is globally as popular as 5
    att = EdgeList.build(7, np.array([0, 1, 2, 3, 4, 5]), np.array([5, 5, 5, 6, 6, 6]))
    scores = personalized_influence(att, np.array([3, 4]))
    assert scores[6] > scores[5]
    assert scores[6] == scores.max()
    with pytest.raises(ValueError, match="at least one"):
        personalized_influence(att, np.array([], dtype=np.int64))


def test_team_reach_counts_audience_and_downline_once():
    # attention: 1, 2, 3 follow 0; 3, 4 follow 5; 6 follows 7; referrals 7 → 8 → 9
    att = EdgeList.build(10, np.array([1, 2, 3, 3, 4, 6]), np.array([0, 0, 0, 5, 5, 7]))
    first, people = reach_sets(att, np.array([7, 8]), np.array([8, 9]))
    reach = {v: people[first[v] : first[v + 1]].tolist() for v in (0, 5, 7)}
    assert reach == {0: [0, 1, 2, 3], 5: [3, 4, 5], 7: [6, 7, 8, 9]}
    team = team_reach(first, people, 3)
    assert team.chosen.tolist() == [0, 7, 5]  # 5 adds 2 new people, not 3
    assert team.gains.tolist() == [4, 4, 2]
    assert team.total == 10
    assert team.overlap.tolist() == [[4, 0, 1], [0, 4, 0], [1, 0, 3]]


def test_team_reach_constraints(generated):
    att, snap = generated.attention, generated.snapshot
    first, people = reach_sets(att, snap.referral_inviter, snap.referral_invitee)
    community = np.arange(att.n) % 3
    free = team_reach(first, people, 6)
    fixed = team_reach(
        first,
        people,
        6,
        Constraints(
            exclude=free.chosen[:1], include=np.array([7]), community=community, per_community=2
        ),
    )
    assert fixed.chosen[0] == 7
    assert free.chosen[0] not in fixed.chosen
    assert np.bincount(community[fixed.chosen]).max() <= 2
    assert np.array_equal(np.diag(fixed.overlap), fixed.reach)


def test_voterank_and_kshell_equal_networkx(generated):
    graph = influence_graph(generated.attention)
    g = nx.DiGraph(zip(graph.src.tolist(), graph.dst.tolist(), strict=True))
    g.add_nodes_from(range(graph.n))
    assert voterank_order(graph, 25).tolist() == nx.voterank(g, 25)
    core = nx.core_number(nx.Graph(g))
    kshell = spreader_scores("kshell", generated.attention, graph)
    assert kshell.tolist() == [core[v] for v in range(graph.n)]


def test_leaderrank_conserves_mass_and_ranks_the_followed_first():
    att = EdgeList.build(5, np.array([1, 2, 3, 4, 0]), np.array([0, 0, 0, 0, 1]))
    scores = leaderrank_scores(att)
    assert scores.sum() == pytest.approx(5.0)  # n units on n + 1 nodes, ground's spread
    assert int(np.argmax(scores)) == 0


def test_sir_spreads_match_simulation(generated):
    graph = generated.graph
    beta = 1.5 * epidemic_threshold(graph)
    spreads = sir_spreads(graph, beta, 200_000, seed=1)
    uniform = influence_graph(generated.attention, "uniform", p=beta)
    for v in np.argsort(spreads)[-3:]:
        simulated = simulate_spread(uniform, [int(v)], "ic", 5000, seed=3).mean
        assert spreads[v] == pytest.approx(simulated, rel=0.1)


@pytest.mark.parametrize("name", DEFAULT_RANKERS)
def test_default_rankers_beat_degree(generated, name):
    """SIR protocol: β = 1.5 β_c; Kendall τ against each user's simulated spread."""
    graph = generated.graph
    spreads = sir_spreads(graph, 1.5 * epidemic_threshold(graph), 200_000, seed=2)
    tau = {r: kendall_tau(spreader_scores(r, generated.attention, graph), spreads) for r in RANKERS}
    assert tau[name] > tau["degree"]
    assert set(DEFAULT_RANKERS) == {r for r in RANKERS if tau[r] > tau["degree"]}
