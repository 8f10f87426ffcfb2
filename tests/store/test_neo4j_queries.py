"""The analyst queries of cypher/queries, run on a generated graph analysed into the real Neo4j,
each answer checked against the store's own answer for the current run."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from graphsvc import ingest, synth
from graphsvc.cli.db import run_cypher
from graphsvc.jobs.analyze import analyze, history_days, snapshot_fingerprint
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, EdgeKind, Entity
from graphsvc.store.base import UserQuery
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.sqlite import SqliteStore

pytestmark = pytest.mark.neo4j

QUERIES = Path(__file__).resolve().parents[2] / "cypher" / "queries"
PARAMS = AnalysisParams(dunbar=60)  # a small graph: still some communities over "Dunbar"


@pytest.fixture(scope="module")
def graph(_neo4j_session_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory):
    """A 1500-user generated graph with planted shills and fake invites, loaded and analysed
    twice (the second run is current)."""
    store = _neo4j_session_store
    store.wipe()
    store.init_schema()
    data = tmp_path_factory.mktemp("synth")
    synth.generate(data, users=1500, seed=5, shill_groups=0.3, fake_invite_bursts=3)
    ingest.load_files(ingest.discover(data), store)
    first = analyze(store, PARAMS).run
    second = analyze(store, AnalysisParams(dunbar=60, resolution=1.5), force=True).run
    return store, data, first, second


def query(store: Neo4jStore, name: str, **params) -> list[dict]:
    return run_cypher(store, (QUERIES / f"{name}.cypher").read_text(), params)[1]


def referral_parents(store: Neo4jStore) -> dict[str, str]:
    return {r.invitee_id: r.inviter_id for r in store.records(Entity.REFERRALS)}


def test_every_query_file_documents_question_parameters_and_example():
    files = sorted(QUERIES.glob("*.cypher"))
    assert len(files) >= 10
    for path in files:
        header = path.read_text().split("MATCH", 1)[0]
        assert "// Question:" in header, path.name
        assert "// Parameters:" in header, path.name
        assert "// Example: graphsvc cypher -f cypher/queries/" in header, path.name
        used = set(re.findall(r"\$(\w+)", path.read_text().split("\nMATCH", 1)[1]))
        for name in used:
            assert f"${name}" in header, f"{path.name}: ${name} is not documented"


def test_neo4j_snapshot_equals_sqlite_snapshot(graph, tmp_path):
    store, data, _, second = graph
    sqlite = SqliteStore(tmp_path / "g.db")
    sqlite.init_schema()
    ingest.load_files(ingest.discover(data), sqlite)
    try:
        assert store.counts() == sqlite.counts()
        for entity in (Entity.USERS, Entity.GROUPS, Entity.MEMBERSHIPS, Entity.REFERRALS):
            assert list(store.records(entity)) == list(sqlite.records(entity)), entity
        back = history_days(PARAMS)  # as analyze reads them
        ours, theirs = (
            build_snapshot(store, history_days=back),
            build_snapshot(sqlite, history_days=back),
        )
        assert snapshot_fingerprint(ours, PARAMS) == snapshot_fingerprint(theirs, PARAMS)
    finally:
        sqlite.close()
    assert second.fingerprint == snapshot_fingerprint(ours, second_params())


def test_a_window_reads_like_a_store_loaded_with_the_window_alone(graph, tmp_path):
    """Both stores' snapshots of a window of days equal the snapshot of a store that holds
    only that window's interactions (and, as of its last day, the referrals and joins)."""
    store, data, _, _ = graph
    with (data / "interactions.csv").open(encoding="utf-8") as f:
        days = sorted({_day(r["occurred_at"]) for r in csv.DictReader(f) if r["occurred_at"]})
    first, last = days[len(days) // 3], days[2 * len(days) // 3]
    window = tmp_path / "window"
    window.mkdir()
    for name in ("users", "groups"):
        (window / f"{name}.csv").write_bytes((data / f"{name}.csv").read_bytes())
    for name, column in (
        ("interactions", "occurred_at"),
        ("referrals", "referred_at"),
        ("memberships", "joined_at"),
    ):
        with (data / f"{name}.csv").open(encoding="utf-8") as src:
            reader = csv.DictReader(src)
            # interactions dated in the window; referrals and joins undated or by its end
            since = first if name == "interactions" else None
            kept = [r for r in reader if _within(r[column], since, last)]
        with (window / f"{name}.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, reader.fieldnames)
            writer.writeheader()
            writer.writerows(kept)
    alone = SqliteStore(tmp_path / "alone.db")
    alone.init_schema()
    ingest.load_files(ingest.discover(window), alone)
    embedded = SqliteStore(tmp_path / "all.db")
    embedded.init_schema()
    ingest.load_files(ingest.discover(data), embedded)
    span = {"since": first * 86_400, "until": last * 86_400 + 86_399}
    try:
        expected = build_snapshot(alone)
        for windowed in (build_snapshot(embedded, **span), build_snapshot(store, **span)):
            for name in SNAPSHOT_GRAPH:
                got, want = getattr(windowed, name), getattr(expected, name)
                assert (
                    np.allclose(got, want) if got.dtype.kind == "f" else np.array_equal(got, want)
                ), name
    finally:
        alone.close()
        embedded.close()


# What a window changes: the interaction graph, referrals and current members.
SNAPSHOT_GRAPH = (
    "interaction_src", "interaction_dst", "interaction_kind", "interaction_count",
    "interaction_weight", "interaction_days", "referral_inviter", "referral_invitee",
    "membership_user", "membership_group",
)  # fmt: skip


def _within(text: str, first: int | None, last: int) -> bool:
    """Whether a time is in [first, last] (days); empty counts only with no ``first``."""
    if not text:
        return first is None
    return (first is None or _day(text) >= first) and _day(text) <= last


def _day(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) // 86_400


def second_params() -> AnalysisParams:
    return AnalysisParams(dunbar=60, resolution=1.5)


def test_queries_read_the_current_run(graph):
    store, _, first, second = graph
    assert store.current_run().run_id == second.run_id != first.run_id
    rows = query(store, "top_kols", limit=5, tier=None)
    assert {r["run_id"] for r in rows} == {second.run_id}


def test_top_kols(graph):
    store, _, _, run = graph
    rows = query(store, "top_kols", limit=15, tier=None)
    expected = store.user_results(run.run_id, limit=15)
    assert [r["user_id"] for r in rows] == [e["user_id"] for e in expected]
    assert [r["influence_rank"] for r in rows] == list(range(1, 16))
    kols = query(store, "top_kols", limit=1000, tier="kol")
    assert [r["user_id"] for r in kols] == [
        e["user_id"] for e in store.user_results(run.run_id, tier="kol", limit=1000)
    ]
    assert kols


def test_community_kols(graph):
    store, _, _, run = graph
    rows = query(store, "community_kols", per_community=3, min_size=5)
    communities = [c for c in store.community_results(run.run_id) if c.size >= 5]
    assert [r["community_id"] for r in rows] == [c.community_id for c in communities]
    for row in rows:
        expected = store.user_results(run.run_id, community_id=row["community_id"], limit=3)
        assert row["top_user_ids"] == [e["user_id"] for e in expected]


def test_referral_upline_and_downline(graph):
    store, _, _, run = graph
    parent = referral_parents(store)
    children = defaultdict(list)
    for child, inviter in parent.items():
        children[inviter].append(child)
    deepest = max(store.user_results(run.run_id), key=lambda r: (r["referral_level"], r["user_id"]))
    assert deepest["referral_level"] >= 2
    upline = query(store, "referral_upline", user_id=deepest["user_id"])
    chain, node = [], deepest["user_id"]
    while node in parent:
        node = parent[node]
        chain.append(node)
    assert [r["user_id"] for r in upline] == chain
    assert [r["distance"] for r in upline] == list(range(1, len(chain) + 1))
    assert len(chain) == deepest["referral_level"]

    root = chain[-1]
    down = query(store, "referral_downline", user_id=root, max_depth=100)
    expected, frontier, depth = {}, [root], 0
    while frontier:
        depth += 1
        frontier = [c for p in frontier for c in children[p]]
        expected.update({c: depth for c in frontier})
    assert {r["user_id"]: r["depth"] for r in down} == expected
    assert len(down) == store.user_result(run.run_id, root)["downline"]
    shallow = query(store, "referral_downline", user_id=root, max_depth=1)
    assert sorted(r["user_id"] for r in shallow) == sorted(children[root])


def test_community_bridges(graph):
    store, _, _, run = graph
    community = {r["user_id"]: r["community_id"] for r in store.user_results(run.run_id)}
    users = store.users()
    name = dict(zip(users.uid.tolist(), users.user_id, strict=True))
    pairs: dict[tuple[str, str], dict[tuple[str, str], float]] = defaultdict(
        lambda: defaultdict(float)
    )
    for batch in store.edge_batches(EdgeKind.INTERACTED):
        columns = (batch.src.tolist(), batch.dst.tolist(), batch.props["weight"].tolist())
        for s, d, w in zip(*columns, strict=True):
            a, b = name[s], name[d]
            ca, cb = community[a], community[b]
            if ca != cb:
                pairs[(ca, cb)][(a, b)] += w
                pairs[(cb, ca)][(b, a)] += w
    (ca, cb), expected = max(pairs.items(), key=lambda kv: (len(kv[1]), kv[0]))
    rows = query(store, "community_bridges", a=ca, b=cb)
    got = {(r["user_a"], r["user_b"]): r["weight"] for r in rows}
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k]) for k in expected)
    assert [r["weight"] for r in rows] == sorted((r["weight"] for r in rows), reverse=True)


def test_owner_mismatch_groups(graph):
    store, _, _, run = graph
    rows = query(store, "owner_mismatch_groups", min_size=1)
    expected = [g for g in store.group_results(run.run_id) if g.owner_mismatch]
    assert [r["group_id"] for r in rows] == [g.group_id for g in expected]
    assert [r["effective_owner_id"] for r in rows] == [g.effective_owner_id for g in expected]
    assert expected, "the generated graph plants groups whose owner is not the leader"


def test_group_alarms(graph):
    store, _, _, run = graph
    assessed = [g for g in store.group_results(run.run_id) if g.alarms]
    expected = sorted(assessed, key=lambda g: (-g.members, g.group_id))
    rows = query(store, "group_alarms", alarm=None, limit=1000)
    assert [r["group_id"] for r in rows] == [g.group_id for g in expected]
    assert [r["reasons"] for r in rows] == [g.alarm_reasons for g in expected]
    quiet = query(store, "group_alarms", alarm="leader_quiet", limit=1000)
    assert [r["group_id"] for r in quiet] == [
        g.group_id for g in expected if "leader_quiet" in g.alarms.split(",")
    ]
    assert expected, "generated groups are quiet by the default thresholds"


def test_star_communities(graph):
    store, _, _, run = graph
    communities = store.community_results(run.run_id)
    stars = [c for c in communities if c.shape == "star"]
    assert stars
    rows = query(store, "star_communities", min_owner_share=0.0)
    assert [r["community_id"] for r in rows] == [c.community_id for c in stars]
    led = [r["owner_id"] for r in rows]
    assert led == [c.owner_id for c in stars]
    cut = sorted(c.owner_share for c in stars)[len(stars) // 2]
    strong = query(store, "star_communities", min_owner_share=cut)
    assert [r["community_id"] for r in strong] == [
        c.community_id for c in stars if c.owner_share >= cut
    ]


def test_deep_referral_chains(graph):
    store, _, _, run = graph
    rows = query(store, "deep_referral_chains", levels=3)
    expected = sorted(
        (r for r in store.user_results(run.run_id) if r["referral_level"] > 3),
        key=lambda r: (-r["referral_level"], r["user_id"]),
    )
    assert [r["user_id"] for r in rows] == [e["user_id"] for e in expected]
    assert all(r["deep_chain"] == 1 for r in expected)
    parent = referral_parents(store)
    for row in rows:
        assert len(row["chain"]) == row["level"] + 1
        assert all(parent[b] == a for a, b in zip(row["chain"], row["chain"][1:], strict=False))
    two = query(store, "deep_referral_chains", levels=2)
    assert len(two) > len(rows)


def test_multi_group_leaders(graph):
    store, _, _, run = graph
    led = defaultdict(list)
    for g in store.group_results(run.run_id):
        if g.effective_owner_id:
            led[g.effective_owner_id].append(g.group_id)
    rows = query(store, "multi_group_leaders", min_groups=1)
    assert {r["user_id"]: r["group_ids"] for r in rows} == {u: sorted(g) for u, g in led.items()}
    several = query(store, "multi_group_leaders", min_groups=2)
    assert {r["user_id"] for r in several} == {u for u, g in led.items() if len(g) >= 2}


def test_period_inviters(graph):
    store, _, _, _ = graph
    refs = [r for r in store.records(Entity.REFERRALS) if r.referred_at is not None]
    times = np.array(sorted(r.referred_at for r in refs))
    lo, hi = int(times[len(times) // 4]), int(times[len(times) // 2])
    counts: dict[str, int] = defaultdict(int)
    for r in refs:
        if lo <= r.referred_at < hi:
            counts[r.inviter_id] += 1
    rows = query(store, "period_inviters", **{"from": lo, "to": hi, "limit": 10_000})
    assert {r["user_id"]: r["invitees"] for r in rows} == dict(counts)
    top = query(store, "period_inviters", **{"from": lo, "to": hi, "limit": 3})
    assert [r["invitees"] for r in top] == sorted(counts.values(), reverse=True)[:3]


def test_dunbar_communities(graph):
    store, _, _, run = graph
    communities = store.community_results(run.run_id)
    big = [c for c in communities if c.size > 60]
    assert big
    rows = query(store, "dunbar_communities", dunbar=60)
    assert [(r["community_id"], r["size"], r["owner_id"]) for r in rows] == [
        (c.community_id, c.size, c.owner_id) for c in big
    ]
    for row in rows:
        assert sorted(row["sub_communities"]) == sorted(
            c.community_id for c in communities if c.parent_id == row["community_id"]
        )


def test_tier_census(graph):
    store, _, _, run = graph
    rows = query(store, "tier_census")
    counts: dict[str, int] = defaultdict(int)
    for r in store.user_results(run.run_id):
        counts[r["tier"]] += 1
    assert {r["tier"]: r["users"] for r in rows} == dict(counts)


def test_user_profile(graph):
    store, _, _, run = graph
    parent = referral_parents(store)
    user = next(r for r in store.user_results(run.run_id) if r["user_id"] in parent)
    (row,) = query(store, "user_profile", user_id=user["user_id"])
    assert row["influence_rank"] == user["influence_rank"]
    assert row["community_id"] == user["community_id"]
    assert row["inviter_id"] == parent[user["user_id"]]
    assert row["direct_referrals"] == user["direct_referrals"]
    leaders = {c.community_id: c.owner_id for c in store.community_results(run.run_id)}
    assert row["community_leader_id"] == leaders[user["community_id"]]


def test_shills(graph):
    store, _, _, run = graph
    rows = query(store, "shills", min_score=0.5, limit=1000)
    suspects = store.user_page(
        run.run_id, UserQuery(min_shill_score=0.5, sort="shill_score", limit=1000)
    )
    assert [r["user_id"] for r in rows] == [s["user_id"] for s in suspects]
    assert rows
    assert all(r["signals"].startswith("focus") for r in rows)
    assert all(r["events_to_them"] >= 200 for r in rows)  # planted: 200-500 events each


def test_audience_quality(graph):
    store, _, _, run = graph
    rows = query(store, "audience_quality", min_quality=0.8, tier="kol", limit=50)
    expected = store.user_page(run.run_id, UserQuery(min_quality=0.8, tier="kol", limit=50))
    assert [r["user_id"] for r in rows] == [e["user_id"] for e in expected]
    assert rows
    assert all(r["audience_quality"] >= 0.8 for r in rows)


def test_fake_invites(graph):
    store, _, _, run = graph
    rows = query(store, "fake_invites", limit=100)
    inviters = [r for r in store.user_results(run.run_id) if (r["fake_invites"] or 0) > 0]
    inviters.sort(key=lambda r: (-r["fake_invites"], r["user_id"]))
    assert [r["user_id"] for r in rows] == [r["user_id"] for r in inviters]
    assert len(rows) == 3
    assert all(r["genuine_referrals"] == r["direct_referrals"] - r["fake_invites"] for r in rows)
