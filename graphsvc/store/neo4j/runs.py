"""Analysis runs: written in batches, published in one small transaction, read back."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import suppress
from typing import Any

import neo4j
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
    UserResults,
    pack_series,
    unpack_series,
)
from graphsvc.output import plain
from graphsvc.store.base import with_defaults
from graphsvc.store.neo4j.session import StoreParts

_NO_LIMIT = 2**62
RESULT_BATCH = 10_000  # rows per transaction when writing a run
# Transactions in flight when writing a run: on 2 cores, two writers create user results 1.7x
# as fast as one (the server runs one transaction while it commits the other).
WRITE_WORKERS = 2


def bolt_values(column: np.ndarray) -> list[Any]:
    """A result column as Bolt values: Python scalars, NaN and infinities as None (unset)."""
    values = column.tolist()
    if column.dtype.kind == "f":
        return [v if math.isfinite(v) else None for v in values]
    return values


def user_result_batches(users: UserResults) -> Iterator[dict[str, Any]]:
    """``{"cols": {"user_id": [...], column: [...], ...}}`` of RESULT_BATCH users each, as
    _CREATE_USER_RESULTS reads them."""
    ids = users.user_id
    for lo in range(0, len(ids), RESULT_BATCH):
        part = slice(lo, lo + RESULT_BATCH)
        cols = {name: bolt_values(users.columns[name][part]) for name in USER_RESULT_COLUMNS}
        yield {"cols": {"user_id": [str(u) for u in ids[part].tolist()], **cols}}


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[dict[str, Any]]:
    """``{"rows": [...]}`` of ``size`` rows each."""
    for lo in range(0, len(rows), size):
        yield {"rows": rows[lo : lo + size]}


def _members_by_community(
    user_ids: np.ndarray, community_ids: np.ndarray
) -> Iterator[dict[str, Any]]:
    """Users with a community, in batches of RESULT_BATCH users grouped by community
    (``{"communities": [{"id": community_id, "users": [user_id, ...]}, ...]}``), so that a
    batch looks each of its communities up once (a large community spans batches)."""
    has = np.flatnonzero(community_ids.astype(bool))  # "" (or None): no community
    order = has[np.argsort(community_ids[has], kind="stable")]
    for lo in range(0, len(order), RESULT_BATCH):
        part = order[lo : lo + RESULT_BATCH]
        ids = community_ids[part]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        users = np.split(user_ids[part], starts[1:])
        yield {
            "communities": [
                {"id": str(ids[at]), "users": [str(u) for u in group.tolist()]}
                for at, group in zip(starts.tolist(), users, strict=True)
            ]
        }


class Runs(StoreParts):
    """Neo4jStore's analysis runs: write, publish, collect, read back."""

    def write_run(self, result: RunResult) -> None:
        info = result.info
        run_id = str(info.run_id)
        self.session.write(
            lambda tx: tx.run(
                _CREATE_RUN,
                run_id=run_id,
                started_at=float(info.started_at),
                finished_at=None if info.finished_at is None else float(info.finished_at),
                params=json.dumps(info.params, sort_keys=True, default=plain),
                stats=json.dumps(info.stats, sort_keys=True, default=plain),
                fingerprint=info.fingerprint,
            ).consume()
        )
        try:
            self._write_run_parts(run_id, result)
            self.session.write(self._publish_tx, run_id)
        except BaseException:
            with suppress(Exception):  # else the next successful run removes the leftovers
                self._delete_runs([run_id])
            raise
        self._collect_garbage(run_id)

    def _write_run_parts(self, run_id: str, result: RunResult) -> None:
        def write(query: str, batches: Iterator[dict[str, Any]]) -> None:
            self.session.write_batches(query, batches, self.write_workers, run=run_id)

        users = result.users
        write(_CREATE_USER_RESULTS, user_result_batches(users))
        communities = [
            {f: plain(getattr(c, f)) for f in CommunityResult.__dataclass_fields__}
            for c in result.communities
        ]
        write(_CREATE_COMMUNITIES, _chunks(communities, RESULT_BATCH))
        write(
            _LINK_COMMUNITIES, _members_by_community(users.user_id, users.columns["community_id"])
        )
        groups = [
            {f: plain(getattr(g, f)) for f in GroupResult.__dataclass_fields__}
            for g in result.groups
        ]
        write(_CREATE_GROUP_RESULTS, _chunks(groups, RESULT_BATCH))
        series = [
            {
                "unit": h.unit,
                "unit_id": h.unit_id,
                "start": h.start,
                "series": pack_series(h.values),
            }
            for h in result.series
        ]
        write(_CREATE_HEALTH_SERIES, _chunks(series, RESULT_BATCH // 4))

    @staticmethod
    def _publish_tx(tx: neo4j.ManagedTransaction, run_id: str) -> None:
        """The one step that makes a run visible: complete and current, the old one not."""
        tx.run(_PUBLISH, run_id=run_id).consume()

    def _collect_garbage(self, keep_run: str) -> None:
        """Remove complete runs beyond the newest ``keep_runs`` and unfinished leftovers of
        earlier writers (analysis runs one at a time; see jobs)."""
        stale = self.session.value(_STALE_RUNS, keep=self.keep_runs, run_id=keep_run)
        if stale:
            self._delete_runs(stale)

    def _delete_runs(self, run_ids: list[str]) -> None:
        """Delete runs in batches: the communities' member links first (a 1M-user run's
        communities hold 1M of them, more than one transaction's memory allows), then the
        nodes, user results ``write_workers`` transactions at a time (they have no
        relationships, so nothing for two transactions to lock both)."""
        self.session.autocommit(_DELETE_COMMUNITY_LINKS, runs=run_ids)
        for label in _RUN_LABELS:
            concurrent = f"{self.write_workers} CONCURRENT " if label == "UserResult" else ""
            self.session.autocommit(_DELETE_RUN_NODES.format(label, concurrent), runs=run_ids)
        self.session.write(
            lambda tx: tx.run(
                "MATCH (r:AnalysisRun) WHERE r.run_id IN $runs DETACH DELETE r", runs=run_ids
            ).consume()
        )

    def write_seeds(self, seeds: SeedSet) -> None:
        self._require_run(seeds.run_id)
        props = {
            "seeds_id": seeds.seeds_id,
            "run_id": seeds.run_id,
            "created_at": float(seeds.created_at),
            **{
                k: json.dumps(getattr(seeds, k), default=plain) for k in ("params", "stats", "rows")
            },
        }
        self.session.write(
            lambda tx: tx.run("CREATE (s:SeedSet) SET s = $props", props=props).consume()
        )

    def seed_set(self, seeds_id: str) -> SeedSet | None:
        rows = self.session.fetch(
            "MATCH (s:SeedSet {seeds_id: $id}) MATCH (:AnalysisRun {run_id: s.run_id}) "
            "RETURN s {.*} AS s",
            id=str(seeds_id),
        )
        if not rows:
            return None
        s = rows[0]["s"]
        return SeedSet(
            s["seeds_id"],
            s["run_id"],
            s["created_at"],
            *(json.loads(s[k]) for k in ("params", "stats", "rows")),
        )

    def runs(self) -> list[RunInfo]:
        rows = self.session.rows(
            "MATCH (r:AnalysisRun {complete: true}) RETURN r {.*} AS run "
            "ORDER BY r.started_at DESC, r.run_id DESC"
        )
        return [_run_info(row["run"]) for row in rows]

    def current_run(self) -> RunInfo | None:
        rows = self.session.fetch(
            "MATCH (r:AnalysisRun {current: true}) WHERE r.complete RETURN r {.*} AS run"
        )
        return _run_info(rows[0]["run"]) if rows else None

    def revision(self) -> str:
        """The store id and the bookmark of a read: Neo4j 5 answers a read with the id of
        the last transaction committed on the database, by any client, so the bookmark moves
        with every write and only then. The store id tells a bulk-imported database apart,
        whose transaction ids start again."""
        with (
            self.session.errors(),
            self.session.session(default_access_mode=neo4j.READ_ACCESS) as session,
        ):
            result = session.run("CALL db.info() YIELD id")
            store_id = result.single(strict=True)["id"]
            result.consume()
            return f"{store_id}:{','.join(sorted(session.last_bookmarks().raw_values))}"

    def _require_run(self, run_id: str) -> None:
        found = self.session.value(
            "MATCH (r:AnalysisRun {run_id: $run_id}) WHERE r.complete RETURN count(r)",
            run_id=str(run_id),
        )
        if not found:
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
        rows = self.session.rows(
            _USER_RESULTS,
            run_id=str(run_id),
            community=community_id,
            tier=tier,
            after=int(after_rank),
            limit=_NO_LIMIT if limit is None else int(limit),
        )
        return [user_row(row) for row in rows]

    def user_result(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        self._require_run(run_id)
        rows = self.session.rows(_USER_RESULT, run_id=str(run_id), user_id=str(user_id))
        return user_row(rows[0]) if rows else None

    def user_profile(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        rows = self.session.fetch(_USER_PROFILE, run_id=str(run_id), user_id=str(user_id))
        if not rows:
            raise NotFoundError(f"no analysis run {shown(run_id)}")
        row = rows[0]
        if row["r"] is None:
            return None
        return {**user_row(row), "inviter_id": row["inviter_id"], "groups": row["groups"]}

    def community_results(self, run_id: str) -> list[CommunityResult]:
        self._require_run(run_id)
        rows = self.session.rows(
            "MATCH (c:Community {run_id: $run_id}) RETURN c {.*} AS c "
            "ORDER BY c.size DESC, c.community_id",
            run_id=str(run_id),
        )
        return [community_from_props(row["c"]) for row in rows]

    def group_results(self, run_id: str) -> list[GroupResult]:
        return self._group_rows(run_id, "true")

    def health_series(self, run_id: str, unit: str, unit_ids: Sequence[str]) -> list[HealthSeries]:
        rows = self.session.rows(
            "UNWIND $ids AS id MATCH (h:HealthSeries {run_id: $run_id, unit: $unit, unit_id: id}) "
            "RETURN h.unit_id AS unit_id, h.start AS start, h.series AS series",
            run_id=str(run_id),
            unit=unit,
            ids=[str(i) for i in unit_ids],
        )
        return [
            HealthSeries(unit, r["unit_id"], r["start"], unpack_series(r["series"])) for r in rows
        ]


def _run_info(props: dict[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=props["run_id"],
        started_at=props["started_at"],
        finished_at=props.get("finished_at"),
        params=json.loads(props.get("params") or "{}"),
        stats=json.loads(props.get("stats") or "{}"),
        fingerprint=props.get("fingerprint") or "",
    )


def community_from_props(props: dict[str, Any]) -> CommunityResult:
    return CommunityResult(**with_defaults(CommunityResult, props))


def user_row(row: dict[str, Any]) -> dict[str, Any]:
    result = row["r"]
    return {
        "user_id": result["user_id"],
        "name": row["name"],
        **{name: result.get(name) for name in USER_RESULT_COLUMNS},
    }


_CREATE_RUN = """
CREATE (:AnalysisRun {run_id: $run_id, started_at: $started_at, finished_at: $finished_at,
                      params: $params, stats: $stats, fingerprint: $fingerprint,
                      complete: false, current: false})"""

# Columns, not rows: one list per property (each key sent once, not once per user); a
# missing value (None) leaves the property unset. One CREATE with every property: 1.2× the
# rate of a CREATE followed by a SET per property.
_CREATE_USER_RESULTS = f"""
UNWIND range(0, size($cols.user_id) - 1) AS i
CREATE (r:UserResult {{run_id: $run, user_id: $cols.user_id[i],
                      {", ".join(f"{name}: $cols.{name}[i]" for name in USER_RESULT_COLUMNS)}}})"""

_CREATE_COMMUNITIES = """
UNWIND $rows AS row
CREATE (c:Community {run_id: $run})
SET c += row
WITH c, row
OPTIONAL MATCH (leader:User {user_id: row.owner_id})
FOREACH (_ IN CASE WHEN leader IS NULL THEN [] ELSE [1] END | CREATE (c)-[:LED_BY]->(leader))"""

_LINK_COMMUNITIES = """
UNWIND $communities AS community
MATCH (c:Community {run_id: $run, community_id: community.id})
UNWIND community.users AS user_id
MATCH (u:User {user_id: user_id})
CREATE (u)-[:IN_COMMUNITY]->(c)"""

_CREATE_GROUP_RESULTS = """
UNWIND $rows AS row
CREATE (g:GroupResult {run_id: $run})
SET g += row"""

_CREATE_HEALTH_SERIES = """
UNWIND $rows AS row
CREATE (h:HealthSeries {run_id: $run})
SET h += row"""

_PUBLISH = """
MATCH (new:AnalysisRun {run_id: $run_id})
OPTIONAL MATCH (old:AnalysisRun {current: true}) WHERE old <> new
SET old.current = false
SET new.complete = true, new.current = true"""

_STALE_RUNS = """
MATCH (r:AnalysisRun) WHERE r.complete
WITH r ORDER BY r.started_at DESC, r.run_id DESC
WITH collect(r.run_id) AS complete
OPTIONAL MATCH (u:AnalysisRun) WHERE NOT u.complete AND u.run_id <> $run_id
WITH complete, collect(u.run_id) AS unfinished
RETURN [r IN complete[$keep..] WHERE r <> $run_id] + unfinished AS stale"""

_DELETE_COMMUNITY_LINKS = """
MATCH (c:Community)<-[link:IN_COMMUNITY]-() WHERE c.run_id IN $runs
CALL (link) { DELETE link } IN TRANSACTIONS OF 10000 ROWS"""

_DELETE_RUN_NODES = """
MATCH (n:{0}) WHERE n.run_id IN $runs
CALL (n) {{ DETACH DELETE n }} IN {1}TRANSACTIONS OF 10000 ROWS"""

_RUN_LABELS = ("UserResult", "Community", "GroupResult", "HealthSeries", "SeedSet")

# A community and its sub-communities ("c-0042", "c-0042.03"): a prefix seek of the
# (run_id, community_id) index, then the character after the prefix checked.
IN_COMMUNITY = (
    "r.community_id STARTS WITH $community "
    "AND (r.community_id = $community OR r.community_id STARTS WITH $community + '.')"
)

_USER_RESULTS = f"""
MATCH (r:UserResult {{run_id: $run_id}})
WHERE r.influence_rank > $after
  AND ($community IS NULL OR {IN_COMMUNITY})
  AND ($tier IS NULL OR r.tier = $tier)
WITH r ORDER BY r.influence_rank LIMIT $limit
OPTIONAL MATCH (u:User {{user_id: r.user_id}})
RETURN r {{.*}} AS r, u.name AS name
ORDER BY r.influence_rank"""

_USER_RESULT = """
MATCH (r:UserResult {run_id: $run_id, user_id: $user_id})
OPTIONAL MATCH (u:User {user_id: r.user_id})
RETURN r {.*} AS r, u.name AS name"""

# No row: no such complete run; r null: the user is not in it.
_USER_PROFILE = """
MATCH (:AnalysisRun {run_id: $run_id, complete: true})
OPTIONAL MATCH (r:UserResult {run_id: $run_id, user_id: $user_id})
OPTIONAL MATCH (u:User {user_id: $user_id})
RETURN r {.*} AS r, u.name AS name,
       [(i:User)-[:REFERRED]->(u) | i.user_id][0] AS inviter_id,
       COLLECT {
         MATCH (u)-[m:MEMBER_OF]->(g:Group)
         RETURN {group_id: g.group_id, name: g.name, role: m.role} AS group ORDER BY g.group_id
       } AS groups"""
