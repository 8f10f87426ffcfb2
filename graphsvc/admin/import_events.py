"""Interaction events of a first import, as columns: distinct by fingerprint, aggregated per
(src, dst, kind) with numpy when the relationship file is written.

The fingerprints are the Neo4j store's (``event_key``) and go into its ledger nodes, so later
incremental loads through Neo4jStore stay idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphsvc.model import (
    EventColumns,
    Interaction,
    InteractionKind,
    event_keys,
)
from graphsvc.store.neo4j.ledger import ledger_parts, ledger_slots
from graphsvc.store.neo4j.totals import PairTotals, pair_totals

__all__ = ["ImportEvents"]

_COLUMNS = (np.int64, np.int64, np.int8, np.int64, bool, np.float64, np.int64, np.int64)
_TABLE = (
    "src", "dst", "kind", "count", "weight", "days", "first_at", "last_at", "event_days",
    "day_counts", "day_weights", "chat_days",
)  # fmt: skip


class ImportEvents:
    """The distinct events added so far; ``ids`` names the users they reference."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        # src, dst, kind, at, dated, weight, key, gid of the group named (-1 none)
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._seen = np.empty(0, dtype=np.int64)  # every fingerprint added, sorted
        self._pair_totals: PairTotals | None = None

    @property
    def ids(self) -> list[str]:
        return list(self._codes)

    @property
    def events(self) -> int:
        return len(self._seen)

    def add_columns(self, events: EventColumns, gids: Sequence[int]) -> int:
        """Add one input's events (``gids``: of ``events.groups``); return how many were new."""
        keys = event_keys(events)
        code = np.array([self._code(i) for i in events.ids.tolist()], dtype=np.int64)
        chat = np.append(np.asarray(gids, dtype=np.int64), -1)[events.group]
        return self._add(
            code[events.src], code[events.dst], events.kind, events.at, events.dated,
            events.weight, keys, chat,
        )  # fmt: skip

    def add_records(self, rows: Sequence[Interaction], gids: dict[str, int]) -> int:
        """Add events given one by one (keyed by their own ``key``; ``gids`` of the groups
        they name); return how many were new."""
        n = len(rows)
        return self._add(
            np.fromiter((self._code(e.src_id) for e in rows), np.int64, n),
            np.fromiter((self._code(e.dst_id) for e in rows), np.int64, n),
            np.fromiter((InteractionKind(e.kind).code for e in rows), np.int8, n),
            np.fromiter((e.occurred_at or 0 for e in rows), np.int64, n),
            np.fromiter((e.occurred_at is not None for e in rows), bool, n),
            np.fromiter((e.weight for e in rows), np.float64, n),
            np.fromiter((e.key for e in rows), np.int64, n),
            np.fromiter((gids.get(e.group_id, -1) for e in rows), np.int64, n),
        )

    def pairs(self) -> int:
        """How many (src, dst, kind) relationships the events make."""
        return len(self._totals())

    def _totals(self) -> PairTotals:
        """The events' totals per relationship, computed once after the last events added."""
        if self._pair_totals is None:
            self._pair_totals = pair_totals(*(self._column(i) for i in range(6)), self._column(7))
        return self._pair_totals

    def table(self, delimiter: str) -> pa.Table:
        """One row per (src, dst, kind): src, dst, kind, count, weight, days, first_at and
        last_at (null when unknown), event_days, day_counts and day_weights (null for one
        day), chat_days (null while no event names a group): Neo4jStore's encoding, lists
        joined by ``delimiter``."""
        t = self._totals()
        if not len(t):
            return pa.table({name: pa.array([], pa.string()) for name in _TABLE})
        names = pa.array(self.ids, pa.string())
        several = pa.array(t.days > 1)  # one day: count and weight are its figures
        columns = (
            names.take(pa.array(t.src)),
            names.take(pa.array(t.dst)),
            pa.array(t.kind),
            pa.array(t.count),
            pa.array(t.weight),
            pa.array(t.days),
            pa.array(t.first_at, mask=~t.dated),
            pa.array(t.last_at, mask=~t.dated),
            _joined(t.day_offsets, t.day, delimiter),
            _where(several, _joined(t.day_offsets, t.day_count, delimiter)),
            _where(several, _joined(t.day_offsets, t.day_weight, delimiter)),
            _where(pa.array(t.named), _joined(t.chat_offsets, t.chat_day, delimiter)),
        )
        return pa.table(dict(zip(_TABLE, columns, strict=True)))

    def ledger(self, delimiter: str) -> pa.Table:
        """The fingerprints of the events added, as Neo4jStore's ledger nodes: one row per
        slot part (``ledger_parts``), keys joined by ``delimiter``."""
        at, dated, keys = self._column(3), self._column(4), self._column(6)
        parts = ledger_parts(ledger_slots(at, dated), keys)
        return pa.table(
            {"slot": pa.array(parts.slot), "keys": _joined(parts.offsets, parts.keys, delimiter)}
        )

    def _code(self, user_id: str) -> int:
        return self._codes.setdefault(user_id, len(self._codes))

    def _add(self, *columns: np.ndarray) -> int:
        keys = columns[6]  # the fingerprints
        _, first = np.unique(keys, return_index=True)
        fresh = np.zeros(len(keys), dtype=bool)
        fresh[first] = True  # the first of a fingerprint repeated in the input
        if len(self._seen):
            fresh &= ~np.isin(keys, self._seen)
        if fresh.any():
            self._pair_totals = None
            self._parts.append(tuple(c[fresh] for c in columns))
            # fresh keys are distinct and not seen: the union is a sort, no dedupe
            self._seen = np.sort(np.concatenate([self._seen, keys[fresh]]))
        return int(fresh.sum())

    def _column(self, i: int) -> np.ndarray:
        parts = [part[i] for part in self._parts]
        return np.concatenate(parts) if parts else np.empty(0, _COLUMNS[i])


def _where(keep: pa.Array, values: pa.Array) -> pa.Array:
    """``values`` where ``keep``, else null."""
    return pc.if_else(keep, values, pa.scalar(None, values.type))


def _joined(offsets: np.ndarray, values: np.ndarray, delimiter: str) -> pa.Array:
    """``values[offsets[i]:offsets[i + 1]]`` as one text per i, joined by ``delimiter``."""
    lists = pa.LargeListArray.from_arrays(
        pa.array(offsets, pa.int64()), pc.cast(pa.array(values), pa.string())
    )
    return pc.binary_join(lists, delimiter)
