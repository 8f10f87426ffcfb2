"""The embedded default store: one SQLite file, no server.

Users and groups get integer ids (``uid``, ``gid``) so edges are compact integer rows and
read back as numpy columns. Each write call is one transaction; an analysis run is written
in one transaction and made current in it, so readers (WAL mode) see the previous complete
run until the commit. Each thread gets its own connection.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from graphsvc.errors import NotFoundError, StoreError, shown
from graphsvc.model import (
    DAY_SECONDS,
    RENAMED_TIERS,
    USER_RESULT_COLUMNS,
    CommunityResult,
    EdgeBatch,
    EdgeKind,
    Entity,
    Group,
    GroupResult,
    GroupTable,
    Interaction,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    RunInfo,
    RunResult,
    SeedSet,
    User,
    UserTable,
)
from graphsvc.sqlite_connections import SqliteConnections
from graphsvc.store.base import (
    COMMUNITY_SORTS,
    DEFAULT_BATCH_SIZE,
    USER_SORTS,
    CommunityQuery,
    UserQuery,
    edge_props,
    renamed_run_json,
    result_column,
)

__all__ = ["SqliteStore"]

_PRAGMAS = (
    "synchronous=NORMAL",
    "busy_timeout=30000",
    "temp_store=MEMORY",
    "cache_size=-262144",
)
_NEVER = 2**62  # an unknown referral time sorts after every known one
_UNKNOWN_TIME = -(2**62)  # events without a time (key columns cannot be NULL): one "day"
_LAST_CHAR = "\U0010ffff"  # sorts after every character: text < text + it
_MARK_STALE = "INSERT OR REPLACE INTO meta VALUES ('interactions_stale', '1')"


def _sort_key(column: str) -> str:
    """The SQL sort key of a user sort (indexed by this very expression)."""
    return f"coalesce({column}, -1)"


def _user_page_index(query: UserQuery) -> str | None:
    """The index a user page should read where the planner, without statistics, would scan
    the whole run in rank order instead: a group's or a community's members, a tier, a role."""
    if query.group_id is not None:
        return "user_results_user"
    if query.community_id is not None:
        return "user_results_community"
    if query.sort != "influence":
        return None
    if query.tier is not None:
        return "user_results_tier"
    return "user_results_role" if query.role is not None else None


def _in_community(community_id: str) -> tuple[str, list[Any]]:
    """SQL matching ``r.community_id`` to a community or one of its sub-communities
    ("c-0042" or "c-0042.03"): one range of the community index ("." sorts just before "/"),
    the next character checked."""
    condition = (
        "r.community_id >= ? AND r.community_id < ? "
        "AND (r.community_id = ? OR substr(r.community_id, ?, 1) = '.')"
    )
    return condition, [community_id, community_id + "/", community_id, len(community_id) + 1]


def _user_filters(query: UserQuery) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters of a UserQuery's filters (not its keyset)."""
    where: list[str] = []
    params: list[Any] = []
    if query.community_id is not None:
        condition, values = _in_community(query.community_id)
        where.append(condition)
        params += values
    for column in ("tier", "role"):
        if (value := getattr(query, column)) is not None:
            where.append(f"r.{column} = ?")
            params.append(value)
    if query.min_influence is not None:
        where.append("r.influence >= ?")
        params.append(query.min_influence)
    if query.min_level is not None or query.max_level is not None:
        where.append("r.referral_level >= ?")
        params.append(max(query.min_level or 0, 0))
    if query.max_level is not None:
        where.append("r.referral_level <= ?")
        params.append(query.max_level)
    if query.group_id is not None:
        where.append(
            "r.user_id IN (SELECT u.user_id FROM memberships m JOIN users u ON u.uid = m.uid "
            "JOIN groups g ON g.gid = m.gid WHERE g.group_id = ?)"
        )
        params.append(query.group_id)
    return where, params


_HEALTH = "coalesce(reciprocity, 0) * (1 - coalesce(centralization, 0))"  # base.health_score
_COMMUNITY_KEYS = {"size": "size", "health": _HEALTH}
_COMMUNITY_INDEXES = "".join(
    f"CREATE INDEX IF NOT EXISTS community_results_{name} ON community_results "
    f"(run_id, {key} DESC, community_id);\n"
    for name, key in _COMMUNITY_KEYS.items()
)
_SORT_INDEXES = "".join(
    f"CREATE INDEX IF NOT EXISTS user_results_{name} ON user_results "
    f"(run_id, {_sort_key(name)} DESC, influence_rank);\n"
    for name in USER_SORTS[1:]
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS users (
    uid INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, name TEXT, joined_at INTEGER,
    attributes TEXT);
CREATE INDEX IF NOT EXISTS users_name ON users (name);
CREATE TABLE IF NOT EXISTS groups (
    gid INTEGER PRIMARY KEY, group_id TEXT NOT NULL UNIQUE, name TEXT, owner_uid INTEGER,
    created_at INTEGER);
CREATE TABLE IF NOT EXISTS memberships (
    uid INTEGER NOT NULL, gid INTEGER NOT NULL, joined_at INTEGER, role INTEGER NOT NULL,
    PRIMARY KEY (uid, gid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_group ON memberships (gid);
CREATE TABLE IF NOT EXISTS referrals (
    invitee_uid INTEGER PRIMARY KEY, inviter_uid INTEGER NOT NULL, referred_at INTEGER,
    campaign TEXT);
CREATE INDEX IF NOT EXISTS referrals_inviter ON referrals (inviter_uid);
CREATE TABLE IF NOT EXISTS interaction_events (
    at INTEGER NOT NULL, key INTEGER NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL,
    kind INTEGER NOT NULL, weight REAL NOT NULL, PRIMARY KEY (at, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS interactions (
    src INTEGER NOT NULL, dst INTEGER NOT NULL, kind INTEGER NOT NULL, count INTEGER NOT NULL,
    weight REAL NOT NULL, first_at INTEGER, last_at INTEGER, days INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (src, dst, kind)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, params TEXT NOT NULL,
    stats TEXT NOT NULL, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seed_sets (
    seeds_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, created_at REAL NOT NULL,
    params TEXT NOT NULL, stats TEXT NOT NULL, rows TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user_results (
    run_id TEXT NOT NULL, user_id TEXT NOT NULL,
    {
    ", ".join(
        f"{name} {'TEXT' if kind == 'str' else kind.upper().replace('FLOAT', 'REAL')}"
        for name, kind in USER_RESULT_COLUMNS.items()
    )
},
    PRIMARY KEY (run_id, influence_rank)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_results_user ON user_results (run_id, user_id);
CREATE INDEX IF NOT EXISTS user_results_community
    ON user_results (run_id, community_id, influence_rank);
CREATE INDEX IF NOT EXISTS user_results_tier ON user_results (run_id, tier, influence_rank);
CREATE INDEX IF NOT EXISTS user_results_role ON user_results (run_id, role, influence_rank);
{_SORT_INDEXES}CREATE TABLE IF NOT EXISTS community_results (
    run_id TEXT NOT NULL, community_id TEXT NOT NULL, size INTEGER NOT NULL, owner_id TEXT,
    owner_margin REAL, runner_up_id TEXT, density REAL, reciprocity REAL, owner_share REAL,
    centralization REAL, shape TEXT, parent_id TEXT, derived_from TEXT NOT NULL DEFAULT '',
    owner_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, community_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_labels (
    community_id TEXT PRIMARY KEY, label TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS group_results (
    run_id TEXT NOT NULL, group_id TEXT NOT NULL, size INTEGER NOT NULL,
    declared_owner_id TEXT, effective_owner_id TEXT, owner_margin REAL,
    owner_mismatch INTEGER NOT NULL, owner_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, group_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_results_leader ON group_results (run_id, effective_owner_id);
{_COMMUNITY_INDEXES}"""

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

_COMMUNITY_FIELDS = tuple(CommunityResult.__dataclass_fields__)
_GROUP_FIELDS = tuple(GroupResult.__dataclass_fields__)


def _group(row: Sequence[Any]) -> GroupResult:
    values = dict(zip(_GROUP_FIELDS, row, strict=True))
    return GroupResult(**{**values, "owner_mismatch": bool(values["owner_mismatch"])})


_USER_FIELDS = ("user_id", *USER_RESULT_COLUMNS)


class SqliteStore:
    """GraphStore on one SQLite file (created on first use)."""

    def __init__(self, path: str | Path, *, keep_runs: int = 5) -> None:
        self.path = Path(path)
        self.uri = f"sqlite:///{self.path}"
        self.keep_runs = keep_runs
        self._uid_cache: dict[str, int] = {}
        self._connections = SqliteConnections(self.path, purpose="SQLite store", pragmas=_PRAGMAS)

    # -- connections ----------------------------------------------------------------------

    @property
    def _db(self) -> sqlite3.Connection:
        return self._connections.db

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._connections.transaction()

    def close(self) -> None:
        self._connections.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init_schema(self) -> None:
        self._db.executescript(_SCHEMA)
        self._add_missing_columns()
        self._rename_tiers()

    def _rename_tiers(self) -> None:
        """Once per file: runs stored under old tier and setting names get the new ones
        (``base.RENAMED_TIERS``), so they read, filter and compare like new runs."""
        done = "SELECT 1 FROM meta WHERE key = 'tiers_renamed'"
        if self._db.execute(done).fetchone():
            return
        with self._tx() as db:
            if db.execute(done).fetchone():
                return
            for old, new in RENAMED_TIERS.items():
                db.execute("UPDATE user_results SET tier = ? WHERE tier = ?", (new, old))
            runs = db.execute("SELECT run_id, params, stats FROM runs").fetchall()
            for run_id, params, stats in runs:
                renamed = renamed_run_json(json.loads(params), json.loads(stats))
                if renamed is not None:
                    db.execute(
                        "UPDATE runs SET params = ?, stats = ? WHERE run_id = ?",
                        (*(json.dumps(d, sort_keys=True) for d in renamed), run_id),
                    )
            db.execute("INSERT INTO meta VALUES ('tiers_renamed', '1')")

    def _add_missing_columns(self) -> None:
        """Bring a file written by an earlier version up to this schema: result columns added
        since then start empty (runs written before simply lack those figures)."""
        types = {"str": "TEXT", "int": "INTEGER", "float": "REAL"}
        wanted = {
            "user_results": {k: types[t] for k, t in USER_RESULT_COLUMNS.items()},
            "community_results": {
                "derived_from": "TEXT NOT NULL DEFAULT ''",
                "owner_reason": "TEXT NOT NULL DEFAULT ''",
            },
            "group_results": {"owner_reason": "TEXT NOT NULL DEFAULT ''"},
            "interactions": {"days": "INTEGER NOT NULL DEFAULT 1"},
        }
        with self._tx() as db:
            for table, columns in wanted.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, kind in columns.items():
                    if name not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
                        db.execute(_MARK_STALE)  # aggregates are rebuilt with the new column

    # -- writes ---------------------------------------------------------------------------

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
                db.execute(_MARK_STALE)
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

    # -- reads ----------------------------------------------------------------------------

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
        return UserTable(
            uid=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
            user_id=[r[1] for r in rows],
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
    ) -> Iterator[EdgeBatch]:
        kind = EdgeKind(kind)
        props = list(edge_props(kind, columns).items())
        table, ends, sql = _EDGE_SQL[kind]
        if kind is EdgeKind.INTERACTED:
            self._refresh_interactions()
        cursor = self._db.execute(
            f"SELECT {', '.join([ends, *(sql[name] for name, _ in props)])} FROM {table}"
        )
        while rows := cursor.fetchmany(batch_size):
            cols = list(zip(*rows, strict=True))
            yield EdgeBatch(
                src=np.asarray(cols[0], dtype=np.int64),
                dst=np.asarray(cols[1], dtype=np.int64),
                props={
                    name: np.asarray(cols[i + 2], dtype=dtype)
                    for i, (name, dtype) in enumerate(props)
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

    # -- analysis runs --------------------------------------------------------------------

    def write_run(self, result: RunResult) -> None:
        info, users = result.info, result.users
        columns = [users.user_id.tolist()] + [
            users.columns[name].tolist() for name in USER_RESULT_COLUMNS
        ]
        user_rows = list(zip(*columns, strict=True))
        marks = ", ".join("?" * len(_USER_FIELDS))
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (
                    info.run_id,
                    info.started_at,
                    info.finished_at,
                    json.dumps(info.params, sort_keys=True),
                    json.dumps(info.stats, sort_keys=True),
                    info.fingerprint,
                ),
            )
            db.executemany(
                f"INSERT INTO user_results (run_id, {', '.join(_USER_FIELDS)}) VALUES (?, {marks})",
                [(info.run_id, *row) for row in user_rows],
            )
            for table, fields, rows in (
                ("community_results", _COMMUNITY_FIELDS, result.communities),
                ("group_results", _GROUP_FIELDS, result.groups),
            ):
                db.executemany(
                    f"INSERT INTO {table} VALUES (?, {', '.join('?' * len(fields))})",
                    [(info.run_id, *(getattr(r, f) for f in fields)) for r in rows],
                )
            db.execute(
                "INSERT INTO meta VALUES ('current_run', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (info.run_id,),
            )
            self._prune_runs(db)

    def _prune_runs(self, db: sqlite3.Connection) -> None:
        stale = [
            r[0]
            for r in db.execute(
                "SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT -1 OFFSET ?",
                (self.keep_runs,),
            )
        ]
        tables = ("user_results", "community_results", "group_results", "seed_sets", "runs")
        for table in tables:
            db.executemany(f"DELETE FROM {table} WHERE run_id = ?", [(r,) for r in stale])

    def write_seeds(self, seeds: SeedSet) -> None:
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM runs WHERE run_id = ?", (seeds.run_id,)).fetchone():
                raise NotFoundError(f"no analysis run {seeds.run_id!r}")
            db.execute(
                "INSERT INTO seed_sets VALUES (?, ?, ?, ?, ?, ?)",
                (
                    seeds.seeds_id,
                    seeds.run_id,
                    seeds.created_at,
                    *(json.dumps(v) for v in (seeds.params, seeds.stats, seeds.rows)),
                ),
            )

    def seed_set(self, seeds_id: str) -> SeedSet | None:
        row = self._db.execute("SELECT * FROM seed_sets WHERE seeds_id = ?", (seeds_id,)).fetchone()
        if row is None:
            return None
        return SeedSet(*row[:3], *(json.loads(v) for v in row[3:]))

    @staticmethod
    def _run_info(row: tuple) -> RunInfo:
        run_id, started_at, finished_at, params, stats, fingerprint = row
        return RunInfo(
            run_id, started_at, finished_at, json.loads(params), json.loads(stats), fingerprint
        )

    def runs(self) -> list[RunInfo]:
        rows = self._db.execute(
            "SELECT * FROM runs ORDER BY started_at DESC, run_id DESC"
        ).fetchall()
        return [self._run_info(r) for r in rows]

    def current_run(self) -> RunInfo | None:
        row = self._db.execute(
            "SELECT runs.* FROM runs JOIN meta ON meta.key = 'current_run' "
            "AND meta.value = runs.run_id"
        ).fetchone()
        return self._run_info(row) if row else None

    def revision(self) -> str:
        return self._connections.data_version()

    def _require_run(self, run_id: str) -> None:
        if not self._db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
            raise NotFoundError(f"no analysis run {shown(run_id)}")

    def user_results(
        self,
        run_id: str,
        *,
        community_id: str | None = None,
        tier: str | None = None,
        after_rank: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        self._require_run(run_id)
        where, params = _user_filters(UserQuery(community_id=community_id, tier=tier))
        where += ["r.run_id = ?", "r.influence_rank > ?"]
        params += [run_id, after_rank, -1 if limit is None else limit]
        return self._user_rows(
            f"WHERE {' AND '.join(where)} ORDER BY r.influence_rank LIMIT ?", params
        )

    def user_result(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        self._require_run(run_id)
        rows = self._user_rows(
            "WHERE r.run_id = ? AND r.user_id = ?", [run_id, user_id], "user_results_user"
        )
        return rows[0] if rows else None

    def result_columns(self, run_id: str, columns: Sequence[str]) -> dict[str, np.ndarray]:
        kinds = {name: USER_RESULT_COLUMNS[name] for name in columns}  # KeyError: unknown
        self._require_run(run_id)
        rows = self._db.execute(
            f"SELECT {', '.join(['user_id', *kinds])} FROM user_results WHERE run_id = ?",
            (run_id,),
        ).fetchall()
        cols = list(zip(*rows, strict=True)) or [()] * (len(kinds) + 1)
        kinds = {"user_id": "str", **kinds}
        return {name: result_column(cols[i], kind) for i, (name, kind) in enumerate(kinds.items())}

    def user_profile(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        row = self.user_result(run_id, user_id)
        if row is None:
            return None
        inviter = self.referral_tree(user_id, "up", 1, 1)
        return {
            **row,
            "inviter_id": inviter[0]["user_id"] if inviter else None,
            "groups": self.user_groups(user_id),
        }

    def _user_rows(
        self, clause: str, params: Sequence[Any], index: str | None = None
    ) -> list[dict[str, Any]]:
        fields = ", ".join(f"r.{f}" for f in USER_RESULT_COLUMNS)
        hint = f" INDEXED BY {index}" if index else ""
        cursor = self._db.execute(
            f"SELECT r.user_id, u.name, {fields} FROM user_results r{hint} "
            f"LEFT JOIN users u ON u.user_id = r.user_id {clause}",
            params,
        )
        names = ("user_id", "name", *USER_RESULT_COLUMNS)
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def community_results(self, run_id: str) -> list[CommunityResult]:
        self._require_run(run_id)
        rows = self._db.execute(
            f"SELECT {', '.join(_COMMUNITY_FIELDS)} FROM community_results WHERE run_id = ? "
            "ORDER BY size DESC, community_id",
            (run_id,),
        )
        return [CommunityResult(*row) for row in rows]

    def group_results(self, run_id: str) -> list[GroupResult]:
        self._require_run(run_id)
        rows = self._db.execute(
            f"SELECT {', '.join(_GROUP_FIELDS)} FROM group_results WHERE run_id = ? "
            "ORDER BY group_id",
            (run_id,),
        )
        return [_group(row) for row in rows]

    # -- API reads ------------------------------------------------------------------------

    def user_page(self, run_id: str, query: UserQuery) -> list[dict[str, Any]]:
        if query.sort not in USER_SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; sorts are {', '.join(USER_SORTS)}")
        self._require_run(run_id)
        where, params = _user_filters(query)
        where.append("r.run_id = ?")
        params.append(run_id)
        if query.sort == "influence":
            order = "r.influence_rank"
            if query.after is not None:
                where.append("r.influence_rank > ?")
                params.append(query.after[1])
        else:
            key = _sort_key(f"r.{query.sort}")
            order = f"{key} DESC, r.influence_rank"
            if query.after is not None:
                value, rank = query.after
                where.append(f"{key} <= ? AND ({key} < ? OR r.influence_rank > ?)")
                params += [value, value, rank]
        params.append(query.limit)
        clause = f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        return self._user_rows(clause, params, _user_page_index(query))

    def score_column(self, run_id: str, column: str) -> np.ndarray:
        if USER_RESULT_COLUMNS.get(column) not in ("int", "float"):
            raise ValueError(f"{column!r} is not a numeric result column")
        self._require_run(run_id)
        rows = self._db.execute(f"SELECT {column} FROM user_results WHERE run_id = ?", (run_id,))
        return np.array([r[0] for r in rows], dtype=float)

    def user_groups(self, user_id: str) -> list[dict[str, Any]]:
        roles = list(MemberRole)
        rows = self._db.execute(
            """SELECT g.group_id, g.name, m.role FROM memberships m
               JOIN users u ON u.uid = m.uid JOIN groups g ON g.gid = m.gid
               WHERE u.user_id = ? ORDER BY g.group_id""",
            (user_id,),
        )
        return [{"group_id": g, "name": name, "role": roles[role].value} for g, name, role in rows]

    def referral_tree(
        self, user_id: str, direction: Literal["up", "down"], depth: int, limit: int
    ) -> list[dict[str, Any]]:
        # "up" walks invitee -> inviter, "down" inviter -> invitees; rows are the users reached.
        near, far = (
            ("invitee_uid", "inviter_uid")
            if direction == "up"
            else (
                "inviter_uid",
                "invitee_uid",
            )
        )
        rows = self._db.execute(
            f"""WITH RECURSIVE tree(uid, depth) AS (
                  SELECT r.{far}, 1 FROM referrals r JOIN users u ON u.uid = r.{near}
                  WHERE u.user_id = ?
                  UNION ALL
                  SELECT r.{far}, t.depth + 1 FROM tree t JOIN referrals r ON r.{near} = t.uid
                  WHERE t.depth < ?)
                SELECT a.user_id, i.user_id, t.depth FROM tree t JOIN users a ON a.uid = t.uid
                LEFT JOIN referrals r ON r.invitee_uid = t.uid
                LEFT JOIN users i ON i.uid = r.inviter_uid
                ORDER BY t.depth, a.user_id LIMIT ?""",
            (user_id, depth, limit),
        )
        return [{"user_id": u, "inviter_id": i, "depth": d} for u, i, d in rows]

    def find_users(self, run_id: str, text: str, limit: int) -> list[dict[str, Any]]:
        self._require_run(run_id)
        matches = " UNION ".join(
            f"SELECT user_id FROM (SELECT user_id FROM users WHERE {column} >= ? AND {column} < ? "
            f"ORDER BY {column} LIMIT ?)"
            for column in ("user_id", "name")
        )
        end = text + _LAST_CHAR
        return self._user_rows(
            f"WHERE r.run_id = ? AND r.user_id IN ({matches}) ORDER BY r.influence_rank LIMIT ?",
            [run_id, text, end, limit, text, end, limit, limit],
            "user_results_user",
        )

    def edges_among(self, user_ids: Sequence[str]) -> list[tuple[str, str, str, int]]:
        self._refresh_interactions()
        kinds = [kind.value for kind in InteractionKind]
        rows = self._db.execute(
            """WITH ids(uid) AS MATERIALIZED (
                   SELECT u.uid FROM json_each(?) j JOIN users u ON u.user_id = j.value),
               edges(src, dst, kind, count) AS (
                   SELECT src, dst, kind, count FROM interactions
                   WHERE src IN ids AND +dst IN ids  -- dst: a lookup, not an index loop
                   UNION ALL
                   SELECT inviter_uid, invitee_uid, -1, 1 FROM referrals
                   WHERE invitee_uid IN ids AND +inviter_uid IN ids)
               SELECT s.user_id, d.user_id, e.kind, e.count FROM edges e
               JOIN users s ON s.uid = e.src JOIN users d ON d.uid = e.dst""",
            (json.dumps(list(user_ids)),),
        )
        return [
            (src, dst, "referral" if kind < 0 else kinds[kind], count)
            for src, dst, kind, count in rows
        ]

    def community_page(self, run_id: str, query: CommunityQuery) -> list[CommunityResult]:
        if query.sort not in COMMUNITY_SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; sorts are {', '.join(COMMUNITY_SORTS)}")
        self._require_run(run_id)
        key = _COMMUNITY_KEYS[query.sort]
        where, params = ["run_id = ?"], [run_id]
        if query.shape is not None:
            where.append("shape = ?")
            params.append(query.shape)
        if query.after is not None:
            value, community_id = query.after
            where.append(f"({key} < ? OR ({key} = ? AND community_id > ?))")
            params += [value, value, community_id]
        rows = self._db.execute(
            f"SELECT {', '.join(_COMMUNITY_FIELDS)} FROM community_results "
            f"WHERE {' AND '.join(where)} ORDER BY {key} DESC, community_id LIMIT ?",
            [*params, query.limit],
        )
        return [CommunityResult(*row) for row in rows]

    def community_result(self, run_id: str, community_id: str) -> CommunityResult | None:
        self._require_run(run_id)
        row = self._db.execute(
            f"SELECT {', '.join(_COMMUNITY_FIELDS)} FROM community_results "
            "WHERE run_id = ? AND community_id = ?",
            (run_id, community_id),
        ).fetchone()
        return CommunityResult(*row) if row else None

    def group_result(self, run_id: str, group_id: str) -> GroupResult | None:
        found = self._group_rows("group_id = ?", run_id, group_id)
        return found[0] if found else None

    def groups_led_by(self, run_id: str, user_id: str) -> list[GroupResult]:
        return self._group_rows("effective_owner_id = ?", run_id, user_id)

    def set_community_label(self, community_id: str, label: str | None) -> None:
        with self._tx() as db:
            if label is None:
                db.execute("DELETE FROM community_labels WHERE community_id = ?", (community_id,))
            else:
                db.execute(
                    "INSERT INTO community_labels VALUES (?, ?, ?) ON CONFLICT (community_id) "
                    "DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at",
                    (community_id, label, time.time()),
                )

    def community_labels(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT community_id, label FROM community_labels"))

    def _group_rows(self, condition: str, run_id: str, value: str) -> list[GroupResult]:
        self._require_run(run_id)
        rows = self._db.execute(
            f"SELECT {', '.join(_GROUP_FIELDS)} FROM group_results "
            f"WHERE run_id = ? AND {condition} ORDER BY group_id",
            (run_id, value),
        )
        return [_group(row) for row in rows]
