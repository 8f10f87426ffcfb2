"""Extraction: counts, node tables and every edge kind as numpy columns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

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


@dataclass(frozen=True)
class _Query:
    """A read of one table in ranges of ``key`` (the leading column of its primary key)."""

    table: str
    key: str
    where: str = ""
    group_by: str = ""


_USER_COLUMNS = (("uid", np.int64), ("user_id", str))
_KEYS_PER_READ = 1 << 15  # about 200k interactions per read at ten events per user


def _read_columns(
    db: sqlite3.Connection, query: _Query, columns: Sequence[tuple[str, type]]
) -> Iterator[list[Any]]:
    """The columns (SQL, type) of ``query`` per range of keys: numpy arrays (int64 or
    float64), or lists of ``str``.

    Each column of a range travels as one ``group_concat`` string that numpy parses in C, so
    no row becomes a Python object; a REAL is written with 17 significant digits (``%!.17g``),
    which reads back to the same double; text travels as its values run together beside
    their lengths (a range whose text holds a NUL is read as rows). Every column must be
    non-NULL (``coalesce``).
    """
    last = db.execute(f"SELECT max({query.key}) FROM {query.table}").fetchone()[0]
    if last is None:
        return
    texts = ", ".join(
        _AS_TEXT.get(dtype, "group_concat({c})").format(c=f"c{i}")
        for i, (_, dtype) in enumerate(columns)
    )
    inner = ", ".join(f"{sql} AS c{i}" for i, (sql, _) in enumerate(columns))
    where = f" AND {query.where}" if query.where else ""
    group = f" GROUP BY {query.group_by}" if query.group_by else ""
    source = (
        f"SELECT {inner} FROM {query.table} "
        f"WHERE {query.key} >= ? AND {query.key} < ?{where}{group}"
    )
    for low in range(0, last + 1, _KEYS_PER_READ):
        keys = (low, low + _KEYS_PER_READ)
        count, *values = db.execute(f"SELECT count(*), {texts} FROM ({source})", keys).fetchone()
        if not count:
            continue
        parsed = []
        for _, dtype in columns:
            if dtype is str:
                lengths, text, *values = values
                parsed.append(_split(text, np.fromstring(lengths, dtype=np.int64, sep=",")))
            else:
                text, *values = values
                parsed.append(np.fromstring(text, dtype=_NUMBERS.get(dtype, np.int64), sep=","))
        if any(column is None for column in parsed):  # a NUL in a text: the range as rows
            rows = db.execute(source, keys).fetchall()
            parsed = [
                [r[i] for r in rows] if dtype is str else np.array([r[i] for r in rows], dtype)
                for i, (_, dtype) in enumerate(columns)
            ]
        if any(len(column) != count for column in parsed):
            raise ValueError(f"{query.table}: a column read short (NULL in {columns})")
        yield parsed


_NUMBERS = {np.float64: np.float64}  # else int64
# how a column of each type is written as one text (default: its integers, comma-separated)
_AS_TEXT = {
    # a whole number as an integer (short, exact, three times cheaper to print), any other
    # as the 17 digits that read back to the same double
    np.float64: "group_concat(CASE WHEN {c} = CAST({c} AS INTEGER) THEN CAST({c} AS INTEGER) "
    "ELSE printf('%!.17g', {c}) END)",
    str: "group_concat(length({c})), group_concat({c}, '')",
}


def _split(text: str, lengths: np.ndarray) -> list[str] | None:
    """``text`` cut into pieces of ``lengths`` characters; None when they do not add up (SQLite's
    ``length`` of a text stops at a NUL character)."""
    ends = np.cumsum(lengths)
    if len(ends) and ends[-1] != len(text):
        return None
    return [text[a:b] for a, b in zip((ends - lengths).tolist(), ends.tolist(), strict=True)]


def _rebatch(parts: Iterator[list[np.ndarray]], size: int) -> Iterator[list[np.ndarray]]:
    """The same columns cut into batches of ``size`` rows (the last one shorter)."""
    pending: list[list[np.ndarray]] = []
    held = 0
    for part in parts:
        pending.append(part)
        held += len(part[0])
        while held >= size:
            joined = [np.concatenate(c) for c in zip(*pending, strict=True)]
            yield [c[:size] for c in joined]
            pending, held = [[c[size:] for c in joined]], held - size
    if held:
        yield [np.concatenate(c) for c in zip(*pending, strict=True)]


def _ends(columns: list[np.ndarray], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Source and target ids from the first one (packed) or two columns."""
    if width == 1:
        return columns[0] >> 32, columns[0] & 0xFFFFFFFF
    return columns[0], columns[1]


class Extract(StoreParts):
    """SqliteStore's extraction: the snapshot's tables and edge columns."""

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction (WAL: writers go on, unseen until it ends)."""
        self._refresh_interactions()  # a write, so before
        db = self._db
        db.execute("BEGIN")
        try:
            yield
        finally:
            db.execute("COMMIT")

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
        parts = list(_read_columns(self._db, _Query("users", "uid"), _USER_COLUMNS))
        return UserTable(
            uid=np.concatenate([uid for uid, _ in parts]) if parts else np.empty(0, np.int64),
            user_id=[user_id for _, ids in parts for user_id in ids],
        )

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
        props = window_props(kind, columns, days)
        table, ends, sql = _EDGE_SQL[kind]
        query = _Query(table, key=ends.split(", ")[kind is EdgeKind.REFERRED])
        if days is not None:  # aggregated from the events, read in key order (no sort)
            first, last = days
            sql = {
                "kind": "kind",
                "count": "count(*)",
                "weight": "sum(weight)",
                "days": f"count(DISTINCT at / {DAY_SECONDS})",
            }
            query = _Query(
                "interaction_events",
                key="src",
                where=f"at >= {int(first) * DAY_SECONDS} AND at < {(int(last) + 1) * DAY_SECONDS}",
                group_by="src, dst, kind",
            )
        elif kind is EdgeKind.INTERACTED:
            self._refresh_interactions()
        src, dst = ends.split(", ")
        endpoints = self._endpoints(src, dst)
        columns_read = _read_columns(
            self._db,
            query,
            [*endpoints, *((sql[name], dtype) for name, dtype in props.items())],
        )
        for table_columns in _rebatch(columns_read, batch_size):
            src_ids, dst_ids = _ends(table_columns, len(endpoints))
            yield EdgeBatch(
                src=src_ids,
                dst=dst_ids,
                props={
                    name: column.astype(dtype)
                    for (name, dtype), column in zip(
                        props.items(), table_columns[len(endpoints) :], strict=True
                    )
                },
            )

    def interaction_days(
        self, batch_size: int = DEFAULT_BATCH_SIZE, first_day: int = 0
    ) -> Iterator[EdgeBatch]:
        """Dated events as (src uid, dst uid) with props ``day`` (UTC day number) and ``gid``
        (the group the event names, -1 none); a four may repeat (the reader dedupes)."""
        endpoints = self._endpoints("src", "dst")
        query = _Query(
            "interaction_events", key="src", where=f"at >= {max(first_day, 0) * DAY_SECONDS}"
        )
        stamp = (f"((at / {DAY_SECONDS}) << 32) | (coalesce(gid, -1) + 1)", np.int64)
        for table_columns in _rebatch(
            _read_columns(self._db, query, [*endpoints, stamp]), batch_size
        ):
            src_ids, dst_ids = _ends(table_columns, len(endpoints))
            stamps = table_columns[-1]
            yield EdgeBatch(
                src_ids, dst_ids, {"day": stamps >> 32, "gid": (stamps & 0xFFFFFFFF) - 1}
            )

    def _endpoints(self, src: str, dst: str) -> list[tuple[str, type]]:
        """The SQL of an edge's two ends: one integer when every id allows, else two."""
        if self._uids_below(1 << 31):
            return [(f"({src} << 32) | {dst}", np.int64)]
        return [(src, np.int64), (dst, np.int64)]

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
