"""A snapshot read while a load commits: one moment on SQLite, never a wrong graph anywhere."""

from __future__ import annotations

from contextlib import nullcontext

from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import (
    EdgeKind,
    Group,
    Interaction,
    InteractionKind,
    Membership,
    Referral,
    event_key,
)
from graphsvc.store.sqlite import SqliteStore
from tests.builders import edge_rows

LIKE = InteractionKind.LIKE


def _event(src: str, dst: str, at: int) -> Interaction:
    return Interaction(src, dst, LIKE, at, 1.0, event_key(src, dst, LIKE, at, 0))


def _load(store, users: list[str], events: list[tuple[str, str, int]]) -> None:
    store.ensure_users(users)
    store.add_interactions([_event(*e) for e in events])


def _commit_elsewhere(path) -> None:
    """Another writer (a load in another process) adds u3, its group, edges and a referral."""
    with SqliteStore(path) as other:
        _load(other, ["u3"], [("u3", "u1", 100), ("u2", "u3", 200)])
        other.upsert_groups([Group("g2", "G2", "u3", None)])
        other.upsert_memberships([Membership("u3", "g2")])
        other.upsert_referrals([Referral("u1", "u3", 300, None)])


def test_sqlite_reads_inside_reading_see_one_moment(sqlite_store):
    _load(sqlite_store, ["u1", "u2"], [("u1", "u2", 10)])
    with sqlite_store.reading():
        before = sorted(sqlite_store.users().user_id)
        _commit_elsewhere(sqlite_store.path)
        inside = sorted(sqlite_store.users().user_id)
        edges = edge_rows(sqlite_store, EdgeKind.INTERACTED)
        referrals = edge_rows(sqlite_store, EdgeKind.REFERRED)
    assert before == inside == ["u1", "u2"]
    assert len(edges) == 1
    assert referrals == []
    assert sorted(sqlite_store.users().user_id) == ["u1", "u2", "u3"]
    assert len(edge_rows(sqlite_store, EdgeKind.INTERACTED)) == 3


class _UsersReadFirst:
    """The SQLite store read the way Neo4j's reads go (no one transaction): the users and
    groups as they were before a load committed, everything after it."""

    def __init__(self, store: SqliteStore, commit) -> None:
        self._store, self._commit = store, commit

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def reading(self):
        return nullcontext()

    def users(self):
        users = self._store.users()
        self._groups = self._store.groups()
        self._commit()
        return users

    def groups(self):
        return self._groups


def test_a_snapshot_leaves_out_edges_to_users_written_after_it_read_them(sqlite_store):
    _load(sqlite_store, ["u1", "u2"], [("u1", "u2", 10)])
    sqlite_store.upsert_groups([Group("g1", "G1", "u1", None)])
    sqlite_store.upsert_memberships([Membership("u2", "g1")])
    alone = build_snapshot(sqlite_store)
    racing = build_snapshot(
        _UsersReadFirst(sqlite_store, lambda: _commit_elsewhere(sqlite_store.path))
    )
    assert list(racing.user_ids) == list(alone.user_ids) == ["u1", "u2"]
    for column in ("interaction_src", "interaction_dst", "membership_user", "membership_group"):
        assert getattr(racing, column).tolist() == getattr(alone, column).tolist()
    assert racing.referral_invitee.tolist() == []
    assert (racing.activity.src.tolist(), racing.activity.dst.tolist()) == ([0], [1])
    assert len(build_snapshot(sqlite_store).user_ids) == 3  # read again: the load whole
