"""Loads: users, groups, memberships and referrals upserted, interaction events added once."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from graphsvc.errors import StoreError
from graphsvc.model import (
    DAY_SECONDS,
    Group,
    Interaction,
    MemberRole,
    Membership,
    Referral,
    User,
)
from graphsvc.store.sqlite.connections import StoreParts
from graphsvc.store.sqlite.schema import MARK_STALE

_NEVER = 2**62  # an unknown referral time sorts after every known one
_UNKNOWN_TIME = -(2**62)  # events without a time (key columns cannot be NULL): one "day"


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
        params = [
            (
                u.user_id,
                u.name,
                u.joined_at,
                json.dumps(u.attributes, ensure_ascii=False) if u.attributes else None,
            )
            for u in rows
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
        sql = """INSERT INTO memberships (uid, gid, joined_at, role)
            VALUES ((SELECT uid FROM users WHERE user_id = ?),
                    (SELECT gid FROM groups WHERE group_id = ?), ?, ?)
            ON CONFLICT (uid, gid) DO UPDATE SET
              joined_at = coalesce(excluded.joined_at, joined_at), role = excluded.role"""
        params = [(m.user_id, m.group_id, m.joined_at, MemberRole(m.role).code) for m in rows]
        return self._insert_counting("memberships", sql, params)

    def upsert_referrals(self, rows: Sequence[Referral]) -> int:
        sql = f"""INSERT INTO referrals (invitee_uid, inviter_uid, referred_at, campaign)
            VALUES ((SELECT uid FROM users WHERE user_id = ?),
                    (SELECT uid FROM users WHERE user_id = ?), ?, ?)
            ON CONFLICT (invitee_uid) DO UPDATE SET
              inviter_uid = excluded.inviter_uid, referred_at = excluded.referred_at,
              campaign = excluded.campaign
            WHERE (coalesce(excluded.referred_at, {_NEVER}),
                   (SELECT user_id FROM users WHERE uid = excluded.inviter_uid))
                < (coalesce(referrals.referred_at, {_NEVER}),
                   (SELECT user_id FROM users WHERE uid = referrals.inviter_uid))"""
        params = [(r.invitee_id, r.inviter_id, r.referred_at, r.campaign) for r in rows]
        return self._insert_counting("referrals", sql, params)

    def _uids(self, user_ids: set[str]) -> dict[str, int]:
        """Store ids of stored users. A user's uid never changes, so found ids are cached."""
        cache: dict[str, int] = self._uid_cache
        missing = [u for u in user_ids if u not in cache]
        for start in range(0, len(missing), 30_000):
            chunk = missing[start : start + 30_000]
            marks = ",".join("?" * len(chunk))
            cache.update(
                self._db.execute(
                    f"SELECT user_id, uid FROM users WHERE user_id IN ({marks})", chunk
                ).fetchall()
            )
        return cache

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        """Events are keyed by (time, fingerprint): exports arrive roughly in time order, so
        inserts append to the B-tree instead of rewriting random pages; the per-(src, dst,
        kind) aggregate is rebuilt once, on the next read, not per batch."""
        named = {e.src_id for e in rows} | {e.dst_id for e in rows}
        uids = self._uids(named)
        if missing := sorted(named - uids.keys()):
            raise StoreError(f"interactions name unknown users {missing[:5]}: ensure_users first")
        batch = sorted(
            (
                _UNKNOWN_TIME if e.occurred_at is None else e.occurred_at,
                e.key,
                uids[e.src_id],
                uids[e.dst_id],
                e.kind.code,
                e.weight,
            )
            for e in rows
        )
        with self._tx() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO interaction_events VALUES (?, ?, ?, ?, ?, ?)", batch
            )
            added = db.total_changes - before
            if added:
                db.execute(MARK_STALE)
        return added

    def _refresh_interactions(self) -> None:
        """Rebuild the (src, dst, kind) aggregate from the events if new events arrived."""
        stale = "SELECT 1 FROM meta WHERE key = 'interactions_stale'"
        if not self._db.execute(stale).fetchone():
            return
        with self._tx() as db:
            if not db.execute(stale).fetchone():
                return
            known = f"CASE WHEN at != {_UNKNOWN_TIME} THEN at END"
            db.execute("DELETE FROM interactions")
            db.execute(
                f"""INSERT INTO interactions
                SELECT src, dst, kind, count(*), sum(weight), min({known}), max({known}),
                       count(DISTINCT at / {DAY_SECONDS})
                FROM interaction_events GROUP BY src, dst, kind"""
            )
            db.execute("DELETE FROM meta WHERE key = 'interactions_stale'")
