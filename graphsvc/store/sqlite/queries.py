"""The API's reads: pages, one entity, neighbourhoods, community labels."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from graphsvc.model import (
    USER_RESULT_COLUMNS,
    CommunityResult,
    GroupResult,
    InteractionKind,
    MemberRole,
)
from graphsvc.store.base import (
    COMMUNITY_SORTS,
    USER_SORTS,
    CommunityQuery,
    UserQuery,
)
from graphsvc.store.sqlite.connections import StoreParts
from graphsvc.store.sqlite.runs import (
    COMMUNITY_FIELDS,
    GROUP_FIELDS,
    community_from_row,
    group_from_row,
    user_filters,
)
from graphsvc.store.sqlite.schema import COMMUNITY_KEYS, sort_key

_LAST_CHAR = "\U0010ffff"  # sorts after every character: text < text + it


class Queries(StoreParts):
    """SqliteStore's reads for the API and the dashboard."""

    def user_page(self, run_id: str, query: UserQuery) -> list[dict[str, Any]]:
        if query.sort not in USER_SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; sorts are {', '.join(USER_SORTS)}")
        where, params = user_filters(query)
        where.append("r.run_id = ?")
        params.append(run_id)
        if query.sort == "influence":
            order = "r.influence_rank"
            if query.after is not None:
                where.append("r.influence_rank > ?")
                params.append(query.after[1])
        else:
            key = sort_key(f"r.{query.sort}")
            order = f"{key} DESC, r.influence_rank"
            if query.after is not None:
                value, rank = query.after
                where.append(f"{key} <= ? AND ({key} < ? OR r.influence_rank > ?)")
                params += [value, value, rank]
        params.append(query.limit)
        clause = f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
        return self._user_rows(run_id, clause, params, _user_page_index(query))

    def score_column(self, run_id: str, column: str) -> np.ndarray:
        if USER_RESULT_COLUMNS.get(column) not in ("int", "float"):
            raise ValueError(f"{column!r} is not a numeric result column")
        table = self._results_of(run_id)
        rows = self._db.execute(f"SELECT {column} FROM {table} WHERE run_id = ?", (run_id,))
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
        matches = " UNION ".join(
            f"SELECT user_id FROM (SELECT user_id FROM users WHERE {column} >= ? AND {column} < ? "
            f"ORDER BY {column} LIMIT ?)"
            for column in ("user_id", "name")
        )
        end = text + _LAST_CHAR
        return self._user_rows(
            run_id,
            f"WHERE r.run_id = ? AND r.user_id IN ({matches}) ORDER BY r.influence_rank LIMIT ?",
            [run_id, text, end, limit, text, end, limit, limit],
            "user",
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
        key = COMMUNITY_KEYS[query.sort]
        where, params = ["run_id = ?"], [run_id]
        if query.shape is not None:
            where.append("shape = ?")
            params.append(query.shape)
        if query.after is not None:
            value, community_id = query.after
            where.append(f"({key} < ? OR ({key} = ? AND community_id > ?))")
            params += [value, value, community_id]
        rows = self._db.execute(
            f"SELECT {', '.join(COMMUNITY_FIELDS)} FROM community_results "
            f"WHERE {' AND '.join(where)} ORDER BY {key} DESC, community_id LIMIT ?",
            [*params, query.limit],
        )
        return [community_from_row(row) for row in rows]

    def community_result(self, run_id: str, community_id: str) -> CommunityResult | None:
        self._require_run(run_id)
        row = self._db.execute(
            f"SELECT {', '.join(COMMUNITY_FIELDS)} FROM community_results "
            "WHERE run_id = ? AND community_id = ?",
            (run_id, community_id),
        ).fetchone()
        return community_from_row(row) if row else None

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
            f"SELECT {', '.join(GROUP_FIELDS)} FROM group_results "
            f"WHERE run_id = ? AND {condition} ORDER BY group_id",
            (run_id, value),
        )
        return [group_from_row(row) for row in rows]


def _user_page_index(query: UserQuery) -> str | None:
    """The index (by what it holds) a user page should read where the planner, without
    statistics, would scan the whole run in rank order instead: a group's or a community's
    members, a tier, a role."""
    if query.group_id is not None:
        return "user"
    if query.community_id is not None:
        return "community"
    if query.sort != "influence":
        return None
    if query.tier is not None:
        return "tier"
    return "role" if query.role is not None else None
