"""Interaction events as columns: whole columns checked at once, the rest row by row.

A chunk's rows pass when vectorized checks prove them valid (ids present and trimmed, no
self-loop, a known kind, a time in a common form, a plain weight). Every other row goes to
the row parser (``validate.PARSERS``), which accepts it or says exactly what is wrong, so the
messages are those of the row reader. Ids are numbered once per input; the columns of the
whole input become one EventColumns, its repeats numbered (``repeat_ordinals``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphsvc.ingest.chunks import Chunk, in_line_order
from graphsvc.ingest.validate import PARSERS, Event, Problem, RowError
from graphsvc.model import UNDATED_AT, Entity, EventColumns, InteractionKind, repeat_ordinals

__all__ = ["EventBuilder", "present_ids", "times"]

_FIELDS = ("src_id", "dst_id", "kind", "occurred_at", "weight", "group_id")
_KINDS = pa.array([kind.value for kind in InteractionKind])
_DIGITS = r"^[0-9]{1,10}$"  # Unix seconds, as the row parser's fast path
_WEIGHT = r"^[0-9]{1,15}(\.[0-9]{1,15})?$"
# (pattern, strptime format): the ISO 8601 forms exports use; anything else goes row by row
_DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_CLOCK = r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
_TIME_FORMS = (
    (_DATE + _CLOCK + r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$", "%Y-%m-%dT%H:%M:%S%z"),
    (_DATE + _CLOCK + "$", "%Y-%m-%dT%H:%M:%S"),
    (_DATE + "$", "%Y-%m-%d"),
)
_PARSE = PARSERS[Entity.INTERACTIONS]


class EventBuilder:
    """The valid events of one input, gathered chunk by chunk in file order.

    A part (a chunk, or rows read one by one) keeps its ids as indices into ids of its own;
    ``build`` numbers the distinct ids of all parts at once, in order of first appearance."""

    def __init__(self, name: str) -> None:
        self._name = name  # the input, for messages
        self._parts: list[_Part] = []
        self._records: list[Event] = []  # rows read one by one, not yet columns

    def __len__(self) -> int:
        return sum(len(part.columns[0]) for part in self._parts) + len(self._records)

    def add_chunk(self, chunk: Chunk, on_problem: Callable[[Problem], None]) -> int:
        """Add a chunk's valid rows; report each bad row. Returns the rows read."""
        self._flush()
        return in_line_order(chunk, self._add_rows, on_problem)

    def _add_rows(self, chunk: Chunk, on_problem: Callable[[Problem], None]) -> int:
        n = len(chunk)
        if not n:
            return 0
        raw = [chunk.field(name) for name in _FIELDS]
        src, dst, ok = _ids(raw[0]), _ids(raw[1]), np.ones(n, dtype=bool)
        ok &= _present(src, raw[0]) & _present(dst, raw[1])
        ok &= ~pc.equal(src, dst).to_numpy(zero_copy_only=False)
        kind = pc.index_in(raw[2], value_set=_KINDS)
        ok &= kind.is_valid().to_numpy(zero_copy_only=False)
        at, dated, timed = times(raw[3])
        weight, weighed = _weights(raw[4])
        ok &= timed & weighed
        chat = pc.equal(raw[5], "").to_numpy(zero_copy_only=False)
        ok &= chat | present_ids(raw[5])
        chat = ok & ~chat
        users, (src_at, dst_at) = _encoded(n, (src, ok), (dst, ok))
        chats, (chat_at,) = _encoded(n, (raw[5], chat))
        columns = (
            src_at,
            dst_at,
            pc.fill_null(kind, 0).to_numpy(zero_copy_only=False).astype(np.int8),
            at,
            dated,
            weight,
            chat_at,
        )
        keep = ok.copy()
        suspects = np.flatnonzero(~ok)
        part = _Part(columns, _Codes(users), _Codes(chats))
        if len(suspects):
            values = [raw[i].take(pa.array(suspects)).to_pylist() for i in range(len(_FIELDS))]
            texts = chunk.text(suspects)
            for j, row in enumerate(suspects.tolist()):
                try:
                    event = _PARSE([v[j] for v in values], {})
                except RowError as err:
                    line = int(chunk.lines[row])
                    on_problem(Problem(self._name, line, err.field, err.problem, texts[j]))
                    continue
                keep[row] = True
                part.set(row, event)
        self._parts.append(part.taken(keep))
        return n

    def add_event(self, event: Event) -> None:
        """Add one valid event read row by row."""
        self._records.append(event)
        if len(self._records) >= 1 << 18:
            self._flush()

    def build(self) -> EventColumns:
        """The input's events, repeats numbered in file order."""
        self._flush()
        parts = self._parts
        ids, (src, dst) = _numbered([p.users for p in parts], [p.columns[:2] for p in parts], 2)
        groups, (group,) = _numbered([p.chats for p in parts], [p.columns[6:] for p in parts], 1)
        kind, at, dated, weight = (
            np.concatenate([p.columns[i] for p in parts]) if parts else np.empty(0, dtype)
            for i, dtype in zip(range(2, 6), _DTYPES[2:6], strict=True)
        )
        seq = repeat_ordinals(src, dst, kind, np.where(dated, at, UNDATED_AT))
        return EventColumns(ids, src, dst, kind, at, dated, weight, seq, groups, group)

    def _flush(self) -> None:
        """Turn the events read row by row into a part."""
        if not self._records:
            return
        n, records = len(self._records), self._records
        self._records = []
        empty = pa.array([], pa.large_string())
        part = _Part(tuple(np.zeros(n, dtype) for dtype in _DTYPES), _Codes(empty), _Codes(empty))
        for row, event in enumerate(records):
            part.set(row, event)
        self._parts.append(part)


_DTYPES = (np.int32, np.int32, np.int8, np.int64, bool, np.float64, np.int32)


class _Codes:
    """A part's distinct ids: those of its columns, then those its rows read one by one add."""

    def __init__(self, ids: pa.Array) -> None:
        self.ids = ids
        self._added: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        return self._added.setdefault(value, len(self.ids) + len(self._added))

    def array(self) -> pa.Array:
        return pa.concat_arrays([self.ids, pa.array(list(self._added), pa.large_string())])


class _Part:
    """Columns of events whose src, dst (``users``) and group (``chats``) are codes of the
    part's own."""

    def __init__(self, columns: tuple[np.ndarray, ...], users: _Codes, chats: _Codes) -> None:
        self.columns, self.users, self.chats = columns, users, chats

    def set(self, row: int, event: Event) -> None:
        src, dst, kind, at, weight, chat = event
        values = (
            self.users(src),
            self.users(dst),
            InteractionKind(kind).code,
            0 if at is None else at,
            at is not None,
            weight,
            -1 if chat is None else self.chats(chat),
        )
        for column, value in zip(self.columns, values, strict=True):
            column[row] = value

    def taken(self, keep: np.ndarray) -> _Part:
        return _Part(tuple(c[keep] for c in self.columns), self.users, self.chats)


def _encoded(n: int, *columns: tuple[pa.Array, np.ndarray]) -> tuple[pa.Array, list[np.ndarray]]:
    """The distinct ids of ``columns`` where each one's mask holds, in order of first
    appearance, and each column as indices into them (-1 where its mask does not hold: an id
    of a bad row must not become a user)."""
    taken = [ids.filter(pa.array(mask)).cast(pa.large_string()) for ids, mask in columns]
    encoded = pa.concat_arrays(taken).dictionary_encode()
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    out, start = [], 0
    for (_, mask), values in zip(columns, taken, strict=True):
        codes = np.full(n, -1, dtype=np.int32)
        codes[mask] = indices[start : start + len(values)]
        out.append(codes)
        start += len(values)
    return encoded.dictionary, out


def _numbered(
    codes: list[_Codes], columns: list[tuple[np.ndarray, ...]], width: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct ids of all parts in order of first appearance, and the ``width`` columns
    of the parts (codes of their part) each as one column of indices into them (-1 stays)."""
    if not codes:
        return np.empty(0, dtype=object), [np.empty(0, dtype=np.int32)] * width
    arrays = [c.array() for c in codes]
    encoded = pa.concat_arrays(arrays).dictionary_encode()
    number = np.append(encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32), -1)
    starts = np.cumsum([0] + [len(a) for a in arrays[:-1]])
    numbered = [
        np.concatenate(
            [
                np.where(part[i] < 0, -1, part[i] + start)
                for part, start in zip(columns, starts, strict=True)
            ]
        )
        for i in range(width)
    ]
    ids = encoded.dictionary.to_numpy(zero_copy_only=False)
    return ids, [number[column] for column in numbered]


def _ids(column: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(column)


def present_ids(column: pa.Array) -> np.ndarray:
    """Whether each id is non-empty and already trimmed (else the row parser decides)."""
    return _present(_ids(column), column)


def _present(trimmed: pa.Array, column: pa.Array) -> np.ndarray:
    """Non-empty and already trimmed (a padded id goes to the row parser, which strips it)."""
    same = pc.and_(pc.equal(trimmed, column), pc.greater(pc.utf8_length(column), 0))
    return same.to_numpy(zero_copy_only=False)


def times(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Unix seconds, dated, understood): empty means undated; digits and the common ISO
    8601 forms are parsed here (each form only among the rows no earlier form took),
    everything else is left to the row parser."""
    at = np.zeros(len(column), dtype=np.int64)
    empty = pc.equal(column, "").to_numpy(zero_copy_only=False)
    understood = empty.copy()
    pending = np.flatnonzero(~empty)
    for pattern, form in (_TIME_FORMS[0], (_DIGITS, None), *_TIME_FORMS[1:]):
        if not len(pending):
            break
        rest = column.take(pa.array(pending))
        rows = pc.match_substring_regex(rest, pattern).to_numpy(zero_copy_only=False)
        if not rows.any():
            continue
        picked = rest.filter(pa.array(rows))
        if form is None:
            seconds = pc.cast(picked, pa.int64())
            valid = np.ones(len(picked), dtype=bool)
        else:
            seconds = pc.cast(pc.strptime(picked, form, "s", error_is_null=True), pa.int64())
            valid = seconds.is_valid().to_numpy(zero_copy_only=False) & _real_dates(picked)
        where = pending[rows][valid]
        at[where] = pc.fill_null(seconds, 0).to_numpy()[valid]
        understood[where] = True
        pending = pending[~rows]
    return at, ~empty, understood


def _real_dates(column: pa.Array) -> np.ndarray:
    """Whether each YYYY-MM-DD prefix is a day of the calendar (strptime rolls 02-30 over)."""
    date = pc.strptime(pc.utf8_slice_codeunits(column, 0, 10), "%Y-%m-%d", "s", error_is_null=True)
    day = pc.cast(pc.utf8_slice_codeunits(column, 8, 10), pa.int64())
    return pc.fill_null(pc.equal(pc.day(date), day), False).to_numpy(zero_copy_only=False)


def _weights(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(weight, understood): empty means 1.0, plain decimals are parsed here."""
    weight = np.ones(len(column), dtype=np.float64)
    empty = pc.equal(column, "").to_numpy(zero_copy_only=False)
    plain = pc.match_substring_regex(column, _WEIGHT).to_numpy(zero_copy_only=False)
    if plain.any():
        weight[plain] = pc.cast(column.filter(pa.array(plain)), pa.float64()).to_numpy()
    return weight, empty | plain
