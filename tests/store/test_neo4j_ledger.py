"""Neo4jStore's event ledger: fingerprints per UTC day apart from the relationships, what a
load reads, merged slots, another writer in between, a killed load, and stores written before
the ledger."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from graphsvc.model import DAY_SECONDS, EdgeKind, Interaction, InteractionKind, event_key
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.neo4j import ledger as neo4j_ledger
from graphsvc.store.neo4j import writes as neo4j_writes

pytestmark = pytest.mark.neo4j

LIKE = InteractionKind.LIKE
ROOT = Path(__file__).resolve().parents[2]


def events(days: range, per_day: int = 3) -> list[Interaction]:
    """``per_day`` events a day from a to b (one relationship), keyed as `graphsvc load` keys."""
    out = []
    for day in days:
        for i in range(per_day):
            at = day * DAY_SECONDS + i
            out.append(Interaction("a", "b", LIKE, at, 1.0, event_key("a", "b", LIKE, at, 0)))
    return out


def ledger(store: Neo4jStore) -> dict[int, list[int]]:
    """Each slot's keys, every node's keys in order."""
    rows = store.session.rows("MATCH (l:EventLedger) RETURN l.slot AS slot, l.keys AS keys")
    slots: dict[int, list[int]] = {}
    for row in rows:
        assert row["keys"] == sorted(row["keys"])
        slots.setdefault(row["slot"], []).extend(row["keys"])
    return slots


def test_fingerprints_live_in_day_slots_not_on_relationships(neo4j_store: Neo4jStore):
    neo4j_store.ensure_users(["a", "b"])
    given = [*events(range(100, 103)), Interaction("a", "b", LIKE, None, 1.0, 5)]
    assert neo4j_store.add_interactions(given) == 10
    slots = ledger(neo4j_store)
    expected = {day: sorted(e.key for e in events(range(day, day + 1))) for day in (100, 101, 102)}
    expected[neo4j_ledger.ledger_slots(np.zeros(1), np.zeros(1, bool))[0]] = [5]  # undated
    assert {slot: sorted(keys) for slot, keys in slots.items()} == expected
    props = neo4j_store.session.value("MATCH ()-[r:INTERACTED]->() RETURN keys(r)")
    assert "event_keys" not in props
    assert neo4j_store.add_interactions(given) == 0  # a reload adds nothing


def test_a_load_reads_only_the_days_it_delivers(neo4j_store: Neo4jStore, monkeypatch):
    neo4j_store.ensure_users(["a", "b"])
    neo4j_store.add_interactions(events(range(0, 30)))
    read: list[list[int]] = []
    known = neo4j_writes.known_keys
    monkeypatch.setattr(
        neo4j_writes,
        "known_keys",
        lambda tx, slots: read.append(slots.tolist()) or known(tx, slots),
    )
    assert neo4j_store.add_interactions(events(range(27, 32))) == 6  # days 30 and 31 are new
    assert read == [list(range(27, 32))]


def test_crowded_slots_are_merged_and_stay_exact(neo4j_store: Neo4jStore, monkeypatch):
    monkeypatch.setattr(neo4j_ledger, "COMPACT_PARTS", 2)
    neo4j_store.ensure_users(["a", "b"])
    day = events(range(7, 8), per_day=12)
    for lo in range(0, 12, 3):  # four loads, one node each, merged at the third
        assert neo4j_store.add_interactions(day[lo : lo + 3]) == 3
    parts = neo4j_store.session.value("MATCH (l:EventLedger {slot: 7}) RETURN count(l)")
    assert parts <= 2
    assert sorted(ledger(neo4j_store)[7]) == sorted(e.key for e in day)
    assert neo4j_store.add_interactions(day) == 0
    assert neo4j_store.counts()["interaction_events"] == 12


def test_another_writer_in_between_is_seen_under_the_lock(
    neo4j_store: Neo4jStore, neo4j_server, monkeypatch
):
    neo4j_store.ensure_users(["a", "b"])
    given = events(range(3))
    other = neo4j_server.store()
    read_state = neo4j_writes._read_state

    def then_another_writer(tx, slots, ids):
        state = read_state(tx, slots, ids)
        monkeypatch.setattr(neo4j_writes, "_read_state", read_state)  # once
        assert other.add_interactions(given[:5]) == 5  # after our read, before our write
        return state

    monkeypatch.setattr(neo4j_writes, "_read_state", then_another_writer)
    try:
        assert neo4j_store.add_interactions(given) == 4
    finally:
        other.close()
    (batch,) = neo4j_store.edge_batches(EdgeKind.INTERACTED)
    assert batch.props["count"].tolist() == [9]
    assert neo4j_store.counts()["interaction_events"] == 9


def test_a_store_written_before_the_ledger_hands_its_event_keys_over(neo4j_store: Neo4jStore):
    neo4j_store.ensure_users(["a", "b"])
    old = events(range(2))
    neo4j_store.session.write(
        lambda tx: tx.run(
            "MATCH (a:User {user_id: 'a'}), (b:User {user_id: 'b'}) "
            "CREATE (a)-[:INTERACTED {kind: $k, count: 6, weight: 6.0, days: 2, first_at: $f, "
            "last_at: $l, event_keys: $keys, event_days: [0, 1]}]->(b) "
            "WITH * MATCH (c:Counter {name: 'interaction_events'}) SET c.value = 6 "
            "WITH * MATCH (m:Counter {name: $marker}) DELETE m",
            k=LIKE.code,
            f=old[0].occurred_at,
            l=old[-1].occurred_at,
            keys=[e.key for e in old],
            marker=neo4j_ledger.LEDGER_MARKER,
        ).consume()
    )
    assert neo4j_store.add_interactions(old + events(range(2, 3))) == 3  # only day 2 is new
    assert ledger(neo4j_store)[neo4j_ledger.LEGACY_SLOT] == sorted(e.key for e in old)
    left = neo4j_store.session.value(
        "MATCH ()-[r:INTERACTED]->() WHERE r.event_keys IS NOT NULL RETURN count(r)"
    )
    assert left == 0
    (batch,) = neo4j_store.edge_batches(EdgeKind.INTERACTED)
    assert (batch.props["count"].tolist(), batch.props["days"].tolist()) == ([9], [3])


def many_events() -> list[Interaction]:
    """6,000 events between 40 users over 30 days (some pairs on several days)."""
    kinds = list(InteractionKind)
    out = []
    for i in range(6000):
        src, dst, kind = f"u{i % 40}", f"u{(i * 7 + 3) % 40}", kinds[i % 3]
        at = (i % 30) * DAY_SECONDS + i
        out.append(Interaction(src, dst, kind, at, 0.5 + i % 4, event_key(src, dst, kind, at, 0)))
    return [e for e in out if e.src_id != e.dst_id]


_CHILD = """
import sys, time
from graphsvc.store.neo4j import Neo4jStore, writes
from tests.store.test_neo4j_ledger import many_events

writes.EVENTS_PER_TX = 100
parts = writes.write_parts
writes.write_parts = lambda *a: (parts(*a), time.sleep(0.05))
store = Neo4jStore(*sys.argv[1:4])
store.add_interactions(many_events())
"""


def test_a_killed_load_then_a_reload_adds_each_event_once(neo4j_store: Neo4jStore, neo4j_server):
    given = many_events()
    neo4j_store.ensure_users(sorted({u for e in given for u in (e.src_id, e.dst_id)}))
    login = [neo4j_server.uri, neo4j_server.user, neo4j_server.password]
    child = subprocess.Popen([sys.executable, "-c", _CHILD, *login], cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if neo4j_store.counts()["interaction_events"] > 0:  # some transactions committed
            break
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stored = neo4j_store.counts()["interaction_events"]
    assert 0 < stored < len(given)  # killed midway
    assert neo4j_store.add_interactions(given) == len(given) - stored
    pairs: dict[tuple, list[float]] = {}
    for e in given:
        pairs.setdefault((e.src_id, e.dst_id, InteractionKind(e.kind).code), []).append(e.weight)
    got = {
        (row["s"], row["d"], row["k"]): (row["n"], row["w"])
        for row in neo4j_store.session.rows(
            "MATCH (a)-[r:INTERACTED]->(b) RETURN a.user_id AS s, b.user_id AS d, r.kind AS k, "
            "r.count AS n, r.weight AS w"
        )
    }
    assert got == {pair: (len(w), sum(w)) for pair, w in pairs.items()}
    assert neo4j_store.counts()["interaction_events"] == len(given)
