"""Effective leaders: PageRank inside each block, overlapping groups, broadcasters, lurkers."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from graphsvc.analysis.centrality import pagerank_scores
from graphsvc.analysis.graphs import EdgeList
from graphsvc.analysis.leaders import (
    Leaders,
    block_leaders,
    block_pagerank,
    declared_owners,
    keep_incumbents,
)
from graphsvc.model import MemberRole
from tests.builders import reference_pagerank, snapshot_of


def test_overlapping_groups_match_pagerank_of_each_induced_subgraph():
    rng = np.random.default_rng(2)
    n, m = 60, 400
    graph = EdgeList.build(n, rng.integers(0, n, m), rng.integers(0, n, m), rng.random(m) + 0.1)
    groups = [rng.choice(n, size=rng.integers(3, 25), replace=False) for _ in range(12)]
    groups.append(np.array([5]))  # a one-member group
    users = np.concatenate(groups)
    block = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    result = block_leaders(graph, users, block, len(groups) + 1, tol=1e-13)  # last block empty

    full = nx.DiGraph()
    rows = zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True)
    full.add_weighted_edges_from(rows)
    full.add_nodes_from(range(n))
    for j, members in enumerate(groups[:-1]):
        ref = reference_pagerank(full.subgraph(members.tolist()))
        ranked = sorted(ref, key=lambda v: (-ref[v], v))
        assert result.leader[j] == ranked[0]
        assert result.runner_up[j] == ranked[1]
        top, second = ref[ranked[0]], ref[ranked[1]]
        assert result.margin[j] == pytest.approx((top - second) / top, abs=1e-6)
        mine = result.member_block == j
        scores = dict(
            zip(result.member_user[mine].tolist(), result.member_score[mine], strict=True)
        )
        assert scores == pytest.approx(ref, abs=1e-8)
    assert (result.leader[-2], result.runner_up[-2], result.margin[-2]) == (5, -1, 1.0)
    assert result.leader[-1] == -1
    assert np.isnan(result.margin[-1])
    assert result.size.tolist() == [len(g) for g in groups] + [0]


def test_partition_and_overlap_paths_agree():
    rng = np.random.default_rng(3)
    n = 40
    graph = EdgeList.build(n, rng.integers(0, n, 200), rng.integers(0, n, 200))
    block = rng.integers(0, 4, n)
    plain = block_leaders(graph, np.arange(n), block, 5)
    # the same partition plus one extra block holding everyone forces the overlap join
    both = block_leaders(graph, np.r_[np.arange(n), np.arange(n)], np.r_[block, np.full(n, 4)], 5)
    assert plain.leader[:4].tolist() == both.leader[:4].tolist()
    np.testing.assert_allclose(plain.margin[:4], both.margin[:4], atol=1e-9)


def community_with_broadcaster():
    """Vertex 0 is an official account messaging all 20 members; vertex 1 is the member the
    others reply to; members also talk among themselves a little."""
    src = [0] * 20 + list(range(2, 21)) + [2, 3, 4, 5]
    dst = list(range(1, 21)) + [1] * 19 + [3, 4, 5, 2]
    weight = [5.0] * 20 + [1.0] * 19 + [1.0] * 4
    return EdgeList.build(21, src, dst, weight)


def test_broadcast_only_account_does_not_lead():
    graph = community_with_broadcaster()
    assert graph.out_strength().argmax() == 0  # the loudest account ...
    result = block_leaders(graph, np.arange(21), np.zeros(21, dtype=np.int64), 1)
    assert result.leader[0] == 1  # ... is not the leader
    assert result.runner_up[0] != 0
    assert result.margin[0] > 0.5


def test_lurkers_do_not_lead_when_excluded():
    # everyone mentions vertex 0, who never acts; vertex 1 receives the next most attention
    src = list(range(1, 10)) + list(range(2, 10))
    dst = [0] * 9 + [1] * 8
    graph = EdgeList.build(10, src, dst)
    members, block = np.arange(10), np.zeros(10, dtype=np.int64)
    assert block_leaders(graph, members, block, 1).leader[0] == 0
    eligible = graph.out_strength() > 0
    result = block_leaders(graph, members, block, 1, eligible=eligible)
    assert result.leader[0] == 1
    assert result.runner_up[0] not in (0, 1)
    nobody = block_leaders(graph, members, block, 1, eligible=np.zeros(10, dtype=bool))
    assert nobody.leader[0] == 0  # no eligible member: everyone is a candidate


def test_declared_owner_falls_back_to_membership_role():
    owner, admin, member = (role.code for role in MemberRole)
    snap = snapshot_of(
        ["a", "b", "c"],
        groups=[("g1", 2), ("g2", -1), ("g3", -1)],
        memberships=[(0, 0, owner), (1, 0, member), (2, 1, owner), (0, 1, member), (1, 2, admin)],
    )
    assert declared_owners(snap).tolist() == [2, 2, -1]


def test_block_pagerank_is_each_blocks_own_pagerank():
    # blocks of every kind: dangling members, a two-cycle (periodic), a lone vertex, no edges
    rng = np.random.default_rng(5)
    # vertices of a block interleaved with the others': compaction must keep them apart
    sizes = [30, 12, 2, 1, 5, 40]
    block = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    n = len(block)
    src, dst = rng.integers(0, n, 900), rng.integers(0, n, 900)
    inside = (block[src] == block[dst]) & (block[src] != 4)
    graph = EdgeList.build(n, src[inside], dst[inside], rng.random(int(inside.sum())) + 0.1)
    scores = block_pagerank(graph, block, len(sizes) + 1, tol=1e-13)  # the last block is empty
    for j in range(len(sizes)):
        members = np.flatnonzero(block == j)
        keep = np.isin(graph.src, members)
        local = np.searchsorted(members, np.stack([graph.src[keep], graph.dst[keep]]))
        alone = EdgeList(len(members), local[0], local[1], graph.weight[keep], directed=True)
        own = pagerank_scores(alone, tol=1e-14)
        np.testing.assert_allclose(scores[members], own, rtol=0, atol=1e-11)
    assert np.bincount(block, scores) == pytest.approx(1.0)


def test_warm_started_block_leaders_equal_cold_ones():
    rng = np.random.default_rng(6)
    n, m = 400, 3000
    block = rng.integers(0, 8, n)
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    weight = rng.random(m) + 0.1
    before = EdgeList.build(n, src, dst, weight)
    extra = rng.integers(0, m, 30)  # a small delta: 1% more weight on some edges, a few new
    after = EdgeList.build(
        n,
        np.concatenate([src, src[extra], rng.integers(0, n, 10)]),
        np.concatenate([dst, dst[extra], rng.integers(0, n, 10)]),
        np.concatenate([weight, rng.random(40) + 0.1]),
    )
    users = np.arange(n)
    previous = block_leaders(before, users, block, 8)
    start = np.full(n, np.nan)
    start[previous.member_user] = previous.member_score
    start[:5] = np.nan  # new users
    cold = block_leaders(after, users, block, 8)
    warm = block_leaders(after, users, block, 8, start=start)
    np.testing.assert_allclose(warm.member_score, cold.member_score, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(warm.leader, cold.leader)
    np.testing.assert_array_equal(warm.runner_up, cold.runner_up)
    np.testing.assert_allclose(warm.margin, cold.margin, rtol=0, atol=1e-8)


def test_ties_go_to_the_smaller_vertex_and_lurkers_do_not_lead():
    # block 0: a directed 3-cycle 7 → 4 → 9 → 7 (equal scores); block 1: a star into 2 whose
    # centre is not eligible, so the best eligible member leads (ties again by index)
    src, dst = np.array([7, 4, 9, 1, 3, 5]), np.array([4, 9, 7, 2, 2, 2])
    graph = EdgeList.build(10, src, dst)
    users = np.array([9, 7, 4, 5, 2, 3, 1])  # any order
    block = np.array([0, 0, 0, 1, 1, 1, 1])
    eligible = np.ones(10, dtype=bool)
    eligible[2] = False
    result = block_leaders(graph, users, block, 2, eligible=eligible, tol=1e-13)
    assert result.leader.tolist() == [4, 1]
    assert result.runner_up.tolist() == [7, 3]
    assert result.margin == pytest.approx([0.0, 0.0], abs=1e-9)


def test_owner_stays_until_overtaken_by_the_margin():
    # blocks (members: in-block PageRank): 0 (u0 .31, u1 .33, u2 .36), 1 (u3 .3, u4 .7),
    # 2 (u5 .6, u6 .4), 3 (u8 .6, u9 .4), 4 (u10 1), 5 (u11 1)
    member_user = np.array([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11])
    member_block = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5])
    score = np.array([0.31, 0.33, 0.36, 0.3, 0.7, 0.6, 0.4, 0.6, 0.4, 1.0, 1.0])
    lead = Leaders(
        leader=np.array([2, 4, 5, 8, 10, 11]),
        runner_up=np.array([1, 3, 6, 9, -1, -1]),
        margin=np.array([0.36 - 0.33, 0.4, 0.2, 0.2, 1.0, 1.0]) / [0.36, 0.7, 0.6, 0.6, 1, 1],
        size=np.array([3, 2, 2, 2, 1, 1]),
        member_user=member_user,
        member_block=member_block,
        member_score=score,
        member_in_weight=np.ones(11),
    )
    user_ids = np.array([f"u{i}" for i in range(12)])
    eligible = np.ones(12, dtype=bool)
    eligible[9] = False  # u9 is a lurker now
    incumbent = np.array([1, 3, 7, 9, 10, -1])
    kept, reasons = keep_incumbents(lead, incumbent, 0.1, user_ids, eligible=eligible)
    assert kept.leader.tolist() == [1, 4, 5, 8, 10, 11]
    assert kept.runner_up[0] == 2
    assert kept.margin[0] == pytest.approx((0.33 - 0.36) / 0.33)  # negative: held by hysteresis
    assert kept.margin[1:].tolist() == pytest.approx(lead.margin[1:].tolist())
    assert reasons == [
        "u1 stays owner: u2 is 9% ahead, short of 10%",
        "owner changed: u4 overtook u3 by 133%",
        "owner changed: u7 left, u5 leads",
        "owner changed: u9 no longer acts, u8 leads",
        "",
        "",
    ]
    unchanged, none = keep_incumbents(lead, np.full(6, -1), 0.1, user_ids)
    assert unchanged.leader.tolist() == lead.leader.tolist()
    assert none == [""] * 6
