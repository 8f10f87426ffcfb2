"""run_pipeline end to end on small graphs: Zachary's karate club, planted tiers, the output
contract, determinism."""

from __future__ import annotations

import dataclasses

import igraph as ig
import networkx as nx
import numpy as np
import pytest

from graphsvc.analysis import STAGES, run_pipeline
from graphsvc.model import (
    USER_RESULT_COLUMNS,
    AnalysisParams,
    GraphSnapshot,
    Tier,
)
from graphsvc.synth import block_model_pairs
from tests.builders import snapshot_of


def build(
    n: int,
    interactions: list[tuple[int, int, str, int]],
    referrals: list[tuple[int, int]] = (),
    groups: dict[str, tuple[int, list[int]]] | None = None,
) -> GraphSnapshot:
    """interactions: (src, dst, kind, count); groups: id → (declared owner, members)."""
    gids = sorted(groups or {})
    return snapshot_of(
        n,
        interactions,
        referrals,
        groups=[(g, groups[g][0]) for g in gids],
        memberships=[(u, j) for j, g in enumerate(gids) for u in groups[g][1]],
    )


def karate() -> GraphSnapshot:
    edges = ig.Graph.Famous("Zachary").get_edgelist()
    both = [(a, b, "reply", 1) for a, b in edges] + [(b, a, "reply", 1) for a, b in edges]
    return build(34, both)


def test_karate_club_leaders_and_factions():
    out = run_pipeline(karate(), AnalysisParams())
    community = out.users.columns["community_id"]
    leaders = {c.community_id: c.owner_id for c in out.communities}
    assert leaders[community[0]] == "u00"  # Mr. Hi
    assert leaders[community[33]] == "u33"  # the officer
    assert community[0] != community[33]
    club = nx.get_node_attributes(nx.karate_club_graph(), "club")
    faction = np.array([club[i] for i in range(34)])
    agree = 0
    for cid in set(community.tolist()):
        members = community == cid
        _values, counts = np.unique(faction[members], return_counts=True)
        agree += counts.max()
    print(
        f"\nkarate: {out.stats['n_communities']} communities, Q={out.stats['modularity']:.4f}, "
        f"{agree}/34 members in a community of their faction's majority"
    )
    assert agree / 34 >= 0.9
    assert out.stats["modularity"] == pytest.approx(0.4198, abs=1e-3)  # the known optimum


def planted_tiers() -> GraphSnapshot:
    """Four 12-member communities (vertices 12c..12c+11, leader 12c) chatting inside; vertex 48
    is a super user every community talks to and who answers everyone; vertex 5 is a lurker
    that its community mentions but who never acts; 49 is isolated."""
    rows = []
    for c in range(4):
        members = range(12 * c, 12 * c + 12)
        for a in members:
            if a == 5:
                continue
            for b in members:
                if a != b and (a + b) % 3 == 0:
                    rows.append((a, b, "reply", 1))
            if a != 12 * c:
                rows.append((a, 12 * c, "mention", 3))  # everyone talks to the leader
            rows.append((a, 5, "mention", 1)) if c == 0 and a != 5 else None
        for a in list(members)[1:7]:
            if a != 5:
                rows.append((a, 48, "reply", 4))
                rows.append((48, a, "reply", 2))
    return build(50, rows, groups={"g1": (0, [*range(12), 48])})


def test_lurker_is_tier_lurker_and_cross_community_hub_is_core():
    out = run_pipeline(planted_tiers(), AnalysisParams())
    rows = {r["user_id"]: r for r in out.users.rows()}
    assert rows["u05"]["in_strength"] > 0  # mentioned by the whole community ...
    assert rows["u05"]["tier"] == Tier.LURKER  # ... yet a lurker
    assert rows["u48"]["influence_rank"] == 1
    assert rows["u48"]["tier"] == Tier.CORE
    leaders = [rows[f"u{12 * c:02d}"]["tier"] for c in range(4)]
    assert leaders == [Tier.KOL] * 4
    assert rows["u49"]["tier"] == Tier.LURKER
    assert rows["u49"]["community_id"] == ""
    assert np.isnan(rows["u49"]["within_z"])
    assert rows["u49"]["role"] == ""
    group = out.groups[0]
    assert (group.declared_owner_id, group.effective_owner_id) == ("u00", "u00")


def test_output_contract():
    snap = planted_tiers()
    seen: list[str] = []
    out = run_pipeline(snap, AnalysisParams(), on_stage=seen.append)
    assert tuple(seen) == STAGES
    users = out.users
    assert users.user_id.tolist() == snap.user_ids.tolist()
    assert set(users.columns) == set(USER_RESULT_COLUMNS)
    kinds = {"str": "O", "int": "i", "float": "f"}
    for name, kind in USER_RESULT_COLUMNS.items():
        assert users.columns[name].dtype.kind == kinds[kind], name
        assert len(users.columns[name]) == snap.n_users
    rank = users.columns["influence_rank"]
    assert sorted(rank.tolist()) == list(range(1, snap.n_users + 1))
    influence = users.columns["influence"]
    order = np.argsort(rank)
    assert (np.diff(influence[order]) <= 0).all()
    ties = influence[order][:-1] == influence[order][1:]
    assert (order[:-1][ties] < order[1:][ties]).all()  # equal scores: user id order
    assert influence.sum() == pytest.approx(1.0)
    ids = [c.community_id for c in out.communities]
    assert ids == sorted(ids)
    assert set(users.columns["community_id"].tolist()) <= {*ids, ""}
    for key in ("n_users", "n_edges", "modularity", "n_communities", "betweenness_method"):
        assert key in out.stats
    assert set(out.stats["stage_seconds"]) == set(STAGES)


def test_same_input_same_output():
    snap = planted_tiers()
    params = AnalysisParams(seed=4)
    a, b = run_pipeline(snap, params), run_pipeline(snap, params)
    for name, kind in USER_RESULT_COLUMNS.items():
        x, y = a.users.columns[name], b.users.columns[name]
        assert np.array_equal(x, y, equal_nan=kind == "float"), name
    assert a.communities == b.communities
    assert a.groups == b.groups
    drop = {"stage_seconds", "stage_cpu_seconds"}
    assert {k: v for k, v in a.stats.items() if k not in drop} == {
        k: v for k, v in b.stats.items() if k not in drop
    }


def test_sub_communities_name_their_parent():
    """Two communities of four dense 60-member blocks, in a graph made large by 150 small
    cliques: modularity's resolution limit merges the blocks, the Dunbar split separates them."""
    rng = np.random.default_rng(4)
    block = np.repeat(np.arange(8), 60)
    a, b = block_model_pairs(block, 0.25, 0.0, rng, parent=block // 4, p_parent=0.04)
    rows = [(x, y, "reply", 1) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    for i in range(150):
        base = 480 + 10 * i
        rows += [(base + x, base + y, "like", 1) for x in range(10) for y in range(x)]
        rows.append((base, 480 + 10 * ((i + 1) % 150) + 1, "like", 1))
    out = run_pipeline(build(1980, rows), AnalysisParams())
    subs = [c for c in out.communities if c.parent_id is not None]
    tops = {c.community_id: c for c in out.communities if c.parent_id is None}
    assert [c.community_id for c in subs[:4]] == [f"c-0001.0{j}" for j in range(1, 5)]
    assert len(subs) == out.stats["n_subcommunities"] == 8
    for sub in subs:
        assert sub.community_id.startswith(sub.parent_id + ".")
        assert sub.size == 60
        assert tops[sub.parent_id].size == 240
        assert sub.owner_id is not None
    community = out.users.columns["community_id"]
    assert len(set(community[:60].tolist())) == 1
    assert community[0].startswith("c-000")
    assert "." in community[0]


def test_empty_and_edgeless_snapshots():
    for n in (0, 3):
        out = run_pipeline(build(n, []), AnalysisParams())
        assert len(out.users) == n
        assert out.communities == []
        assert out.users.columns["tier"].tolist() == [Tier.LURKER] * n
        assert out.users.columns["influence"].sum() == pytest.approx(1.0 if n else 0.0)


def test_referrals_without_interactions():
    out = run_pipeline(build(5, [], referrals=[(0, 1), (0, 2), (1, 3)]), AnalysisParams())
    assert out.users.columns["main_attention_kind"].tolist()[:2] == ["referral", "referral"]
    assert out.users.columns["downline"].tolist()[0] == 3


def test_params_are_plain_values():
    for f in dataclasses.fields(AnalysisParams):
        value = getattr(AnalysisParams(), f.name)
        assert isinstance(value, bool | int | float | str) or f.name == "kind_weights", f.name
