"""Interaction events of a first import, as columns: distinct by fingerprint, aggregated per
(src, dst, kind) with numpy when the relationship file is written.

The fingerprints are the Neo4j store's (``event_key``) and go into the relationships'
``event_keys`` arrays, so later incremental loads through Neo4jStore stay idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphsvc.model import (
    CHAT_DAY_BITS,
    DAY_SECONDS,
    UNDATED_DAY,
    EventColumns,
    Interaction,
    InteractionKind,
    event_key,
)

__all__ = ["ImportEvents"]

_COLUMNS = (np.int64, np.int64, np.int8, np.int64, bool, np.float64, np.int64, np.int64)
_TABLE = (
    "src", "dst", "kind", "count", "weight", "days", "first_at", "last_at", "event_keys",
    "event_days", "day_counts", "day_weights", "chat_days",
)  # fmt: skip
_BIG = np.iinfo(np.int64).max


class ImportEvents:
    """The distinct events added so far; ``ids`` names the users they reference."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        # src, dst, kind, at, dated, weight, key, gid of the group named (-1 none)
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._seen = np.empty(0, dtype=np.int64)  # every fingerprint added, sorted

    @property
    def ids(self) -> list[str]:
        return list(self._codes)

    @property
    def events(self) -> int:
        return len(self._seen)

    def add_columns(self, events: EventColumns, gids: Sequence[int]) -> int:
        """Add one input's events (``gids``: of ``events.groups``); return how many were new."""
        ids, kinds = events.ids.tolist(), list(InteractionKind)
        columns = (
            events.src.tolist(),
            events.dst.tolist(),
            events.kind.tolist(),
            events.at.tolist(),
            events.dated.tolist(),
            events.seq.tolist(),
        )
        keys = np.fromiter(
            (
                event_key(ids[s], ids[d], kinds[k], at if dated else None, seq)
                for s, d, k, at, dated, seq in zip(*columns, strict=True)
            ),
            np.int64,
            len(events),
        )
        code = np.array([self._code(i) for i in ids], dtype=np.int64)
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
        src, dst, kind = (self._column(i) for i in range(3))
        if not len(src):
            return 0
        return len(np.unique(np.column_stack((src, dst, kind.astype(np.int64))), axis=0))

    def table(self, delimiter: str) -> pa.Table:
        """One row per (src, dst, kind): src, dst, kind, count, weight, days, first_at and
        last_at (null when unknown), event_keys, event_days and chat_days (null while no
        event names a group; Neo4jStore's encoding) joined by ``delimiter``."""
        src, dst, kind, at, dated, weight, key, chat = (self._column(i) for i in range(8))
        order = np.lexsort((kind, dst, src))  # stable: a pair's events in the order added
        src, dst, kind, at, dated, weight, key, chat = (
            c[order] for c in (src, dst, kind, at, dated, weight, key, chat)
        )
        change = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1]) | (kind[1:] != kind[:-1])
        starts = np.flatnonzero(np.r_[len(src) > 0, change])
        ends = np.r_[starts[1:], len(src)].astype(np.int64)
        if not len(starts):
            return pa.table({name: pa.array([], pa.string()) for name in _TABLE})
        first = np.minimum.reduceat(np.where(dated, at, _BIG), starts)
        last = np.maximum.reduceat(np.where(dated, at, -_BIG), starts)
        day_ends, days, day_counts, day_weights = _distinct_days(
            starts, ends, np.where(dated, at // DAY_SECONDS, UNDATED_DAY), weight
        )
        names = pa.array(self.ids, pa.string())
        columns = (
            names.take(pa.array(src[starts])),
            names.take(pa.array(dst[starts])),
            pa.array(kind[starts].astype(np.int64)),
            pa.array(ends - starts),
            pa.array(_sums(starts, ends, weight)),
            pa.array(np.diff(np.r_[0, day_ends])),
            pa.array(first, mask=first == _BIG),
            pa.array(last, mask=last == -_BIG),
            _joined(np.r_[0, ends], key, delimiter),
            _joined(np.r_[0, day_ends], days, delimiter),
            _joined(np.r_[0, day_ends], day_counts, delimiter),
            _joined(np.r_[0, day_ends], day_weights, delimiter),
            _chat_days(starts, ends, at, dated, chat, delimiter),
        )
        return pa.table(dict(zip(_TABLE, columns, strict=True)))

    def _code(self, user_id: str) -> int:
        return self._codes.setdefault(user_id, len(self._codes))

    def _add(self, *columns: np.ndarray) -> int:
        keys = columns[6]  # the fingerprints
        _, first = np.unique(keys, return_index=True)
        fresh = np.zeros(len(keys), dtype=bool)
        fresh[first] = True  # the first of a fingerprint repeated in the input
        fresh &= ~np.isin(keys, self._seen)
        if fresh.any():
            self._parts.append(tuple(c[fresh] for c in columns))
            self._seen = np.union1d(self._seen, keys[fresh])
        return int(fresh.sum())

    def _column(self, i: int) -> np.ndarray:
        parts = [part[i] for part in self._parts]
        return np.concatenate(parts) if parts else np.empty(0, _COLUMNS[i])


def _distinct_days(
    starts: np.ndarray, ends: np.ndarray, day: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, ...]:
    """For consecutive groups of events [starts[i], ends[i]): where each group's distinct days
    end in the returned days (sorted within a group), those days, and the events and weight
    of each (added in event order, as the transactional load adds)."""
    group = np.repeat(np.arange(len(starts)), ends - starts)
    order = np.lexsort((day, group))  # stable: a day's events in event order
    group, day, weight = group[order], day[order], weight[order]
    keep = np.r_[True, (group[1:] != group[:-1]) | (day[1:] != day[:-1])]
    first = np.flatnonzero(keep)
    counts = np.diff(np.r_[first, len(day)])
    sums = _sums(first, np.r_[first[1:], len(day)], weight)
    per_group = np.bincount(group[keep], minlength=len(starts))
    return np.cumsum(per_group), day[keep], counts, sums


def _chat_days(
    starts: np.ndarray,
    ends: np.ndarray,
    at: np.ndarray,
    dated: np.ndarray,
    chat: np.ndarray,
    delimiter: str,
) -> pa.Array:
    """Each group's chat_days (see Neo4jStore ``chat_days``): null unless an event names a
    group, else its distinct gid * 2**CHAT_DAY_BITS + day over dated events since 1970."""
    named = np.maximum.reduceat(chat, starts) >= 0 if len(starts) else np.zeros(0, bool)
    code = (chat << CHAT_DAY_BITS) + np.where(dated & (at >= 0), at // DAY_SECONDS, 0)
    counted = np.repeat(named, ends - starts) & dated & (at >= 0)
    group = np.repeat(np.arange(len(starts)), ends - starts)
    pairs = np.unique(np.column_stack((group[counted], code[counted])), axis=0)
    offsets = np.r_[0, np.cumsum(np.bincount(pairs[:, 0], minlength=len(starts)))]
    joined = _joined(offsets, pairs[:, 1], delimiter)
    return pc.if_else(pa.array(named), joined, pa.scalar(None, joined.type))


def _sums(starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each group's sum, added one by one in order from 0.0, as the transactional load adds
    (``np.add.reduceat`` adds in another order, which can differ in the last bit)."""
    group = np.repeat(np.arange(len(starts)), ends - starts)
    return np.bincount(group, weights=values, minlength=len(starts))


def _joined(offsets: np.ndarray, values: np.ndarray, delimiter: str) -> pa.Array:
    """``values[offsets[i]:offsets[i + 1]]`` as one text per i, joined by ``delimiter``."""
    lists = pa.LargeListArray.from_arrays(
        pa.array(offsets, pa.int64()), pc.cast(pa.array(values), pa.string())
    )
    return pc.binary_join(lists, delimiter)
