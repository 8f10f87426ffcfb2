"""The SQLite schema, and bringing files written by earlier versions up to it."""

from __future__ import annotations

import hashlib
import json
import typing

from graphsvc.model import (
    RENAMED_TIERS,
    USER_RESULT_COLUMNS,
    Lifecycle,
)
from graphsvc.store.base import (
    USER_SORTS,
    renamed_run_json,
)
from graphsvc.store.sqlite.connections import StoreParts

PRAGMAS = (
    "synchronous=NORMAL",
    "busy_timeout=30000",
    "temp_store=MEMORY",
    "cache_size=-262144",
)
MARK_STALE = "INSERT OR REPLACE INTO meta VALUES ('interactions_stale', '1')"
# community sorts: (index name, SQL key); runs written before health_score was stored sort as 0
COMMUNITY_KEYS = {"size": "size", "health": "coalesce(health_score, 0)"}
_COMMUNITY_INDEX_NAMES = {"size": "size", "health": "health_score"}


def sort_key(column: str) -> str:
    """The SQL sort key of a user sort (indexed by this very expression)."""
    return f"coalesce({column}, -1)"


_COMMUNITY_INDEXES = "".join(
    f"CREATE INDEX IF NOT EXISTS community_results_{_COMMUNITY_INDEX_NAMES[name]} ON "
    f"community_results (run_id, {key} DESC, community_id);\n"
    for name, key in COMMUNITY_KEYS.items()
)
LEGACY_RESULTS = "user_results"  # every run's users, as versions before 0.9 wrote them


def results_table(run_id: str) -> str:
    """The table of one run's user results (its own, so it is written without indexes and
    indexed by sorting afterwards, and dropped whole when the run is pruned)."""
    return f"{LEGACY_RESULTS}_{hashlib.sha1(run_id.encode()).hexdigest()[:16]}"


def _run_key(table: str) -> str:
    """What leads a results table's keys: the run in the table of all runs, nothing in a
    run's own table (every row has the same run)."""
    return "run_id, " if table == LEGACY_RESULTS else ""


def results_ddl(table: str) -> str:
    """CREATE TABLE for user results named ``table``."""
    columns = ", ".join(
        f"{name} {'TEXT' if kind == 'str' else kind.upper().replace('FLOAT', 'REAL')}"
        for name, kind in USER_RESULT_COLUMNS.items()
    )
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (run_id TEXT NOT NULL, user_id TEXT NOT NULL, "
        f"{columns}, PRIMARY KEY ({_run_key(table)}influence_rank)) WITHOUT ROWID"
    )


def results_indexes(table: str) -> list[str]:
    """The indexes of a user results table, named ``<table>_<what>`` (see ``result_index``)."""
    keyed = {
        "user": "user_id",
        "community": "community_id, influence_rank",
        "tier": "tier, influence_rank",
        "role": "role, influence_rank",
        **{name: f"{sort_key(name)} DESC, influence_rank" for name in USER_SORTS[1:]},
    }
    return [
        f"CREATE INDEX IF NOT EXISTS {table}_{what} ON {table} ({_run_key(table)}{key})"
        for what, key in keyed.items()
    ]


_EVENTS_TABLE = """CREATE TABLE IF NOT EXISTS interaction_events (
    src INTEGER NOT NULL, dst INTEGER NOT NULL, kind INTEGER NOT NULL, at INTEGER NOT NULL,
    seq INTEGER NOT NULL, weight REAL NOT NULL, gid INTEGER,
    PRIMARY KEY (src, dst, kind, at, seq)) WITHOUT ROWID"""
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
    left_at INTEGER, PRIMARY KEY (uid, gid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_group ON memberships (gid);
CREATE TABLE IF NOT EXISTS referrals (
    invitee_uid INTEGER PRIMARY KEY, inviter_uid INTEGER NOT NULL, referred_at INTEGER,
    campaign TEXT);
CREATE INDEX IF NOT EXISTS referrals_inviter ON referrals (inviter_uid);
{_EVENTS_TABLE};
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
{results_ddl(LEGACY_RESULTS)};
CREATE TABLE IF NOT EXISTS community_results (
    run_id TEXT NOT NULL, community_id TEXT NOT NULL, size INTEGER NOT NULL, owner_id TEXT,
    owner_margin REAL, runner_up_id TEXT, density REAL, reciprocity REAL, owner_share REAL,
    centralization REAL, shape TEXT, parent_id TEXT, derived_from TEXT NOT NULL DEFAULT '',
    owner_reason TEXT NOT NULL DEFAULT '', health_score REAL,
    PRIMARY KEY (run_id, community_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_labels (
    community_id TEXT PRIMARY KEY, label TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS group_results (
    run_id TEXT NOT NULL, group_id TEXT NOT NULL, size INTEGER NOT NULL,
    declared_owner_id TEXT, effective_owner_id TEXT, owner_margin REAL,
    owner_mismatch INTEGER NOT NULL, owner_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, group_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_results_leader ON group_results (run_id, effective_owner_id);
CREATE TABLE IF NOT EXISTS health_series (
    run_id TEXT NOT NULL, unit TEXT NOT NULL, unit_id TEXT NOT NULL, start TEXT NOT NULL,
    series TEXT NOT NULL, PRIMARY KEY (run_id, unit, unit_id)) WITHOUT ROWID;
"""


# analysis.lifecycle's figures on group and community results, added to every file
_LIFECYCLE_COLUMNS = {
    name: {str: "TEXT NOT NULL DEFAULT ''", int: "INTEGER NOT NULL DEFAULT -1"}.get(kind, "REAL")
    for name, kind in typing.get_type_hints(Lifecycle).items()
}


class Schema(StoreParts):
    """SqliteStore's schema and in-place upgrades."""

    def init_schema(self) -> None:
        self._db.executescript(_SCHEMA)
        self._key_events_by_value()
        self._add_missing_columns()
        # after the columns they index; the health index of earlier files had another key
        self._db.executescript(
            "DROP INDEX IF EXISTS community_results_health;\n"
            + _COMMUNITY_INDEXES
            + "".join(f"{ddl};\n" for ddl in results_indexes(LEGACY_RESULTS))
        )
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

    def _key_events_by_value(self) -> None:
        """Files written before version 0.9 keyed events by a hash of their text (``at, key``);
        events are now identified by their values (src, dst, kind, at, seq), clustered by pair.
        Repeats of one event are numbered 0, 1, … in key order, as a re-load numbers them."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(interaction_events)")}
        if "key" not in columns:
            return
        with self._tx() as db:
            db.execute("ALTER TABLE interaction_events RENAME TO interaction_events_hashed")
            db.execute(_EVENTS_TABLE)
            db.execute(
                """INSERT INTO interaction_events (src, dst, kind, at, seq, weight)
                SELECT src, dst, kind, at,
                       row_number() OVER (PARTITION BY src, dst, kind, at ORDER BY key) - 1, weight
                FROM interaction_events_hashed ORDER BY src, dst, kind, at, key"""
            )
            db.execute("DROP TABLE interaction_events_hashed")
            db.execute(MARK_STALE)

    def _add_missing_columns(self) -> None:
        """Bring a file written by an earlier version up to this schema: result columns added
        since then start empty (runs written before simply lack those figures)."""
        types = {"str": "TEXT", "int": "INTEGER", "float": "REAL"}
        results = [
            row[0]
            for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
                (f"{LEGACY_RESULTS}%",),
            )
        ]
        wanted = {
            **{t: {k: types[c] for k, c in USER_RESULT_COLUMNS.items()} for t in results},
            "community_results": {
                "derived_from": "TEXT NOT NULL DEFAULT ''",
                "owner_reason": "TEXT NOT NULL DEFAULT ''",
                "health_score": "REAL",
            },
            "group_results": {"owner_reason": "TEXT NOT NULL DEFAULT ''", **_LIFECYCLE_COLUMNS},
            "interactions": {"days": "INTEGER NOT NULL DEFAULT 1"},
            "memberships": {"left_at": "INTEGER"},
            "interaction_events": {"gid": "INTEGER"},
        }
        wanted["community_results"].update(_LIFECYCLE_COLUMNS)
        with self._tx() as db:
            for table, columns in wanted.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, kind in columns.items():
                    if name not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
                        if table == "interactions":
                            db.execute(MARK_STALE)  # aggregates are rebuilt with the column
