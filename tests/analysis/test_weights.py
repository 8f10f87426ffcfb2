"""Weights that matter: each knob moves rankings the expected way, attention flows to the
target, and repeated events saturate (a shill's 500 likes never outweigh 50 distinct fans)."""

from __future__ import annotations

import numpy as np
import pytest

from graphsvc.analysis.centrality import pagerank_scores
from graphsvc.analysis.graphs import attention_graph, shared_groups
from graphsvc.model import AnalysisParams, GraphSnapshot
from tests.builders import snapshot_of


def snap(
    n: int,
    interactions: list[tuple[int, int, str, int, int]] = (),  # src, dst, kind, count, days
    referrals: list[tuple[int, int]] = (),  # inviter, invitee
    memberships: list[tuple[int, int]] = (),  # user, group
    n_groups: int = 0,
) -> GraphSnapshot:
    return snapshot_of(
        [f"u{i:03d}" for i in range(n)],
        interactions,
        referrals,
        groups=[(f"g{j}", -1) for j in range(n_groups)],
        memberships=memberships,
    )


def influence(snapshot: GraphSnapshot, **params: object) -> np.ndarray:
    return pagerank_scores(attention_graph(snapshot, AnalysisParams(**params)))


def in_strength(snapshot: GraphSnapshot, **params: object) -> np.ndarray:
    return attention_graph(snapshot, AnalysisParams(**params)).in_strength()


def test_shill_with_500_likes_does_not_outrank_50_distinct_fans() -> None:
    # user 0: 500 likes from user 2 (one afternoon); user 1: one like from each of 50 fans.
    # The shill also likes 10 other users once, so PageRank sees how its attention splits.
    rows = [(2, 0, "like", 500, 1)] + [(f, 1, "like", 1, 1) for f in range(3, 53)]
    rows += [(2, u, "like", 1, 1) for u in range(53, 63)]
    graph = snap(63, rows)
    assert in_strength(graph)[1] > 40 * in_strength(graph)[0]
    assert influence(graph)[1] > influence(graph)[0]
    # Counting every event instead, the shill's target comes out on top by attention.
    linear = in_strength(graph, repeat_transform="linear")
    assert linear[0] > linear[1]
    assert influence(graph, repeat_transform="linear")[0] > influence(graph)[0]


def test_repeats_count_once_per_day_then_sublinearly() -> None:
    # Same 30 events: in one day, over 30 days; a 31st day adds less than the second did.
    graph = snap(4, [(0, 1, "reply", 30, 1), (0, 2, "reply", 30, 30), (0, 3, "reply", 31, 31)])
    strength = in_strength(graph)
    assert strength[1] == pytest.approx(1.0)
    assert strength[2] == pytest.approx(1.0 + np.log(30))
    assert 0 < strength[3] - strength[2] < np.log(2)


@pytest.mark.parametrize("heavier", ["purchase", "like"])
def test_kind_weight_moves_the_ranking(heavier: str) -> None:
    # Each of 20 senders buys from user 0 and likes user 1, once each.
    rows = [(s, 0, "purchase", 1, 1) for s in range(2, 22)]
    rows += [(s, 1, "like", 1, 1) for s in range(2, 22)]
    weights = {"purchase": 3.0, "like": 0.5} if heavier == "purchase" else {"like": 6.0}
    scores = influence(snap(22, rows), kind_weights={**weights})
    winner, loser = (0, 1) if heavier == "purchase" else (1, 0)
    assert scores[winner] > scores[loser]


def test_attention_flows_to_the_target() -> None:
    graph = snap(2, [(0, 1, "reply", 10, 5)])
    attention = attention_graph(graph, AnalysisParams())
    assert attention.out_strength()[0] > 0
    assert attention.in_strength()[0] == 0
    assert attention.in_strength()[1] > 0
    assert attention.out_strength()[1] == 0
    scores = pagerank_scores(attention)
    assert scores[1] > scores[0]


def test_referral_weight_moves_the_inviter() -> None:
    # User 0 invited users 2..11; each of them also replies once to user 1.
    invitees = range(2, 12)
    graph = snap(
        12, [(i, 1, "reply", 1, 1) for i in invitees], referrals=[(0, i) for i in invitees]
    )
    low, high = influence(graph, referral_weight=0.2), influence(graph, referral_weight=5.0)
    assert low[0] < low[1]
    assert high[0] > high[1]
    assert influence(graph, referral_weight=0.0)[0] == pytest.approx(min(influence(graph)))


def test_shared_groups_counts_common_groups_per_pair() -> None:
    graph = snap(
        4, memberships=[(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 1), (3, 3)], n_groups=4
    )
    src, dst = np.array([0, 1, 0, 2, 3]), np.array([1, 0, 2, 3, 3])
    assert shared_groups(graph, src, dst).tolist() == [2, 2, 1, 0, 1]


def test_shared_group_weight_strengthens_ties_inside_groups() -> None:
    # 10 senders like users 0 and 1 once each; the senders share a group with user 0 only.
    rows = [(s, u, "like", 1, 1) for s in range(2, 12) for u in (0, 1)]
    graph = snap(12, rows, memberships=[(u, 0) for u in (0, *range(2, 12))] + [(1, 1)], n_groups=2)
    assert influence(graph, shared_group_weight=0.0)[0] == pytest.approx(
        influence(graph, shared_group_weight=0.0)[1]
    )
    scores = influence(graph, shared_group_weight=1.0)
    assert scores[0] > 1.5 * scores[1]
    attention = attention_graph(graph, AnalysisParams(shared_group_weight=1.0))
    assert attention.in_strength()[0] == pytest.approx(10 * (0.5 + 1.0))
