"""Extraction: counts, node tables and every edge kind as numpy columns."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Final

import numpy as np

from graphsvc.model import (
    EdgeBatch,
    EdgeKind,
    Entity,
    Group,
    GroupTable,
    MemberRole,
    Membership,
    Referral,
    User,
    UserTable,
)
from graphsvc.store.base import (
    DEFAULT_BATCH_SIZE,
    edge_props,
)
from graphsvc.store.sqlite.connections import StoreParts

# Per relationship type: FROM clause, src and dst columns, and the SQL of each property column.
_EDGE_SQL: Final[dict[EdgeKind, tuple[str, str, dict[str, str]]]] = {
    EdgeKind.INTERACTED: (
        "interactions",
        "src, dst",
        {
            "kind": "kind",
            "count": "count",
            "weight": "weight",
            "days": "days",
            "first_at": "coalesce(first_at, -1)",
            "last_at": "coalesce(last_at, -1)",
        },
    ),
    EdgeKind.REFERRED: (
        "referrals",
        "inviter_uid, invitee_uid",
        {"referred_at": "coalesce(referred_at, -1)"},
    ),
    EdgeKind.MEMBER_OF: ("memberships", "uid, gid", {"role": "role"}),
}


class Extract(StoreParts):
    """SqliteStore's extraction: the snapshot's tables and edge columns."""

    def counts(self) -> dict[str, int]:
        tables = {
            "users": "users",
            "groups": "groups",
            "memberships": "memberships",
            "referrals": "referrals",
            "interactions": "interactions",
            "interaction_events": "interaction_events",
        }
        self._refresh_interactions()
        db = self._db
        return {name: self._count(db, table) for name, table in tables.items()}

    def users(self) -> UserTable:
        rows = self._db.execute("SELECT uid, user_id FROM users ORDER BY uid").fetchall()
        uid, user_id = zip(*rows, strict=True) if rows else ((), ())
        return UserTable(uid=np.array(uid, dtype=np.int64), user_id=list(user_id))

    def groups(self) -> GroupTable:
        rows = self._db.execute(
            "SELECT gid, group_id, coalesce(owner_uid, -1) FROM groups ORDER BY gid"
        ).fetchall()
        cols = np.array([(r[0], r[2]) for r in rows], dtype=np.int64).reshape(-1, 2)
        return GroupTable(gid=cols[:, 0], group_id=[r[1] for r in rows], owner_uid=cols[:, 1])

    def edge_batches(
        self,
        kind: EdgeKind,
        batch_size: int = DEFAULT_BATCH_SIZE,
        columns: Sequence[str] | None = None,
    ) -> Iterator[EdgeBatch]:
        kind = EdgeKind(kind)
        props = list(edge_props(kind, columns).items())
        table, ends, sql = _EDGE_SQL[kind]
        if kind is EdgeKind.INTERACTED:
            self._refresh_interactions()
        cursor = self._db.execute(
            f"SELECT {', '.join([ends, *(sql[name] for name, _ in props)])} FROM {table}"
        )
        # one matrix per batch, converted in C: float64 holds every integer column exactly
        # (ids and Unix seconds are far below 2**53)
        wide = np.float64 if any(dtype is np.float64 for _, dtype in props) else np.int64
        while rows := cursor.fetchmany(batch_size):
            matrix = np.array(rows, dtype=wide)
            yield EdgeBatch(
                src=matrix[:, 0].astype(np.int64),
                dst=matrix[:, 1].astype(np.int64),
                props={
                    name: matrix[:, i + 2].astype(dtype) for i, (name, dtype) in enumerate(props)
                },
            )

    def records(self, entity: Entity) -> Iterator[User | Group | Membership | Referral]:
        entity = Entity(entity)
        db = self._db
        if entity is Entity.USERS:
            for user_id, name, joined_at, attrs in db.execute(
                "SELECT user_id, name, joined_at, attributes FROM users ORDER BY user_id"
            ):
                yield User(user_id, name, joined_at, json.loads(attrs) if attrs else {})
        elif entity is Entity.GROUPS:
            for row in db.execute(
                """SELECT g.group_id, g.name, u.user_id, g.created_at FROM groups g
                   LEFT JOIN users u ON u.uid = g.owner_uid ORDER BY g.group_id"""
            ):
                yield Group(*row)
        elif entity is Entity.MEMBERSHIPS:
            roles = list(MemberRole)
            for user_id, group_id, joined_at, role in db.execute(
                """SELECT u.user_id, g.group_id, m.joined_at, m.role FROM memberships m
                   JOIN users u ON u.uid = m.uid JOIN groups g ON g.gid = m.gid
                   ORDER BY u.user_id, g.group_id"""
            ):
                yield Membership(user_id, group_id, joined_at, roles[role])
        elif entity is Entity.REFERRALS:
            for row in db.execute(
                """SELECT a.user_id, b.user_id, r.referred_at, r.campaign FROM referrals r
                   JOIN users a ON a.uid = r.inviter_uid JOIN users b ON b.uid = r.invitee_uid
                   ORDER BY b.user_id"""
            ):
                yield Referral(*row)
        else:
            raise ValueError(f"records() does not list {entity}: read edge_batches instead")
