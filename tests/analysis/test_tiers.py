"""Tier rules and their building blocks: engagement, reach, standing, medians, precedence,
hysteresis."""

from __future__ import annotations

import numpy as np
import pytest

from graphsvc.analysis.graphs import EdgeList
from graphsvc.analysis.tiers import (
    assign_tiers,
    attention_standing,
    community_reach,
    effective_count,
    engagement_scores,
    group_median,
    influence_order,
)
from graphsvc.model import AnalysisParams
from tests.builders import snapshot_of


def test_group_median_matches_numpy():
    rng = np.random.default_rng(0)
    values = rng.random(200)
    group = rng.integers(0, 7, 200)
    medians = group_median(values, group, 8)
    for g in range(7):
        assert medians[g] == pytest.approx(np.median(values[group == g]))
    assert np.isnan(medians[7])


def test_effective_count_and_reach():
    assert effective_count(np.array([0, 0, 0, 1]), np.array([1.0, 1.0, 1.0, 5.0]), 3).tolist() == [
        3.0,
        1.0,
        0.0,
    ]
    # vertex 0 (community 0) hears from its 9 members 10 times each and once from community 1;
    # vertex 1 hears equally from communities 0, 1 and 2
    label = np.repeat(np.arange(3), 10)
    src = [*range(1, 11), 2, 12, 22]
    dst = [0] * 10 + [1, 1, 1]
    weight = [10.0] * 9 + [1.0] + [3.0, 3.0, 3.0]
    reach = community_reach(EdgeList.build(30, src, dst, weight), label)
    assert reach[0] == pytest.approx(91**2 / (90**2 + 1))  # ≈ 1.02
    assert reach[1] == pytest.approx(3.0)
    assert reach[2] == 0.0


def test_engagement_counts_own_actions_only():
    snap = snapshot_of(
        ["a", "b", "c"],
        [(0, 1, "reply", 1), (1, 0, "like", 2), (2, 2, "message", 1)],  # c only messages itself
        referrals=[(2, 0), (2, 1)],
    )
    got = engagement_scores(snap, AnalysisParams(referral_weight=0.5, repeat_transform="linear"))
    assert got.tolist() == [1.0, 1.0, 1.0]  # reply 1×1; like 0.5×2; two referrals × 0.5


def _tiers(**given):
    """assign_tiers on 200 users of one community: engagement 1 or 2 (median 1.5), standing
    1, no role, reach or leadership, with ``given`` replacing any of them."""
    n = 200
    engagement = np.full(n, 2.0)
    engagement[::2] = 1.0
    args = {
        "engagement": engagement,
        "standing": np.ones(n),
        "role": np.full(n, "peripheral", dtype=object),
        "leaf": np.zeros(n, dtype=np.int64),
        "is_leader": np.zeros(n, dtype=bool),
        "communities_reached": np.zeros(n),
        "groups_reached": np.zeros(n),
        "params": AnalysisParams(),
    }
    return assign_tiers(**(args | given))


def test_precedence_lurker_core_kol_active_member():
    n = 200
    engagement = np.full(n, 2.0)
    engagement[::2] = 1.0  # the community median is 1.5
    standing, reach = np.ones(n), np.zeros(n)
    engagement[0], standing[0], reach[0] = 0.0, 9.0, 5.0  # attended to everywhere, never acts
    standing[1], reach[1] = 3.0, 3.0  # standing and reach on their boundaries
    standing[2], reach[2] = 2.9, 9.0  # reach, not the standing
    leader = np.zeros(n, dtype=bool)
    leader[1] = leader[3] = True
    role = np.full(n, "peripheral", dtype=object)
    role[5] = "provincial_hub"
    tiers = _tiers(
        engagement=engagement,
        standing=standing,
        communities_reached=reach,
        is_leader=leader,
        role=role,
    )
    assert tiers.tier[:8].tolist() == [
        "lurker",
        "core",
        "member",
        "kol",
        "member",
        "kol",
        "member",
        "active",
    ]
    assert not tiers.reason.any()  # no previous tiers: no hysteresis
    group_reach = np.zeros(n)
    group_reach[2] = 2.0
    tiers = _tiers(standing=np.full(n, 3.0), groups_reached=group_reach, is_leader=leader)
    assert tiers.tier[1:4].tolist() == ["kol", "core", "kol"]


def test_core_does_not_depend_on_the_graph_size():
    # the same user among 200 or among 20,000: the same tier (no top share of the graph)
    small = _tiers(standing=np.full(200, 4.0), communities_reached=np.full(200, 3.5))
    assert (small.tier[1::2] == "core").all()
    n = 20_000
    big = assign_tiers(
        engagement=np.tile([1.0, 2.0], n // 2),
        standing=np.full(n, 4.0),
        role=np.full(n, "peripheral", dtype=object),
        leaf=np.zeros(n, dtype=np.int64),
        is_leader=np.zeros(n, dtype=bool),
        communities_reached=np.full(n, 3.5),
        groups_reached=np.zeros(n),
        params=AnalysisParams(),
    )
    assert (big.tier == "core").all()


def test_tiers_keep_until_clearly_past_the_boundary():
    n = 200
    standing = np.full(n, 1.0)
    standing[:4] = [2.5, 2.3, 3.3, 3.7]  # 83%, 77%, 110%, 123% of the core boundary (3)
    engagement = np.full(n, 2.0)
    engagement[::2] = 1.0  # median 1.5
    engagement[10:14] = [1.3, 1.1, 1.7, 1.9]  # 87%, 73%, 113%, 127% of the active boundary
    previous = np.full(n, "member", dtype=object)
    previous[:2] = "core"  # core before: keeps it down to 80%
    previous[10:12] = "active"  # active before: keeps it down to 80%
    tiers = _tiers(
        engagement=engagement,
        standing=standing,
        communities_reached=np.full(n, 9.0),
        previous=previous,
    )
    assert tiers.tier[:4].tolist() == ["core", "active", "member", "core"]
    assert tiers.tier[10:14].tolist() == ["active", "member", "member", "active"]
    assert tiers.reason[0] == "kept core: at 83% of its boundary (kept down to 80%)"
    assert tiers.reason[2] == "not core yet: at 110% of its boundary (moves up above 120%)"
    assert tiers.reason[10] == "kept active: at 87% of its boundary (kept down to 80%)"
    assert tiers.reason[12] == "not active yet: at 113% of its boundary (moves up above 120%)"
    assert tiers.reason[[1, 3, 11, 13]].tolist() == ["", "", "", ""]
    # without a previous tier (a new user) the plain boundary decides
    fresh = _tiers(engagement=engagement, standing=standing, communities_reached=np.full(n, 9.0))
    assert fresh.tier[:4].tolist() == ["member", "active", "core", "core"]


def test_influence_order_breaks_ties_by_vertex():
    assert influence_order(np.array([0.1, 0.3, 0.3, 0.2])).tolist() == [1, 2, 3, 0]


def test_attention_standing_counts_average_members_worth():
    # community 0: 0 -> 1 (w 4) and 1 -> 0 (w 2): internal 6 over 2 members, average 3;
    # community 1: 2 -> 3 (w 1), 3 -> 2 (w 1): average 1. User 4 (no community) gets 3 from
    # community 0 (1 average member's worth) and 2 from community 1 (2 worth): standing 3.
    src = np.array([0, 1, 2, 3, 0, 2])
    dst = np.array([1, 0, 3, 2, 4, 4])
    graph = EdgeList.build(5, src, dst, np.array([4.0, 2, 1, 1, 3, 2]), directed=True)
    label = np.array([0, 0, 1, 1, -1])
    assert attention_standing(graph, label).tolist() == pytest.approx([2 / 3, 4 / 3, 1, 1, 3])
