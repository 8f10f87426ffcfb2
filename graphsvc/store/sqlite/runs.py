"""Analysis runs: written and made current in one transaction, read back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from graphsvc.errors import NotFoundError, shown
from graphsvc.model import (
    USER_RESULT_COLUMNS,
    CommunityResult,
    GroupResult,
    HealthSeries,
    RunInfo,
    RunResult,
    SeedSet,
    pack_series,
    unpack_series,
)
from graphsvc.store.base import (
    USER_MINIMUMS,
    UserQuery,
    result_column,
)
from graphsvc.store.bulk import collector_paused
from graphsvc.store.sqlite.connections import StoreParts
from graphsvc.store.sqlite.schema import (
    LEGACY_RESULTS,
    results_ddl,
    results_indexes,
    results_table,
)

COMMUNITY_FIELDS = tuple(CommunityResult.__dataclass_fields__)
GROUP_FIELDS = tuple(GroupResult.__dataclass_fields__)
_USER_FIELDS = ("user_id", *USER_RESULT_COLUMNS)
_WRITE_CACHE_KIB = -(1 << 20)  # 1 GiB while a run is written (negative: KiB)


class Runs(StoreParts):
    """SqliteStore's analysis runs: write, prune, read back."""

    @collector_paused()
    def write_run(self, result: RunResult) -> None:
        """One transaction: the run, its users in a table of their own (rows in key order,
        then each index built by one sort), its communities and groups, made current; then
        the oldest runs beyond ``keep_runs`` removed."""
        info, users = result.info, result.users
        order = np.argsort(users.columns["influence_rank"], kind="stable")
        columns = [users.user_id[order].tolist()] + [
            users.columns[name][order].tolist() for name in USER_RESULT_COLUMNS
        ]
        user_rows = zip(*columns, strict=True)
        marks = ", ".join("?" * len(_USER_FIELDS))
        table = results_table(info.run_id)
        # a page cache holding the run's results while they are written and indexed
        with self._pragma("cache_size", _WRITE_CACHE_KIB), self._tx() as db:
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
            db.execute(results_ddl(table))
            db.executemany(
                f"INSERT INTO {table} (run_id, {', '.join(_USER_FIELDS)}) VALUES (?, {marks})",
                ((info.run_id, *row) for row in user_rows),
            )
            for ddl in results_indexes(table):
                db.execute(ddl)
            for name, fields, rows in (
                ("community_results", COMMUNITY_FIELDS, result.communities),
                ("group_results", GROUP_FIELDS, result.groups),
            ):
                db.executemany(
                    f"INSERT INTO {name} (run_id, {', '.join(fields)}) "
                    f"VALUES (?, {', '.join('?' * len(fields))})",
                    [(info.run_id, *(getattr(r, f) for f in fields)) for r in rows],
                )
            db.executemany(
                "INSERT INTO health_series VALUES (?, ?, ?, ?, ?)",
                (
                    (info.run_id, s.unit, s.unit_id, s.start, pack_series(s.values))
                    for s in result.series
                ),
            )
            db.execute(
                "INSERT INTO meta VALUES ('current_run', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (info.run_id,),
            )
        self._prune_runs()

    @contextmanager
    def _pragma(self, name: str, value: int | str) -> Iterator[sqlite3.Connection]:
        """This thread's connection with PRAGMA ``name`` set to ``value``, back to its usual
        value afterwards."""
        db = self._db
        usual = db.execute(f"PRAGMA {name}").fetchone()[0]
        db.execute(f"PRAGMA {name}={value}")
        try:
            yield db
        finally:
            db.execute(f"PRAGMA {name}={usual}")

    def _prune_runs(self) -> None:
        """Remove the runs beyond the newest ``keep_runs``, once the new one is published (a
        crash in between leaves one run too many, which the next write removes). The freed
        pages are left as they are, not zeroed (``secure_delete=FAST``; Debian builds SQLite
        zeroing them): results are derived data, and zeroing a 1M-user run took seconds."""
        with self._pragma("secure_delete", "FAST") as db, self._tx():
            self._drop_runs(db)

    def _drop_runs(self, db: sqlite3.Connection) -> None:
        stale = [
            r[0]
            for r in db.execute(
                "SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT -1 OFFSET ?",
                (self.keep_runs,),
            )
        ]
        tables = (
            LEGACY_RESULTS,
            "community_results",
            "group_results",
            "health_series",
            "seed_sets",
            "runs",
        )
        for table in tables:
            db.executemany(f"DELETE FROM {table} WHERE run_id = ?", [(r,) for r in stale])
        for run_id in stale:
            db.execute(f"DROP TABLE IF EXISTS {results_table(run_id)}")

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

    def health_series(self, run_id: str, unit: str, unit_ids: Sequence[str]) -> list[HealthSeries]:
        sql = (
            "SELECT unit_id, start, series FROM health_series "
            "WHERE run_id = ? AND unit = ? AND unit_id = ?"
        )
        found = []
        for unit_id in unit_ids:
            row = self._db.execute(sql, (run_id, unit, unit_id)).fetchone()
            if row:
                found.append(HealthSeries(unit, row[0], row[1], unpack_series(row[2])))
        return found

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

    def _results_of(self, run_id: str) -> str:
        """The table holding run ``run_id``'s users (NotFoundError for an unknown run): its
        own, or the one table of runs written before versions gave each run its own."""
        self._require_run(run_id)
        table = results_table(run_id)
        found = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return table if found else LEGACY_RESULTS

    def user_results(
        self,
        run_id: str,
        *,
        community_id: str | None = None,
        tier: str | None = None,
        after_rank: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where, params = user_filters(UserQuery(community_id=community_id, tier=tier))
        where += ["r.run_id = ?", "r.influence_rank > ?"]
        params += [run_id, after_rank, -1 if limit is None else limit]
        return self._user_rows(
            run_id, f"WHERE {' AND '.join(where)} ORDER BY r.influence_rank LIMIT ?", params
        )

    def user_result(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        rows = self._user_rows(
            run_id, "WHERE r.run_id = ? AND r.user_id = ?", [run_id, user_id], "user"
        )
        return rows[0] if rows else None

    def result_columns(self, run_id: str, columns: Sequence[str]) -> dict[str, np.ndarray]:
        kinds = {name: USER_RESULT_COLUMNS[name] for name in columns}  # KeyError: unknown
        table = self._results_of(run_id)
        rows = self._db.execute(
            f"SELECT {', '.join(['user_id', *kinds])} FROM {table} WHERE run_id = ?",
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
        self, run_id: str, clause: str, params: Sequence[Any], index: str | None = None
    ) -> list[dict[str, Any]]:
        """Rows of run ``run_id``'s users (``r``) with their names; ``index`` names one of
        the table's indexes by what it holds (``results_indexes``)."""
        table = self._results_of(run_id)
        fields = ", ".join(f"r.{f}" for f in USER_RESULT_COLUMNS)
        hint = f" INDEXED BY {table}_{index}" if index else ""
        cursor = self._db.execute(
            f"SELECT r.user_id, u.name, {fields} FROM {table} r{hint} "
            f"LEFT JOIN users u ON u.user_id = r.user_id {clause}",
            params,
        )
        names = ("user_id", "name", *USER_RESULT_COLUMNS)
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def community_results(self, run_id: str) -> list[CommunityResult]:
        self._require_run(run_id)
        rows = self._db.execute(
            f"SELECT {', '.join(COMMUNITY_FIELDS)} FROM community_results WHERE run_id = ? "
            "ORDER BY size DESC, community_id",
            (run_id,),
        )
        return [community_from_row(row) for row in rows]

    def group_results(self, run_id: str) -> list[GroupResult]:
        self._require_run(run_id)
        rows = self._db.execute(
            f"SELECT {', '.join(GROUP_FIELDS)} FROM group_results WHERE run_id = ? "
            "ORDER BY group_id",
            (run_id,),
        )
        return [group_from_row(row) for row in rows]


def community_from_row(row: Sequence[Any]) -> CommunityResult:
    return CommunityResult(**dict(zip(COMMUNITY_FIELDS, row, strict=True)))


def group_from_row(row: Sequence[Any]) -> GroupResult:
    values = dict(zip(GROUP_FIELDS, row, strict=True))
    return GroupResult(**{**values, "owner_mismatch": bool(values["owner_mismatch"])})


def _in_community(community_id: str) -> tuple[str, list[Any]]:
    """SQL matching ``r.community_id`` to a community or one of its sub-communities
    ("c-0042" or "c-0042.03"): one range of the community index ("." sorts just before "/"),
    the next character checked."""
    condition = (
        "r.community_id >= ? AND r.community_id < ? "
        "AND (r.community_id = ? OR substr(r.community_id, ?, 1) = '.')"
    )
    return condition, [community_id, community_id + "/", community_id, len(community_id) + 1]


def user_filters(query: UserQuery) -> tuple[list[str], list[Any]]:
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
    for field, column in USER_MINIMUMS.items():
        if (bound := getattr(query, field)) is not None:
            where.append(f"r.{column} >= ?")
            params.append(bound)
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
