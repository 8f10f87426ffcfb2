"""Users, memberships and referrals as columns: read and checked once, a chunk at a time
(pass 1), turned into records only when written (pass 2).

As for events (``events``), rows the vectorized checks cannot prove valid go to the row
parser, which accepts them or says exactly what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphsvc.ingest.chunks import Chunk, in_line_order
from graphsvc.ingest.events import present_ids, times
from graphsvc.ingest.validate import PARSERS, SCHEMAS, Problem, RowError
from graphsvc.model import Entity, MemberRole, Membership, Referral, User

__all__ = ["RowColumns"]

_ROLES = pa.array([role.value for role in MemberRole])


class RowColumns:
    """The valid rows of one users, memberships or referrals input, chunk by chunk, in file
    order."""

    def __init__(self, entity: Entity, name: str) -> None:
        self._entity, self._name = entity, name
        self._schema = SCHEMAS[entity]
        # per chunk: columns of the kept rows, records of kept rows the row parser read, and
        # the lines of the kept rows
        self._parts: list[tuple[dict[str, pa.Array], dict[int, Any], np.ndarray]] = []

    def add_chunk(self, chunk: Chunk, on_problem: Callable[[Problem], None]) -> int:
        """Keep a chunk's valid rows; report each bad one (in line order). Returns rows read."""
        return in_line_order(chunk, self._add_rows, on_problem)

    def _add_rows(self, chunk: Chunk, on_problem: Callable[[Problem], None]) -> int:
        n = len(chunk)
        if not n:
            return 0
        fields = {name: chunk.field(name) for name in self._schema.fields}
        ok, columns = _CHECKS[self._entity](fields)
        extras = [c for c in chunk.header if c not in fields] if self._schema.extras else []
        columns.update({c: chunk.columns[c] for c in extras})
        keep, parsed = ok.copy(), {}
        suspects = np.flatnonzero(~ok)
        if len(suspects):
            texts = chunk.text(suspects)
            taken = pa.array(suspects)
            values = [fields[f].take(taken).to_pylist() for f in self._schema.fields]
            more = [chunk.columns[c].take(taken).to_pylist() for c in extras]
            for j, row in enumerate(suspects.tolist()):
                extra = {c: v[j] for c, v in zip(extras, more, strict=True) if v[j]}
                try:
                    record = PARSERS[self._entity]([v[j] for v in values], extra)
                except RowError as err:
                    line = int(chunk.lines[row])
                    on_problem(Problem(self._name, line, err.field, err.problem, texts[j]))
                    continue
                keep[row] = True
                parsed[row] = record
        kept = np.flatnonzero(keep)
        renumbered = {int(np.searchsorted(kept, row)): record for row, record in parsed.items()}
        mask = pa.array(keep)
        kept_columns = {k: v.filter(mask) for k, v in columns.items()}
        self._parts.append((kept_columns, renumbered, chunk.lines[kept]))
        return n

    def records(self, lines: np.ndarray | None = None) -> Iterator[list[Any]]:
        """The kept rows as records, one list per chunk; only those on ``lines`` if given."""
        for columns, parsed, at in self._parts:
            if lines is not None:
                chosen = np.isin(at, lines)
                taken = pa.array(np.flatnonzero(chosen))
                columns = {k: v.take(taken) for k, v in columns.items()}
                renumber = np.cumsum(chosen) - 1
                parsed = {int(renumber[i]): r for i, r in parsed.items() if chosen[i]}
            rows = _BUILDERS[self._entity]({k: v.to_pylist() for k, v in columns.items()})
            for i, record in parsed.items():
                rows[i] = record
            yield rows

    def table(self) -> pa.Table:
        """The kept rows as one table with their ``line``; the fields the row parser read
        come from its records (attributes of the same names)."""
        parts = []
        for columns, parsed, at in self._parts:
            if parsed:
                mask = np.zeros(len(at), bool)
                mask[list(parsed)] = True
                columns = {
                    k: pc.replace_with_mask(
                        v,
                        pa.array(mask),
                        pa.array([getattr(parsed[i], k) for i in sorted(parsed)], v.type),
                    )
                    for k, v in columns.items()
                }
            parts.append(pa.table({"line": at, **columns}))
        return pa.concat_tables(parts) if parts else pa.table({"line": pa.array([], pa.int64())})


def _trimmed(column: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(the column trimmed, whether it needed no trimming)."""
    trimmed = pc.utf8_trim_whitespace(column)
    return trimmed, pc.equal(trimmed, column).to_numpy(zero_copy_only=False)


def _check_users(fields: dict[str, pa.Array]) -> tuple[np.ndarray, dict[str, Any]]:
    name, name_ok = _trimmed(fields["name"])
    at, dated, timed = times(fields["joined_at"])
    ok = present_ids(fields["user_id"]) & name_ok & timed
    return ok, {
        "user_id": fields["user_id"],
        "name": name,
        "joined_at": pa.array(at, mask=~dated),
    }


def _check_memberships(fields: dict[str, pa.Array]) -> tuple[np.ndarray, dict[str, Any]]:
    at, dated, timed = times(fields["joined_at"])
    left, gone, left_timed = times(fields["left_at"])
    role = pc.index_in(fields["role"], value_set=_ROLES)
    known = role.is_valid().to_numpy(zero_copy_only=False)
    empty = pc.equal(fields["role"], "").to_numpy(zero_copy_only=False)
    ok = present_ids(fields["user_id"]) & present_ids(fields["group_id"]) & timed & left_timed
    ok &= (known | empty) & ~(dated & gone & (left < at))  # the row parser names the field
    return ok, {
        "user_id": fields["user_id"],
        "group_id": fields["group_id"],
        "joined_at": pa.array(at, mask=~dated),
        "role": pc.fill_null(role, list(MemberRole).index(MemberRole.MEMBER)),
        "left_at": pa.array(left, mask=~gone),
    }


def _check_referrals(fields: dict[str, pa.Array]) -> tuple[np.ndarray, dict[str, Any]]:
    at, dated, timed = times(fields["referred_at"])
    campaign, campaign_ok = _trimmed(fields["campaign"])
    inviter, invitee = fields["inviter_id"], fields["invitee_id"]
    ok = present_ids(inviter) & present_ids(invitee) & timed & campaign_ok
    ok &= pc.not_equal(inviter, invitee).to_numpy(zero_copy_only=False)  # else: self-referral
    return ok, {
        "inviter_id": inviter,
        "invitee_id": invitee,
        "referred_at": pa.array(at, mask=~dated),
        "campaign": pc.if_else(pc.equal(campaign, ""), None, campaign),
    }


_CHECKS = {
    Entity.USERS: _check_users,
    Entity.MEMBERSHIPS: _check_memberships,
    Entity.REFERRALS: _check_referrals,
}
_BASE = frozenset(("user_id", "name", "joined_at"))


def _users_of(values: dict[str, list]) -> list[Any]:
    extras = [(k, v) for k, v in values.items() if k not in _BASE]
    return [
        User(u, n or None, t, {k: v[i] for k, v in extras if v[i]})
        for i, (u, n, t) in enumerate(
            zip(values["user_id"], values["name"], values["joined_at"], strict=True)
        )
    ]


def _memberships_of(values: dict[str, list]) -> list[Any]:
    roles = list(MemberRole)
    return [
        Membership(u, g, t, roles[r], left)
        for u, g, t, r, left in zip(
            values["user_id"],
            values["group_id"],
            values["joined_at"],
            values["role"],
            values["left_at"],
            strict=True,
        )
    ]


def _referrals_of(values: dict[str, list]) -> list[Any]:
    return [
        Referral(*row)
        for row in zip(
            values["inviter_id"],
            values["invitee_id"],
            values["referred_at"],
            values["campaign"],
            strict=True,
        )
    ]


_BUILDERS = {
    Entity.USERS: _users_of,
    Entity.MEMBERSHIPS: _memberships_of,
    Entity.REFERRALS: _referrals_of,
}
