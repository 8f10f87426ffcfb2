"""Loads: users, groups, memberships and referrals upserted, interaction events added once."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from graphsvc.errors import StoreError
from graphsvc.model import (
    DAY_SECONDS,
    UNDATED_AT,
    EventColumns,
    Group,
    Interaction,
    MemberRole,
    Membership,
    Referral,
    User,
)
from graphsvc.model.order import lex_order
from graphsvc.store.sqlite.connections import StoreParts

_NEVER = 2**62  # an unknown referral time sorts after every known one
_WHOLE_INDEX = 20_000  # more unknown ids than this: read every (id, key) of the table
_WRITE_ROWS = 500_000  # rows per executemany (bounds the Python rows alive at once)


# one encoder for every user (json.dumps with options builds one a call)
_attributes_json = json.JSONEncoder(ensure_ascii=False).encode


def _attributes_text(attributes: dict[str, str], texts: dict[tuple, str]) -> str | None:
    """``attributes`` as JSON (None for none), each distinct set encoded once in ``texts``."""
    if not attributes:
        return None
    items = tuple(attributes.items())
    text = texts.get(items)
    if text is None:
        text = texts[items] = _attributes_json(attributes)
    return text


class Writes(StoreParts):
    """SqliteStore's loads."""

    def check_writable(self) -> None:
        if not os.access(self.path, os.W_OK):
            raise StoreError(f"the SQLite store {self.path} is read-only; make it writable first")

    @contextmanager
    def load_lock(self) -> Iterator[None]:
        """An exclusive ``flock`` on ``<file>-load.lock`` beside the store (not on the store
        file, whose locks SQLite owns); the system releases it if the process dies."""
        path = self.path.with_name(f"{self.path.name}-load.lock")
        try:
            handle = path.open("a")
        except OSError as e:
            raise StoreError(f"cannot create the load lock {path}: {e.strerror}") from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _count(self, db: sqlite3.Connection, table: str) -> int:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def _insert_counting(self, table: str, sql: str, rows: Sequence[tuple]) -> int:
        with self._tx() as db:
            before = self._count(db, table)
            db.executemany(sql, rows)
            return self._count(db, table) - before

    def ensure_users(self, user_ids: Sequence[str]) -> int:
        sql = "INSERT OR IGNORE INTO users (user_id) VALUES (?)"
        return self._insert_counting("users", sql, [(u,) for u in user_ids])

    def ensure_groups(self, group_ids: Sequence[str]) -> int:
        sql = "INSERT OR IGNORE INTO groups (group_id) VALUES (?)"
        return self._insert_counting("groups", sql, [(g,) for g in group_ids])

    def upsert_users(self, rows: Sequence[User]) -> int:
        sql = """INSERT INTO users (user_id, name, joined_at, attributes) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
              name = coalesce(excluded.name, name),
              joined_at = coalesce(excluded.joined_at, joined_at),
              attributes = CASE WHEN excluded.attributes IS NULL THEN attributes
                           ELSE json_patch(coalesce(attributes, '{}'), excluded.attributes) END"""
        texts: dict[tuple, str] = {}  # users share few attribute sets (a city, a tier)
        params = [
            (u.user_id, u.name, u.joined_at, _attributes_text(u.attributes, texts)) for u in rows
        ]
        return self._insert_counting("users", sql, params)

    def upsert_groups(self, rows: Sequence[Group]) -> int:
        owners = [g.owner_id for g in rows if g.owner_id is not None]
        if owners:
            self.ensure_users(owners)
        sql = """INSERT INTO groups (group_id, name, owner_uid, created_at)
            VALUES (?, ?, (SELECT uid FROM users WHERE user_id = ?), ?)
            ON CONFLICT (group_id) DO UPDATE SET
              name = coalesce(excluded.name, name),
              owner_uid = coalesce(excluded.owner_uid, owner_uid),
              created_at = coalesce(excluded.created_at, created_at)"""
        params = [(g.group_id, g.name, g.owner_id, g.created_at) for g in rows]
        return self._insert_counting("groups", sql, params)

    def upsert_memberships(self, rows: Sequence[Membership]) -> int:
        # a later stay: a leave time is kept until a row says the member left again, or a
        # join after it says they came back
        sql = """INSERT INTO memberships (uid, gid, joined_at, role, left_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (uid, gid) DO UPDATE SET
              left_at = CASE WHEN excluded.left_at IS NOT NULL THEN excluded.left_at
                             WHEN excluded.joined_at > left_at THEN NULL ELSE left_at END,
              joined_at = coalesce(excluded.joined_at, joined_at), role = excluded.role"""
        uid = self._uid_column([m.user_id for m in rows])
        gid = self._gid_column([m.group_id for m in rows])
        order = lex_order(gid, uid)  # the key's order, rows of one key in file order
        params = [
            (u, g, m.joined_at, MemberRole(m.role).code, m.left_at)
            for u, g, m in zip(
                uid[order].tolist(), gid[order].tolist(), _take(rows, order), strict=True
            )
        ]
        return self._insert_counting("memberships", sql, params)

    def upsert_referrals(self, rows: Sequence[Referral]) -> int:
        sql = f"""INSERT INTO referrals (invitee_uid, inviter_uid, referred_at, campaign)
            VALUES (?, ?, ?, ?)
            ON CONFLICT (invitee_uid) DO UPDATE SET
              inviter_uid = excluded.inviter_uid, referred_at = excluded.referred_at,
              campaign = excluded.campaign
            WHERE (coalesce(excluded.referred_at, {_NEVER}),
                   (SELECT user_id FROM users WHERE uid = excluded.inviter_uid))
                < (coalesce(referrals.referred_at, {_NEVER}),
                   (SELECT user_id FROM users WHERE uid = referrals.inviter_uid))"""
        invitee = self._uid_column([r.invitee_id for r in rows])
        inviter = self._uid_column([r.inviter_id for r in rows])
        order = np.argsort(invitee, kind="stable")
        params = [
            (e, i, r.referred_at, r.campaign)
            for e, i, r in zip(
                invitee[order].tolist(), inviter[order].tolist(), _take(rows, order), strict=True
            )
        ]
        return self._insert_counting("referrals", sql, params)

    def _uid_column(self, user_ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Store ids of stored users, aligned with ``user_ids``."""
        return self._keys(user_ids, self._uid_cache, "users", "user_id", "uid")

    def _gid_column(self, group_ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Store ids of stored groups, aligned with ``group_ids``."""
        return self._keys(group_ids, self._gid_cache, "groups", "group_id", "gid")

    def _keys(
        self,
        ids: Sequence[str] | np.ndarray,
        cache: dict[str, int],
        table: str,
        id_column: str,
        key_column: str,
    ) -> np.ndarray:
        """The integer keys of stored rows of ``table`` named by ``ids``, aligned with them.
        A row's key never changes, so found keys are cached; many ids at once read the whole
        (id, key) index."""
        ids = ids.tolist() if isinstance(ids, np.ndarray) else list(ids)
        missing = list(dict.fromkeys(i for i in ids if i not in cache))
        if len(missing) > _WHOLE_INDEX:
            cache.update(self._db.execute(f"SELECT {id_column}, {key_column} FROM {table}"))
        else:
            for start in range(0, len(missing), 30_000):
                chunk = missing[start : start + 30_000]
                marks = ",".join("?" * len(chunk))
                cache.update(
                    self._db.execute(
                        f"SELECT {id_column}, {key_column} FROM {table} "
                        f"WHERE {id_column} IN ({marks})",
                        chunk,
                    )
                )
        if unknown := [i for i in missing if i not in cache]:
            raise StoreError(f"rows name unknown {table} {unknown[:5]}: ensure_{table} first")
        return np.fromiter((cache[i] for i in ids), np.int64, len(ids))

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        """Events given one by one: identical events in ``rows`` are numbered in order (their
        ``key`` is not stored: see ``add_events``)."""
        return self.add_events(EventColumns.of(rows))

    def add_events(self, events: EventColumns) -> int:
        """Insert the events not stored before and bring their pairs' aggregates up to date,
        in one transaction. Events go in by (src, dst) pair and within a pair in file order
        (mostly time order): the B-tree clustered on (src, dst, kind, at, seq) is appended to
        rather than rewritten (uids stay below 2**31)."""
        if not len(events):
            return 0
        uid = self._uid_column(events.ids)
        src, dst = uid[events.src], uid[events.dst]
        at = np.where(events.dated, events.at, UNDATED_AT)
        pair = (src << 32) | dst
        order = np.argsort(pair, kind="stable")  # by pair, then file order
        gid = np.append(self._gid_column(events.groups), -1)[events.group]
        chat = gid.astype(object)
        chat[gid < 0] = None
        columns = (src, dst, events.kind.astype(np.int64), at, events.seq, events.weight, chat)
        with self._tx() as db:
            first = db.execute("SELECT 1 FROM interaction_events LIMIT 1").fetchone() is None
            before = db.total_changes
            plain = (events.seq == 0) & (events.weight == 1.0) & (gid < 0)
            for start in range(0, len(order), _WRITE_ROWS):
                part = order[start : start + _WRITE_ROWS]
                # most events are a first of their kind, of weight 1, in no chat: fewer values
                # to bind (a quarter of the insert's time)
                for rows, values in ((part[plain[part]], _PLAIN), (part[~plain[part]], _FULL)):
                    db.executemany(
                        "INSERT OR IGNORE INTO interaction_events "
                        f"(src, dst, kind, at, seq, weight, gid) VALUES ({values})",
                        zip(*(c[rows].tolist() for c in columns[: values.count("?")]), strict=True),
                    )
            added = db.total_changes - before
            if added and first:
                _aggregate(db, "interaction_events e")
            elif added:
                touched = np.unique(np.column_stack(columns[:3]), axis=0)
                db.execute(_TOUCHED)
                db.execute("DELETE FROM touched_pairs")
                db.executemany("INSERT INTO touched_pairs VALUES (?, ?, ?)", touched.tolist())
                _aggregate(
                    db,
                    "touched_pairs t JOIN interaction_events e "
                    "ON e.src = t.src AND e.dst = t.dst AND e.kind = t.kind",
                )
        return added

    def _refresh_interactions(self) -> None:
        """Rebuild the (src, dst, kind) aggregate from the events if marked stale (a file
        brought up to this version)."""
        stale = "SELECT 1 FROM meta WHERE key = 'interactions_stale'"
        if self._db.in_transaction or not self._db.execute(stale).fetchone():
            return  # inside reading(): as they were when it began
        with self._tx() as db:
            if not db.execute(stale).fetchone():
                return
            db.execute("DELETE FROM interactions")
            _aggregate(db, "interaction_events e")
            db.execute("DELETE FROM meta WHERE key = 'interactions_stale'")


def _take(rows: Sequence, order: np.ndarray) -> list:
    """``rows`` in ``order``."""
    return [rows[i] for i in order.tolist()]


_FULL = "?, ?, ?, ?, ?, ?, ?"
_PLAIN = "?, ?, ?, ?, 0, 1.0, NULL"  # (seq, weight, gid) of a plain event

_TOUCHED = """CREATE TEMP TABLE IF NOT EXISTS touched_pairs (
    src INTEGER NOT NULL, dst INTEGER NOT NULL, kind INTEGER NOT NULL,
    PRIMARY KEY (src, dst, kind)) WITHOUT ROWID"""


def _aggregate(db: sqlite3.Connection, events: str) -> None:
    """(Re)write the aggregate of every (src, dst, kind) in ``events`` (a FROM clause whose
    events are ``e``), read in primary-key order: no sort."""
    known = f"CASE WHEN e.at != {UNDATED_AT} THEN e.at END"
    db.execute(
        f"""INSERT OR REPLACE INTO interactions
        SELECT e.src, e.dst, e.kind, count(*), sum(e.weight), min({known}), max({known}),
               count(DISTINCT e.at / {DAY_SECONDS})
        FROM {events} GROUP BY e.src, e.dst, e.kind"""
    )
