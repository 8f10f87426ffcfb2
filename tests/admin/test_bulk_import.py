"""The bulk path: files for `neo4j-admin database import full`, imported into a second Neo4j
home (own data, own port), read back through Neo4jStore and compared with the embedded store
loaded from the same input."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from graphsvc.admin.import_files import write_import_files
from graphsvc.admin.local import LocalInstance
from graphsvc.jobs.analyze import snapshot_columns
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import (
    EdgeKind,
    Entity,
    Group,
    Interaction,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    User,
    event_key,
)
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.sqlite import SqliteStore
from tests.builders import free_port

pytestmark = pytest.mark.neo4j


def ev(src: str, dst: str, kind: InteractionKind, at: int | None, weight=1.0, ordinal=0):
    return Interaction(src, dst, kind, at, weight, event_key(src, dst, kind, at, ordinal))


USERS = [User("u1", "Ann", 10, {"city": "杭州"}), User("u2", "Bo"), User("u3", None, 30)]
GROUPS = [Group("g1", "团购群", "u1", 5), Group("g2", None, "u9", None)]
MEMBERSHIPS = [
    Membership("u1", "g1", 1, MemberRole.OWNER),
    Membership("u2", "g1"),
    Membership("u3", "g2", 5, left_at=90),
]
REFERRALS = [
    Referral("u1", "u3", 50, "late"),
    Referral("u2", "u3", 40, "early"),
    Referral("u1", "u2"),
]
EVENTS = [
    ev("u1", "u2", InteractionKind.LIKE, 10),
    ev("u1", "u2", InteractionKind.LIKE, 30, 2.0),
    ev("u1", "u2", InteractionKind.LIKE, 30, 2.0, ordinal=1),
    ev("u1", "u2", InteractionKind.LIKE, 30, 2.0, ordinal=1),  # the same event twice
    ev("u2", "u4", InteractionKind.REPLY, None),  # u4 only appears here
    replace(ev("u2", "u3", InteractionKind.SHARE, 86_400), group_id="g1"),  # in a chat
]


def test_import_files_have_the_admin_headers(tmp_path):
    files = write_import_files(
        tmp_path, users=USERS, groups=GROUPS, memberships=MEMBERSHIPS,
        referrals=REFERRALS, interactions=EVENTS,
    )  # fmt: skip
    header = next(csv.reader(files.nodes["User"][0].read_text().splitlines()))
    assert header[:4] == ["user_id:ID(User)", "uid:long", "name", "joined_at:long"]
    rel = next(csv.reader(files.relationships["INTERACTED"][0].read_text().splitlines()))
    assert rel[:2] == [":START_ID(User)", ":END_ID(User)"]
    assert not any(column.startswith("event_keys") for column in rel)  # in the ledger
    ledger = next(csv.reader(files.nodes["EventLedger"][0].read_text().splitlines()))
    assert ledger == ["slot:long", "keys:long[]"]
    assert files.counts == {
        "users": 5,  # u1-u4 and the owner u9
        "groups": 2,
        "memberships": 3,
        "referrals": 2,  # u3 keeps its earliest inviter only
        "interactions": 3,
        "interaction_events": 5,
    }
    args = files.arguments("graph")
    assert args[0] == "graph"
    assert any(a.startswith("--relationships=INTERACTED=") for a in args)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, neo4j_server):
    """Import into a second home on its own port; yields a store on it."""
    root = tmp_path_factory.mktemp("bulk")
    files = write_import_files(
        root / "csv", users=USERS, groups=GROUPS, memberships=MEMBERSHIPS,
        referrals=REFERRALS, interactions=EVENTS,
    )  # fmt: skip
    instance = LocalInstance(
        root / "home", free_port(), password="import-test", heap="512m", pagecache="64m"
    )
    output = instance.import_files(files)
    assert "IMPORT DONE" in output
    instance.start()
    try:
        assert instance.running()
        store = Neo4jStore(instance.uri, "neo4j", "import-test")
        store.init_schema()
        yield store
        store.close()
    finally:
        instance.stop()
    assert not instance.running()


def test_imported_graph_reads_back_like_the_embedded_store(imported: Neo4jStore, tmp_path):
    sqlite = SqliteStore(tmp_path / "g.db")
    sqlite.init_schema()
    sqlite.ensure_users(["u1", "u2", "u3", "u4", "u9"])
    sqlite.upsert_users(USERS)
    sqlite.upsert_groups(GROUPS)
    sqlite.upsert_memberships(MEMBERSHIPS)
    sqlite.upsert_referrals(REFERRALS)
    sqlite.add_interactions(EVENTS)
    try:
        assert imported.counts() == sqlite.counts()
        for entity in (Entity.USERS, Entity.GROUPS, Entity.MEMBERSHIPS, Entity.REFERRALS):
            assert list(imported.records(entity)) == list(sqlite.records(entity)), entity
        ours, theirs = build_snapshot(imported), build_snapshot(sqlite)
        theirs_columns = dict(snapshot_columns(theirs))
        for name, column in snapshot_columns(ours):
            assert column.tolist() == theirs_columns[name].tolist(), name
        assert ours.activity.group.tolist() == [-1, 0]  # u1→u2 on day 0; u2→u3 in g1, day 1
    finally:
        sqlite.close()


def test_incremental_loads_after_an_import_stay_idempotent(imported: Neo4jStore):
    assert imported.add_interactions(EVENTS) == 0  # the imported event keys are known
    assert imported.ensure_users(["u5"]) == 1
    users = imported.users()
    assert sorted(users.uid.tolist()) == list(range(6))  # the sequence continues after import
    assert imported.add_interactions([ev("u5", "u1", InteractionKind.SHARE, 99)]) == 1
    batches = list(imported.edge_batches(EdgeKind.INTERACTED))
    assert sum(len(b) for b in batches) == 4
    assert imported.counts()["interaction_events"] == 6
