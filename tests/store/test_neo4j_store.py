"""Neo4jStore beyond the contract suite: compact ids, atomic runs under a killed writer, garbage
collection of old runs, open_neo4j credentials, schema idempotence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from neo4j.exceptions import ClientError

from graphsvc.errors import ConflictError, NotFoundError, StoreError
from graphsvc.model import (
    EdgeKind,
    Interaction,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    event_key,
)
from graphsvc.store import open_store
from graphsvc.store.neo4j import Neo4jStore, open_neo4j, schema_statements
from graphsvc.store.neo4j import extract as neo4j_extract
from graphsvc.store.neo4j import runs as neo4j_runs
from graphsvc.store.neo4j.extract import _packed, _unpacked
from tests.builders import edge_rows, sample_run

pytestmark = pytest.mark.neo4j


def count(store: Neo4jStore, query: str, **params) -> int:
    return store.session.value(query, **params)


def test_uids_are_compact_and_stable_across_batches(neo4j_store: Neo4jStore):
    assert neo4j_store.ensure_users([f"u{i}" for i in range(5)]) == 5
    assert neo4j_store.ensure_users(["u3", "u9", "u9", "u8"]) == 2
    users = neo4j_store.users()
    assert users.uid.tolist() == list(range(7))
    assert users.user_id == ["u0", "u1", "u2", "u3", "u4", "u9", "u8"]
    assert neo4j_store.ensure_groups(["g2", "g1", "g2"]) == 2
    assert neo4j_store.groups().gid.tolist() == [0, 1]


def test_extraction_rechunks_ranges_into_exact_batches(neo4j_store: Neo4jStore):
    ids = [f"u{i:04d}" for i in range(400)]
    neo4j_store.ensure_users(ids)
    rng = np.random.default_rng(3)
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, 400, (3000, 2)) if a != b}
    mention = InteractionKind.MENTION
    events = [
        Interaction(ids[a], ids[b], mention, a, 0.5, event_key(ids[a], ids[b], mention, a, 0))
        for a, b in sorted(pairs)
    ]
    assert neo4j_store.add_interactions(events) == len(pairs)
    batches = list(neo4j_store.edge_batches("INTERACTED", batch_size=1000))
    assert [len(b) for b in batches][:-1] == [1000] * (len(batches) - 1)
    got = {(s, d) for b in batches for s, d in zip(b.src.tolist(), b.dst.tolist(), strict=True)}
    assert got == pairs  # uids follow the order of ensure_users here
    weights = np.concatenate([b.props["weight"] for b in batches])
    assert weights.dtype == np.float64
    assert set(weights.tolist()) == {0.5}
    kinds = np.concatenate([b.props["kind"] for b in batches])
    assert kinds.dtype == np.int8
    assert set(kinds.tolist()) == {mention.code}


def test_interaction_days_read_whole_over_many_ranges(neo4j_store, monkeypatch):
    ids = [f"u{i:03d}" for i in range(60)]
    neo4j_store.ensure_users(ids)
    day = 86_400
    events = [  # user a talks to a + 1 and a + 2 on days a and a + 1, the last ones undated
        Interaction(
            ids[a], ids[b], InteractionKind.LIKE, at, 1.0, event_key(ids[a], ids[b], "like", at, 0)
        )
        for a in range(58)
        for b in (a + 1, a + 2)
        for at in ((a * day, (a + 1) * day) if a < 50 else (None,))
    ]
    neo4j_store.add_interactions(events)
    expected = {
        (a, b, d, -1) for a in range(50) for b in (a + 1, a + 2) for d in (a, a + 1) if d >= 10
    }
    monkeypatch.setattr(neo4j_extract, "EXTRACT_TARGET", 7)  # ~17 ranges of relationships
    batches = list(neo4j_store.interaction_days(batch_size=25, first_day=10))
    assert [len(b) for b in batches][:-1] == [25] * (len(batches) - 1)
    got = [
        (s, d, day_, gid)
        for b in batches
        for s, d, day_, gid in zip(
            b.src.tolist(),
            b.dst.tolist(),
            b.props["day"].tolist(),
            b.props["gid"].tolist(),
            strict=True,
        )
    ]
    assert sorted(got) == sorted(expected)  # each once; undated events have no day


def _run_nodes(store: Neo4jStore, run_id: str) -> int:
    return count(
        store,
        "CALL () { MATCH (n:UserResult {run_id: $r}) RETURN count(n) AS a } "
        "CALL () { MATCH (n:Community {run_id: $r}) RETURN count(n) AS b } "
        "CALL () { MATCH (n:AnalysisRun {run_id: $r}) RETURN count(n) AS c } "
        "RETURN a + b + c",
        r=run_id,
    )


WRITER = textwrap.dedent(
    """
    import sys
    from graphsvc.store.neo4j import Neo4jStore
    from tests.builders import sample_run
    store = Neo4jStore(sys.argv[1], sys.argv[2], sys.argv[3])
    ranks = {f"w{i:06d}": i + 1 for i in range(int(sys.argv[4]))}
    store.write_run(sample_run("big", 500.0, ranks))
    """
)


def test_killed_writer_leaves_readers_on_the_previous_run(neo4j_server, neo4j_store):
    store = neo4j_store
    store.ensure_users(["a", "b"])
    store.write_run(sample_run("r1", 100.0, {"a": 1, "b": 2}))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, neo4j_server.uri, neo4j_server.user,
         neo4j_server.password, "200000"],
        env=env, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        # Wait until the writer has committed part of the run, then kill it midway.
        while _run_nodes(store, "big") < 2 and time.monotonic() < deadline:
            assert writer.poll() is None, writer.stderr.read().decode()
            assert store.current_run().run_id == "r1"  # readers see r1 while "big" is written
            time.sleep(0.05)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stderr.close()
    partial = _run_nodes(store, "big")
    assert partial >= 2  # a part of the run was committed before the kill
    assert store.current_run().run_id == "r1"
    assert [r.run_id for r in store.runs()] == ["r1"]
    assert [r["user_id"] for r in store.user_results("r1")] == ["a", "b"]
    with pytest.raises(NotFoundError):
        store.user_results("big")
    # The next successful run becomes current and removes the killed run's leftovers.
    store.write_run(sample_run("r2", 200.0, {"a": 2, "b": 1}))
    assert store.current_run().run_id == "r2"
    assert _run_nodes(store, "big") == 0
    assert [r.run_id for r in store.runs()] == ["r2", "r1"]


def test_old_runs_beyond_keep_runs_are_collected(neo4j_server, neo4j_store):
    store = neo4j_server.store(keep_runs=2)
    try:
        store.ensure_users(["a", "b", "c"])
        for i in range(1, 5):
            store.write_run(sample_run(f"r{i}", 100.0 * i, {"a": 1, "b": 2, "c": 3}))
        assert [r.run_id for r in store.runs()] == ["r4", "r3"]
        assert _run_nodes(store, "r1") == _run_nodes(store, "r2") == 0
        assert _run_nodes(store, "r3") == 3 + 2 + 1  # 3 user results, 2 communities, the run
        in_community = count(store, "MATCH (:User)-[r:IN_COMMUNITY]->() RETURN count(r)")
        assert in_community == 2 * 3  # one per user and kept run
        led = count(store, "MATCH (c:Community)-[:LED_BY]->(:User) RETURN count(c)")
        assert led == 2 * 2  # two communities per kept run, led by "a" and "b"
    finally:
        store.close()


def test_community_links_are_whole_when_communities_span_batches(neo4j_store, monkeypatch):
    monkeypatch.setattr(neo4j_runs, "RESULT_BATCH", 4)  # c-0001: 5 members, 2 batches
    ids = [f"u{i}" for i in range(9)]
    neo4j_store.ensure_users(ids)
    neo4j_store.write_run(sample_run("r1", 100.0, {u: i + 1 for i, u in enumerate(ids)}))
    linked = neo4j_store.session.rows(
        "MATCH (u:User)-[:IN_COMMUNITY]->(c:Community {run_id: 'r1'}) "
        "RETURN c.community_id AS c, u.user_id AS u ORDER BY u"
    )
    assert [(r["u"], r["c"]) for r in linked] == [
        (u, "c-0001" if i % 2 == 0 else "c-0002") for i, u in enumerate(ids)
    ]


def test_batch_writes_take_batches_as_needed_and_stop_at_the_first_failure(neo4j_store):
    neo4j_store.ensure_users(["taken"])
    taken: list[int] = []

    def batches():
        for i in range(50):
            taken.append(i)
            yield {"ids": ["taken" if i == 5 else f"new{i}"]}

    with pytest.raises(ConflictError, match="taken"):
        neo4j_store.session.write_batches(
            "UNWIND $ids AS id CREATE (:User {user_id: id})", batches(), workers=2
        )
    assert len(taken) <= 5 + 1 + 2  # the failing batch, and at most two more built ahead
    created = count(neo4j_store, "MATCH (u:User) WHERE u.user_id STARTS WITH 'new' RETURN count(u)")
    assert 5 <= created < len(taken)


def test_a_run_id_is_written_once(neo4j_store: Neo4jStore):
    neo4j_store.ensure_users(["a", "b"])
    neo4j_store.write_run(sample_run("r1", 100.0, {"a": 1, "b": 2}))
    with pytest.raises(ConflictError, match="r1"):
        neo4j_store.write_run(sample_run("r1", 100.0, {"a": 2, "b": 1}))
    assert neo4j_store.user_results("r1")[0]["user_id"] == "a"
    assert [r.run_id for r in neo4j_store.runs()] == ["r1"]


def test_schema_file_has_the_uniqueness_constraints(neo4j_store: Neo4jStore):
    statements = schema_statements()
    assert all("IF NOT EXISTS" in s for s in statements)
    names = {
        r["name"]: r
        for r in neo4j_store.session.rows("SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties")
    }
    assert names["user_id_unique"]["properties"] == ["user_id"]
    assert names["user_uid_unique"]["properties"] == ["uid"]
    assert names["group_id_unique"]["properties"] == ["group_id"]
    neo4j_store.init_schema()  # again: nothing changes, nothing fails
    again = neo4j_store.session.rows("SHOW CONSTRAINTS YIELD name")
    assert {r["name"] for r in again} == set(names)


def test_open_neo4j_takes_credentials_from_uri_or_environment(neo4j_server, monkeypatch):
    host = neo4j_server.uri.removeprefix("bolt://")
    monkeypatch.setenv("NEO4J_USER", neo4j_server.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_server.password)
    with open_neo4j(f"bolt://{host}") as store:
        store.verify()
    monkeypatch.setenv("NEO4J_PASSWORD", "wrong")
    with open_neo4j(f"bolt://neo4j:{neo4j_server.password}@{host}") as store:
        assert "@" not in store.uri
        assert neo4j_server.password not in store.uri
        store.verify()
    with open_neo4j(f"bolt://{host}") as store, pytest.raises(StoreError, match="NEO4J_PASSWORD"):
        store.verify()
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_server.password)
    store = open_store(f"bolt://{host}")  # the lead's entry point applies the schema
    try:
        assert store.counts()["users"] >= 0
    finally:
        store.close()


def test_unreachable_server_is_a_store_error():
    store = Neo4jStore("bolt://127.0.0.1:9", "neo4j", "x", retry_seconds=0.5)
    with store, pytest.raises(StoreError, match="scripts/neo4j start"):
        store.verify()


def test_heavy_pairs_are_deduplicated_in_python_without_changing_the_answer(neo4j_store):
    store = neo4j_store
    store.ensure_users(["bot", "fan"])
    msg = InteractionKind.MESSAGE

    def events(lo: int, hi: int) -> list[Interaction]:
        return [
            Interaction("bot", "fan", msg, t, 0.5, event_key("bot", "fan", msg, t, 0))
            for t in range(lo, hi)
        ]

    assert store.add_interactions(events(0, 400)) == 400
    # 400 stored keys × 300 new ones is past MAX_KEY_PAIRS: the set difference runs in Python.
    assert store.add_interactions(events(200, 500)) == 100
    assert store.add_interactions(events(0, 500)) == 0
    (batch,) = store.edge_batches(EdgeKind.INTERACTED)
    assert batch.props["count"].tolist() == [500]
    assert batch.props["weight"].tolist() == [250.0]
    assert (batch.props["first_at"][0], batch.props["last_at"][0]) == (0, 499)
    assert store.counts()["interaction_events"] == 500


def test_interactions_are_written_in_chunks_and_stay_idempotent(neo4j_store, monkeypatch):
    monkeypatch.setattr("graphsvc.store.neo4j.writes.WRITE_CHUNK", 7)
    ids = [f"u{i:02d}" for i in range(20)]
    neo4j_store.ensure_users(ids)
    like = InteractionKind.LIKE

    def events(pairs: range) -> list[Interaction]:
        return [
            Interaction(
                ids[i % 20], ids[(i * 3 + 1) % 20], like, i, 1.0, event_key("x", "", like, i, 0)
            )
            for i in pairs
        ]

    assert neo4j_store.add_interactions(events(range(30))) == 30
    assert neo4j_store.add_interactions(events(range(60))) == 30  # 30 known, in 9 chunks
    assert neo4j_store.add_interactions(events(range(60))) == 0
    counts = neo4j_store.counts()
    assert (counts["interactions"], counts["interaction_events"]) == (20, 60)


def test_extraction_reads_the_node_table_again_for_users_created_meanwhile(neo4j_store):
    neo4j_store.ensure_users(["a"])
    stale = neo4j_store._node_keys("User")
    neo4j_store.ensure_users(["b", "c"])
    nodes = np.asarray(
        neo4j_store.session.value("MATCH (u:User) RETURN collect(id(u))"), dtype=np.int64
    )
    keys, table = neo4j_store._keys_at("User", stale, nodes)
    assert sorted(keys.tolist()) == [0, 1, 2]
    assert len(table) > len(stale)


def test_extraction_by_relationship_id_and_by_source_uid_agree(neo4j_store, monkeypatch):
    ids = [f"u{i:02d}" for i in range(40)]
    neo4j_store.ensure_users(ids)
    neo4j_store.ensure_groups(["g0", "g1", "g2"])
    kinds, roles = list(InteractionKind), list(MemberRole)
    for i in range(0, 40, 4):  # the ids of the three relationship types interleave
        neo4j_store.add_interactions(
            [
                Interaction(
                    ids[j], ids[(j * 7 + 3) % 40], k, j, 0.5, event_key(ids[j], "", k, j, 0)
                )
                for j in range(i, i + 4)
                for k in kinds[j % 3 :: 3]
            ]
        )
        neo4j_store.upsert_memberships([Membership(ids[i], f"g{i % 3}", i, roles[i % 3])])
        neo4j_store.upsert_referrals([Referral(ids[i], ids[i + 1], i)])
    paths, query = [], neo4j_extract._extract_query
    monkeypatch.setattr(neo4j_extract, "_extract_query", lambda *a: paths.append(a[3]) or query(*a))
    monkeypatch.setattr(neo4j_extract, "EXTRACT_SPREAD", 10**9)
    by_id = {kind: edge_rows(neo4j_store, kind) for kind in EdgeKind}
    monkeypatch.setattr(neo4j_extract, "EXTRACT_SPREAD", 0)
    assert {kind: edge_rows(neo4j_store, kind) for kind in EdgeKind} == by_id
    assert paths == [True] * 3 + [False] * 3
    assert [len(by_id[kind]) for kind in EdgeKind] == [94, 10, 10]


@pytest.mark.parametrize(
    ("bits", "pairs"),
    [
        (56, [(0, 0), (-128, 2**56 - 1), (127, 2**56 - 1), (6, 2**50 + 3)]),
        (32, [(0, 0), (1, 1), (2**31 - 1, 2**32 - 1), (5, 2**32 - 1)]),
    ],
)
def test_packed_columns_round_trip_through_the_server_up_to_their_limits(neo4j_store, bits, pairs):
    query = f"UNWIND $pairs AS p RETURN collect({_packed('p[0]', 'p[1]', bits)})"
    high, low = _unpacked(neo4j_store.session.value(query, pairs=pairs), bits)
    assert list(zip(high.tolist(), low.tolist(), strict=True)) == pairs
    too_high = [(2 ** (63 - bits), 0)]
    with pytest.raises(ClientError, match="overflow"):
        neo4j_store.session.value(query, pairs=too_high)


def test_extraction_refuses_missing_values_and_foreign_nodes(neo4j_store):
    neo4j_store.ensure_users(["a", "b"])
    like = InteractionKind.LIKE
    neo4j_store.add_interactions([Interaction("a", "b", like, None, 1.0, 1)])
    neo4j_store.session.write(
        lambda tx: tx.run("MATCH ()-[r:INTERACTED]->() REMOVE r.kind").consume()
    )
    with pytest.raises(StoreError, match=r"without a value for one of \['kind'"):
        list(neo4j_store.edge_batches(EdgeKind.INTERACTED))
    (batch,) = neo4j_store.edge_batches(EdgeKind.INTERACTED, columns=("weight", "first_at"))
    assert (batch.props["weight"].tolist(), batch.props["first_at"].tolist()) == ([1.0], [-1])
    neo4j_store.session.write(
        lambda tx: tx.run(
            "MATCH (b:User {user_id: 'b'}) CREATE (:Bot)-[:INTERACTED {kind: 0, count: 1, "
            "weight: 1.0, days: 1}]->(b)"
        ).consume()
    )
    with pytest.raises(StoreError, match="not a :User"):
        list(neo4j_store.edge_batches(EdgeKind.INTERACTED, columns=("weight",)))
