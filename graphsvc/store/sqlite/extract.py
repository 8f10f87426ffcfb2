"""Extraction: counts, node tables and every edge kind as numpy columns."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Final

import numpy as np

from graphsvc.model import (
    DAY_SECONDS,
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
    window_props,
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
    EdgeKind.MEMBER_OF: (
        "memberships",
        "uid, gid",
        {
            "role": "role",
            "joined_at": "coalesce(joined_at, -1)",
            "left_at": "coalesce(left_at, -1)",
        },
    ),
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
        days: tuple[int, int] | None = None,
    ) -> Iterator[EdgeBatch]:
        kind = EdgeKind(kind)
        props = list(window_props(kind, columns, days).items())
        table, ends, sql = _EDGE_SQL[kind]
        if days is not None:  # aggregated from the events, read in key order (no sort)
            first, last = days
            sql = {
                "kind": "kind",
                "count": "count(*)",
                "weight": "sum(weight)",
                "days": f"count(DISTINCT at / {DAY_SECONDS})",
            }
            table = (
                f"interaction_events WHERE at >= {int(first) * DAY_SECONDS} "
                f"AND at < {(int(last) + 1) * DAY_SECONDS} GROUP BY src, dst, kind"
            )
        elif kind is EdgeKind.INTERACTED:
            self._refresh_interactions()
        src, dst = ends.split(", ")
        packed = self._uids_below(1 << 31)  # then both ends travel as one integer
        endpoints = [f"({src} << 32) | {dst}"] if packed else [src, dst]
        cursor = self._db.execute(
            f"SELECT {', '.join([*endpoints, *(sql[name] for name, _ in props)])} FROM {table}"
        )
        # rows become a structured array in C: one Python tuple per row, no column lists
        row_type = np.dtype(
            [(f"e{i}", np.int64) for i in range(len(endpoints))]
            + [(name, np.float64 if dtype is np.float64 else np.int64) for name, dtype in props]
        )
        while rows := cursor.fetchmany(batch_size):
            table_rows = np.array(rows, dtype=row_type)
            if packed:
                pair = table_rows["e0"]
                src_ids, dst_ids = pair >> 32, pair & 0xFFFFFFFF
            else:
                src_ids, dst_ids = table_rows["e0"], table_rows["e1"]
            yield EdgeBatch(
                src=src_ids,
                dst=dst_ids,
                props={name: table_rows[name].astype(dtype) for name, dtype in props},
            )

    def interaction_days(
        self, batch_size: int = DEFAULT_BATCH_SIZE, first_day: int = 0
    ) -> Iterator[EdgeBatch]:
        """Dated events as (src uid, dst uid) with props ``day`` (UTC day number) and ``gid``
        (the group the event names, -1 none); a four may repeat (the reader dedupes). Both
        ends travel as one integer, and so do the day and the group, when ids allow."""
        dated = f"FROM interaction_events WHERE at >= {max(first_day, 0) * DAY_SECONDS}"
        if self._uids_below(1 << 31):
            cursor = self._db.execute(
                f"SELECT (src << 32) | dst, ((at / {DAY_SECONDS}) << 32) | (coalesce(gid, -1) + 1) "
                + dated
            )
            packed = np.dtype([("pair", np.int64), ("stamp", np.int64)])
            while rows := cursor.fetchmany(batch_size):
                table = np.array(rows, dtype=packed)
                pairs, stamps = table["pair"], table["stamp"]
                yield EdgeBatch(
                    pairs >> 32,
                    pairs & 0xFFFFFFFF,
                    {"day": stamps >> 32, "gid": (stamps & 0xFFFFFFFF) - 1},
                )
            return
        cursor = self._db.execute(f"SELECT src, dst, at / {DAY_SECONDS}, coalesce(gid, -1) {dated}")
        row_type = np.dtype([(name, np.int64) for name in ("src", "dst", "day", "gid")])
        while rows := cursor.fetchmany(batch_size):
            table = np.array(rows, dtype=row_type)
            yield EdgeBatch(table["src"], table["dst"], {"day": table["day"], "gid": table["gid"]})

    def _uids_below(self, bound: int) -> bool:
        """Whether every user and group id is below ``bound``."""
        row = self._db.execute(
            "SELECT max((SELECT coalesce(max(uid), 0) FROM users), "
            "(SELECT coalesce(max(gid), 0) FROM groups))"
        ).fetchone()
        return row[0] < bound

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
            for user_id, group_id, joined_at, role, left_at in db.execute(
                """SELECT u.user_id, g.group_id, m.joined_at, m.role, m.left_at FROM memberships m
                   JOIN users u ON u.uid = m.uid JOIN groups g ON g.gid = m.gid
                   ORDER BY u.user_id, g.group_id"""
            ):
                yield Membership(user_id, group_id, joined_at, roles[role], left_at)
        elif entity is Entity.REFERRALS:
            for row in db.execute(
                """SELECT a.user_id, b.user_id, r.referred_at, r.campaign FROM referrals r
                   JOIN users a ON a.uid = r.inviter_uid JOIN users b ON b.uid = r.invitee_uid
                   ORDER BY b.user_id"""
            ):
                yield Referral(*row)
        else:
            raise ValueError(f"records() does not list {entity}: read edge_batches instead")
