"""Warm starts from the previous run (every run's default; refresh also carries betweenness
over), --resolution auto and --min-community-size on planted partitions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from graphsvc.analysis import previous_from_output, run_pipeline
from graphsvc.model import AnalysisParams, GraphSnapshot, InteractionKind
from graphsvc.synth import block_model_pairs
from tests.builders import columns_snapshot, nmi

REPLY = InteractionKind.REPLY.code


def planted(
    n_blocks: int, size: int, p_in: float, p_out: float, seed: int, extra: float = 0.0
) -> tuple[GraphSnapshot, np.ndarray]:
    """A stochastic block model as replies in both directions, one explicit group per block;
    ``extra`` adds that share of random replies (the delta of a refresh)."""
    rng = np.random.default_rng(seed)
    n = n_blocks * size
    block = np.repeat(np.arange(n_blocks), size)
    src, dst = block_model_pairs(block, p_in, p_out, rng)
    if extra:
        k = int(len(src) * extra)
        src = np.concatenate([src, rng.integers(0, n, k)])
        dst = np.concatenate([dst, rng.integers(0, n, k)])
    src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    pairs = np.unique(np.column_stack([src, dst])[src != dst], axis=0)
    snapshot = columns_snapshot(
        [f"u{i:05d}" for i in range(n)],
        src=pairs[:, 0],
        dst=pairs[:, 1],
        group_ids=[f"g{j:03d}" for j in range(n_blocks)],
        member=np.arange(n),
        member_group=block,
    )
    return snapshot, block


@pytest.fixture(scope="module")
def refreshed() -> dict:
    params = AnalysisParams()
    before, _ = planted(40, 50, 0.2, 0.002, seed=1)
    after, truth = planted(40, 50, 0.2, 0.002, seed=1, extra=0.01)
    first = run_pipeline(before, params)
    previous = previous_from_output("run-1", first)
    return {
        "first": first,
        "cold": run_pipeline(after, params, previous=previous, cold=True),
        "warm": run_pipeline(after, params, previous=previous),
        "refresh": run_pipeline(after, params, previous=previous, refresh=True),
        "truth": truth,
    }


def test_warm_start_agrees_with_a_cold_run(refreshed) -> None:
    cold, warm = refreshed["cold"].users.columns, refreshed["warm"].users.columns
    assert nmi(cold["community_id"], warm["community_id"]) >= 0.95
    assert nmi(warm["community_id"], refreshed["truth"]) >= 0.95
    # PageRank converges to the same fixed point from the previous vector.
    np.testing.assert_allclose(warm["influence"], cold["influence"], atol=1e-9)
    assert (warm["tier"] == cold["tier"]).mean() >= 0.95


def test_refresh_carries_betweenness_over_and_says_so(refreshed) -> None:
    first, refresh, warm = refreshed["first"], refreshed["refresh"], refreshed["warm"]
    assert refresh.stats["warm_from"] == warm.stats["warm_from"] == "run-1"
    assert refresh.stats["betweenness_method"] == "carried over from run-1"
    np.testing.assert_array_equal(
        refresh.users.columns["betweenness"], first.users.columns["betweenness"]
    )
    assert warm.stats["betweenness_method"] == refreshed["cold"].stats["betweenness_method"]
    assert "cold_modularity" in warm.stats  # checked against a cold run; a refresh is not
    assert "cold_modularity" not in refresh.stats
    assert refreshed["cold"].stats["warm_from"] is None
    assert refreshed["cold"].stats["community_start"] == "cold"
    np.testing.assert_array_equal(
        refresh.users.columns["community_id"], warm.users.columns["community_id"]
    )


def test_warm_start_keeps_community_ids(refreshed) -> None:
    before = refreshed["first"].users.columns["community_id"]
    after = refreshed["warm"].users.columns["community_id"]
    assert (before == after).mean() >= 0.95


def test_auto_resolution_picks_the_one_agreeing_with_groups() -> None:
    # 8 blocks of 30 with strong ties, paired into 4 looser super-blocks: groups are the blocks.
    snapshot, block = planted(8, 30, 0.5, 0.0, seed=2)
    rng = np.random.default_rng(3)
    extra = [(u, v) for u in range(240) for v in range(240) if u // 60 == v // 60 and u != v]
    pick = rng.random(len(extra)) < 0.12
    pairs = np.array(extra)[pick]
    snapshot = dataclasses.replace(
        snapshot,
        interaction_src=np.concatenate([snapshot.interaction_src, pairs[:, 0]]),
        interaction_dst=np.concatenate([snapshot.interaction_dst, pairs[:, 1]]),
        interaction_kind=np.full(len(snapshot.interaction_src) + len(pairs), REPLY, np.int8),
        interaction_count=np.ones(len(snapshot.interaction_src) + len(pairs), np.int64),
        interaction_days=np.ones(len(snapshot.interaction_src) + len(pairs), np.int64),
        interaction_weight=np.ones(len(snapshot.interaction_src) + len(pairs)),
    )
    low = run_pipeline(snapshot, AnalysisParams(resolution=0.25))
    auto = run_pipeline(snapshot, AnalysisParams(auto_resolution=True))
    agreement = auto.stats["resolution_agreement"]
    assert set(agreement) == {"0.25", "0.5", "1.0", "2.0", "4.0"}
    assert agreement[str(auto.stats["resolution"])] == max(agreement.values())
    assert nmi(auto.users.columns["community_id"], block) > nmi(
        low.users.columns["community_id"], block
    )
    assert nmi(auto.users.columns["community_id"], block) >= 0.95


def test_small_communities_are_unassigned_not_singletons() -> None:
    # 20 blocks of 3 users and 4 blocks of 20; nothing links the blocks.
    snapshot, _ = planted(1, 60, 1.0, 0.0, seed=4)
    sizes = [3] * 20 + [20] * 4
    block = np.repeat(np.arange(len(sizes)), sizes)
    a, b = np.nonzero(np.equal.outer(block, block) & ~np.eye(len(block), dtype=bool))
    ones = np.ones(len(a), dtype=np.int64)
    snapshot = dataclasses.replace(
        snapshot,
        user_ids=np.array([f"u{i:05d}" for i in range(len(block))]),
        interaction_src=a,
        interaction_dst=b,
        interaction_kind=np.full(len(a), REPLY, np.int8),
        interaction_count=ones,
        interaction_days=ones,
        interaction_weight=ones.astype(float),
        group_ids=np.array([], dtype=str),
        group_owner=np.empty(0, np.int64),
        membership_user=np.empty(0, np.int64),
        membership_group=np.empty(0, np.int64),
        membership_role=np.empty(0, np.int8),
    )
    out = run_pipeline(snapshot, AnalysisParams(min_community_size=5))
    ids = out.users.columns["community_id"]
    assert out.stats["n_communities"] == 4
    assert (ids[:60] == "").all()
    assert out.stats["n_unassigned"] == 60
    assert len({c.community_id for c in out.communities}) == 4


def test_warm_start_moves_only_changed_users_alone(refreshed) -> None:
    first, warm = refreshed["first"].users.columns, refreshed["warm"]
    cols = warm.users.columns
    changed = (cols["in_strength"] != first["in_strength"]) | (
        cols["out_strength"] != first["out_strength"]
    )
    assert 0 < changed.sum() < len(changed) / 2
    assert warm.stats["warm_free_users"] == (changed | (first["community_id"] == "")).sum()
    assert "warm_free_users" not in refreshed["cold"].stats
    # unchanged users of one previous community stay together
    kept = ~changed & (first["community_id"] != "")
    for before in np.unique(first["community_id"][kept]):
        assert len(np.unique(cols["community_id"][kept & (first["community_id"] == before)])) == 1
    # a previous run without strengths (older stores): every user moves alone, as before
    previous = dataclasses.replace(
        previous_from_output("run-1", refreshed["first"]), in_strength=None, out_strength=None
    )
    planted_after, _ = planted(40, 50, 0.2, 0.002, seed=1, extra=0.01)
    plain = run_pipeline(planted_after, AnalysisParams(), previous=previous)
    assert plain.stats["warm_free_users"] is None
    assert nmi(plain.users.columns["community_id"], cols["community_id"]) >= 0.95
