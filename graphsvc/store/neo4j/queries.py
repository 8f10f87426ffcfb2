"""The API's reads: pages, one entity, neighbourhoods, community labels."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from graphsvc.model import (
    USER_RESULT_COLUMNS,
    CommunityResult,
    GroupResult,
    InteractionKind,
)
from graphsvc.store.base import (
    COMMUNITY_SORTS,
    USER_MINIMUMS,
    USER_SORTS,
    CommunityQuery,
    UserQuery,
    result_column,
    with_defaults,
)
from graphsvc.store.neo4j.runs import IN_COMMUNITY, community_from_props, user_row
from graphsvc.store.neo4j.session import StoreParts


class Queries(StoreParts):
    """Neo4jStore's reads for the API and the dashboard."""

    def user_page(self, run_id: str, query: UserQuery) -> list[dict[str, Any]]:
        if query.sort not in USER_SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; sorts are {', '.join(USER_SORTS)}")
        after_value, after_rank = query.after if query.after is not None else (None, None)
        rows = self.session.fetch(
            _user_page(query),
            run_id=str(run_id),
            community=query.community_id,
            tier=query.tier,
            role=query.role,
            **{field: getattr(query, field) for field in USER_MINIMUMS},
            min_level=None if query.min_level is None else max(query.min_level, 0),
            max_level=query.max_level,
            group=query.group_id,
            after_value=after_value,
            after_rank=after_rank,
            limit=int(query.limit),
        )
        if not rows:  # the query matches only a complete run: is there one?
            self._require_run(run_id)
        return [user_row(row) for row in rows]

    def result_columns(self, run_id: str, columns: Sequence[str]) -> dict[str, np.ndarray]:
        kinds = {"user_id": "str", **{name: USER_RESULT_COLUMNS[name] for name in columns}}
        self._require_run(run_id)
        rows = self.session.value(
            "MATCH (r:UserResult {run_id: $run_id}) RETURN collect([c IN $columns | r[c]])",
            run_id=str(run_id),
            columns=list(kinds),
        )
        cols = list(zip(*rows, strict=True)) or [()] * len(kinds)
        return {name: result_column(cols[i], kind) for i, (name, kind) in enumerate(kinds.items())}

    def score_column(self, run_id: str, column: str) -> np.ndarray:
        if USER_RESULT_COLUMNS.get(column) not in ("int", "float"):
            raise ValueError(f"{column!r} is not a numeric result column")
        self._require_run(run_id)
        # A static property (the name is a checked constant) reads 2x faster than r[$column];
        # collect() drops nulls, so the missing values are counted and added back as NaN.
        query = (
            f"MATCH (r:UserResult {{run_id: $run_id}}) RETURN collect(r.{column}) AS v, count(r)"
        )
        row = self.session.rows(query, run_id=str(run_id))[0]
        missing = np.full(row["count(r)"] - len(row["v"]), np.nan)
        return np.concatenate([np.asarray(row["v"], dtype=float), missing])

    def user_groups(self, user_id: str) -> list[dict[str, Any]]:
        return self.session.rows(
            "MATCH (:User {user_id: $user_id})-[m:MEMBER_OF]->(g:Group) "
            "RETURN g.group_id AS group_id, g.name AS name, m.role AS role ORDER BY group_id",
            user_id=str(user_id),
        )

    def referral_tree(
        self, user_id: str, direction: Literal["up", "down"], depth: int, limit: int
    ) -> list[dict[str, Any]]:
        if direction not in ("up", "down"):
            raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
        if depth < 1 or limit < 1:
            return []
        return self.session.rows(
            _REFERRALS[direction],
            user_id=str(user_id),
            depth=int(depth),
            limit=int(limit),
        )

    def find_users(self, run_id: str, text: str, limit: int) -> list[dict[str, Any]]:
        rows = self.session.fetch(_FIND_USERS, run_id=str(run_id), text=str(text), limit=int(limit))
        if not rows:
            self._require_run(run_id)
        return [user_row(row) for row in rows]

    def edges_among(self, user_ids: Sequence[str]) -> list[tuple[str, str, str, int]]:
        kinds = [kind.value for kind in InteractionKind]
        rows = self.session.value(_EDGES_AMONG, ids=[str(u) for u in user_ids])
        return [
            (src, dst, "referral" if kind < 0 else kinds[kind], count)
            for src, dst, kind, count in rows
        ]

    def community_page(self, run_id: str, query: CommunityQuery) -> list[CommunityResult]:
        if query.sort not in COMMUNITY_SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; sorts are {', '.join(COMMUNITY_SORTS)}")
        self._require_run(run_id)
        after_value, after_id = query.after if query.after is not None else (None, None)
        rows = self.session.rows(
            _COMMUNITY_PAGE,
            run_id=str(run_id),
            shape=query.shape,
            by_size=query.sort == "size",
            after_value=after_value,
            after_id=after_id,
            limit=int(query.limit),
        )
        return [community_from_props(row["c"]) for row in rows]

    def community_result(self, run_id: str, community_id: str) -> CommunityResult | None:
        self._require_run(run_id)
        rows = self.session.rows(
            "MATCH (c:Community {run_id: $run_id, community_id: $community_id}) RETURN c {.*} AS c",
            run_id=str(run_id),
            community_id=str(community_id),
        )
        return community_from_props(rows[0]["c"]) if rows else None

    def group_result(self, run_id: str, group_id: str) -> GroupResult | None:
        found = self._group_rows(run_id, "g.group_id = $value", str(group_id))
        return found[0] if found else None

    def groups_led_by(self, run_id: str, user_id: str) -> list[GroupResult]:
        return self._group_rows(run_id, "g.effective_owner_id = $value", str(user_id))

    def set_community_label(self, community_id: str, label: str | None) -> None:
        self.session.write(
            lambda tx: tx.run(
                _SET_LABEL if label is not None else _REMOVE_LABEL,
                community_id=str(community_id),
                label=label,
                now=time.time(),
            ).consume()
        )

    def community_labels(self) -> dict[str, str]:
        rows = self.session.rows(
            "MATCH (l:CommunityLabel) RETURN l.community_id AS id, l.label AS label"
        )
        return {row["id"]: row["label"] for row in rows}

    def _group_rows(
        self, run_id: str, condition: str, value: str | None = None
    ) -> list[GroupResult]:
        """Group results of a run; ``condition`` is one of the constant filters above."""
        self._require_run(run_id)
        rows = self.session.rows(
            f"MATCH (g:GroupResult {{run_id: $run_id}}) WHERE {condition} "
            "RETURN g {.*} AS g ORDER BY g.group_id",
            run_id=str(run_id),
            value=value,
        )
        return [_group(row["g"]) for row in rows]


def _group(props: dict[str, Any]) -> GroupResult:
    values = with_defaults(GroupResult, props)
    values["owner_mismatch"] = bool(values["owner_mismatch"])
    return GroupResult(**values)


def _user_page(query: UserQuery) -> str:
    """A keyset page of users: sort value descending (a missing value as -1), ties by
    influence_rank. Anchored where an index helps (a group's members, a community, else the
    run in rank order) and with only the predicates ``query`` uses; the sort property comes
    from USER_SORTS, never from input."""
    if query.group_id is not None:
        anchor = (
            "MATCH (:Group {group_id: $group})<-[:MEMBER_OF]-(m:User)\n"
            "MATCH (r:UserResult {run_id: $run_id, user_id: m.user_id})"
        )
    elif query.community_id is not None:
        anchor = (  # the hint: a planner without statistics would scan every run's results
            "MATCH (r:UserResult {run_id: $run_id})\n"
            "USING INDEX r:UserResult(run_id, community_id)\n"
            f"WHERE {IN_COMMUNITY}\nWITH r"
        )
    else:
        anchor = "MATCH (r:UserResult {run_id: $run_id})"
    after = "r.influence_rank > $after_rank" if query.after else "r.influence_rank > 0"
    if query.sort == "influence":  # run_id first: the (run_id, influence_rank) index gives order
        order, where = "r.run_id, r.influence_rank", [after]
    else:
        key = f"coalesce(r.{query.sort}, -1)"
        order = f"{key} DESC, r.influence_rank"
        where = [f"({key} < $after_value OR ({key} = $after_value AND {after}))"]
        where = where if query.after else [after]
    where += [
        condition
        for field, condition in (
            ("tier", "r.tier = $tier"),
            ("role", "r.role = $role"),
            *((field, f"r.{column} >= ${field}") for field, column in USER_MINIMUMS.items()),
            ("max_level", "r.referral_level <= $max_level"),
        )
        if getattr(query, field) is not None
    ]
    if query.min_level is not None or query.max_level is not None:
        where.append("r.referral_level >= coalesce($min_level, 0)")
    return f"""{anchor}
WHERE {" AND ".join(where)}
WITH r ORDER BY {order} LIMIT $limit
MATCH (:AnalysisRun {{run_id: $run_id, complete: true}})
OPTIONAL MATCH (u:User {{user_id: r.user_id}})
RETURN r {{.*}} AS r, u.name AS name
ORDER BY {order}"""


def _referral_query(path: str) -> str:
    """Users ``x`` within ``$depth`` referral levels along ``path``, with their inviter."""
    return f"""
MATCH path = {path}
WHERE length(path) <= $depth
WITH x, min(length(path)) AS depth
OPTIONAL MATCH (inviter:User)-[:REFERRED]->(x)
RETURN x.user_id AS user_id, inviter.user_id AS inviter_id, depth
ORDER BY depth, user_id LIMIT $limit"""


_REFERRALS = {
    "down": _referral_query("(:User {user_id: $user_id})-[:REFERRED*1..]->(x:User)"),
    "up": _referral_query("(x:User)-[:REFERRED*1..]->(:User {user_id: $user_id})"),
}

# Users whose id or name starts with $text: the first $limit by each (indexed), by rank.
_FIND_USERS = """
CALL () {
  MATCH (u:User) WHERE u.user_id STARTS WITH $text
  RETURN u ORDER BY u.user_id LIMIT $limit
  UNION
  MATCH (u:User) WHERE u.name STARTS WITH $text
  RETURN u ORDER BY u.name LIMIT $limit
}
MATCH (r:UserResult {run_id: $run_id, user_id: u.user_id})
MATCH (:AnalysisRun {run_id: $run_id, complete: true})
RETURN r {.*} AS r, u.name AS name
ORDER BY r.influence_rank LIMIT $limit"""

_EDGES_AMONG = """
UNWIND $ids AS id
MATCH (a:User {user_id: id})-[e:INTERACTED|REFERRED]->(b:User)
WHERE b.user_id IN $ids
RETURN collect([a.user_id, b.user_id, coalesce(e.kind, -1), coalesce(e.count, 1)])"""

# health_score as the analysis stored it (runs written before it was stored: 0).
_COMMUNITY_PAGE = """
MATCH (c:Community {run_id: $run_id})
WHERE $shape IS NULL OR c.shape = $shape
WITH c, CASE WHEN $by_size THEN toFloat(c.size)
             ELSE coalesce(c.health_score, 0.0) END AS key
WHERE $after_id IS NULL OR key < $after_value OR (key = $after_value AND c.community_id > $after_id)
RETURN c {.*} AS c
ORDER BY key DESC, c.community_id
LIMIT $limit"""

_SET_LABEL = """
MERGE (l:CommunityLabel {community_id: $community_id})
SET l.label = $label, l.updated_at = $now"""

_REMOVE_LABEL = "MATCH (l:CommunityLabel {community_id: $community_id}) DELETE l"
