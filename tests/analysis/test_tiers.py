"""Tier rules and their building blocks: engagement, reach, medians, precedence."""

from __future__ import annotations

import numpy as np
import pytest

from graphsvc.analysis.graphs import EdgeList
from graphsvc.analysis.tiers import (
    assign_tiers,
    community_reach,
    effective_count,
    engagement_scores,
    group_median,
    influence_order,
)
from graphsvc.model import AnalysisParams, GraphSnapshot, InteractionKind


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
    kinds = np.array([InteractionKind.REPLY.code, InteractionKind.LIKE.code, 0], dtype=np.int8)
    empty = np.zeros(0, dtype=np.int64)
    snap = GraphSnapshot(
        user_ids=np.array(["a", "b", "c"]),
        interaction_src=np.array([0, 1, 2]),
        interaction_dst=np.array([1, 0, 2]),  # c only messages itself
        interaction_kind=kinds,
        interaction_count=np.array([1, 2, 1]),
        interaction_days=np.array([1, 2, 1]),
        interaction_weight=np.array([1.0, 2.0, 1.0]),
        referral_inviter=np.array([2, 2]),
        referral_invitee=np.array([0, 1]),
        group_ids=np.array([], dtype=str),
        group_owner=empty,
        membership_user=empty,
        membership_group=empty,
        membership_role=np.zeros(0, dtype=np.int8),
    )
    got = engagement_scores(snap, AnalysisParams(referral_weight=0.5, repeat_transform="linear"))
    assert got.tolist() == [1.0, 1.0, 1.0]  # reply 1×1; like 0.5×2; two referrals × 0.5


def test_precedence_lurker_core_kol_active_member():
    n = 200
    engagement = np.full(n, 2.0)
    engagement[::2] = 1.0  # the community median is 1.5
    influence = np.linspace(1.0, 0.0, n, endpoint=False)
    role = np.full(n, "peripheral", dtype=object)
    leader = np.zeros(n, dtype=bool)
    reach = np.zeros(n)
    engagement[0], reach[0] = 0.0, 5.0  # top influence and reach, but never acts
    reach[1] = 3.0  # top 1% (2 users) with reach
    leader[1] = leader[3] = True
    role[5] = "provincial_hub"
    tiers = assign_tiers(
        engagement=engagement,
        influence=influence,
        role=role,
        leaf=np.zeros(n, dtype=np.int64),
        is_leader=leader,
        communities_reached=reach,
        groups_reached=np.zeros(n),
        params=AnalysisParams(),
    )
    assert tiers[:8].tolist() == [
        "lurker",
        "core",
        "member",
        "kol",
        "member",
        "kol",
        "member",
        "active",
    ]
    group_reach = np.zeros(n)
    group_reach[2] = 2.0
    tiers = assign_tiers(
        engagement=engagement,
        influence=influence,
        role=role,
        leaf=np.zeros(n, dtype=np.int64),
        is_leader=leader,
        communities_reached=np.zeros(n),
        groups_reached=group_reach,
        params=AnalysisParams(core_top_fraction=0.015),  # top 3 users
    )
    assert tiers[1:4].tolist() == ["kol", "core", "kol"]


def test_influence_order_breaks_ties_by_vertex():
    assert influence_order(np.array([0.1, 0.3, 0.3, 0.2])).tolist() == [1, 2, 3, 0]
