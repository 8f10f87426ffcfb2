"""Users and memberships as columns: read and checked once, a chunk at a time (pass 1), turned
into records only when written (pass 2).

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
from graphsvc.model import Entity, MemberRole, Membership, User

__all__ = ["GATHERED", "RowColumns"]

_ROLES = pa.array([role.value for role in MemberRole])
GATHERED = (Entity.USERS, Entity.MEMBERSHIPS)  # the inputs read this way


class RowColumns:
    """The valid rows of one users or memberships input, chunk by chunk, in file order."""

    def __init__(self, entity: Entity, name: str) -> None:
        self._entity, self._name = entity, name
        self._schema = SCHEMAS[entity]
        # per chunk: columns of the kept rows, and records of kept rows the row parser read
        self._parts: list[tuple[dict[str, pa.Array], dict[int, Any]]] = []

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
        self._parts.append(({k: v.filter(mask) for k, v in columns.items()}, renumbered))
        return n

    def records(self) -> Iterator[list[Any]]:
        """The kept rows as records, one list per chunk."""
        build = _users_of if self._entity is Entity.USERS else _memberships_of
        for columns, parsed in self._parts:
            values = {k: v.to_pylist() for k, v in columns.items()}
            rows = build(values)
            for i, record in parsed.items():
                rows[i] = record
            yield rows


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


_CHECKS = {Entity.USERS: _check_users, Entity.MEMBERSHIPS: _check_memberships}
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
