"""Per-relationship totals of interaction events, computed with numpy.

An INTERACTED relationship aggregates the events of one (src, dst, kind): count, weight, first
and last time, its distinct UTC days (with the events and weight of each) and, once an event
names a group, its distinct (group, day) as ``chat_days``. Both the transactional load (new
relationships) and the bulk import's files take their properties from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from graphsvc.model import CHAT_DAY_BITS, DAY_SECONDS, UNDATED_DAY
from graphsvc.model.order import lex_order

__all__ = ["PairTotals", "pair_totals", "ranges", "with_stored"]

_BIG = np.iinfo(np.int64).max


@dataclass(frozen=True)
class PairTotals:
    """One row per (src, dst, kind), sorted; list-valued properties as flat values with
    offsets: relationship i's days are ``day[day_offsets[i]:day_offsets[i + 1]]``."""

    src: np.ndarray  # int64, as given
    dst: np.ndarray
    kind: np.ndarray  # int64 kind codes
    count: np.ndarray  # int64
    weight: np.ndarray  # float64, events added one by one from 0.0
    first_at: np.ndarray  # int64, _BIG where no event is dated (see ``known_first``)
    last_at: np.ndarray  # int64, -_BIG where no event is dated
    day_offsets: np.ndarray  # int64, len + 1
    day: np.ndarray  # int64, sorted within a relationship (UNDATED_DAY for undated events)
    day_count: np.ndarray  # int64
    day_weight: np.ndarray  # float64
    named: np.ndarray  # bool: an event names a group (chat_days is not null)
    chat_offsets: np.ndarray  # int64, len + 1 (empty ranges where not named)
    chat_day: np.ndarray  # int64, gid * 2**CHAT_DAY_BITS + day, sorted within a relationship

    def __len__(self) -> int:
        return len(self.src)

    @property
    def days(self) -> np.ndarray:
        """How many distinct days each relationship has."""
        return np.diff(self.day_offsets)

    @property
    def dated(self) -> np.ndarray:
        """Where a relationship has a dated event (first_at and last_at are known)."""
        return self.first_at != _BIG


def pair_totals(
    src: np.ndarray,
    dst: np.ndarray,
    kind: np.ndarray,
    at: np.ndarray,
    dated: np.ndarray,
    weight: np.ndarray,
    chat: np.ndarray,
) -> PairTotals:
    """Totals of distinct events (one row each; ``chat``: gid of the group named, -1 none) per
    (src, dst, kind); a relationship's events are added in the order given."""
    src, dst, kind = (np.asarray(c, dtype=np.int64) for c in (src, dst, kind))
    order = lex_order(kind, dst, src)  # stable: a pair's events in the order given
    src, dst, kind, at, dated, weight, chat = (
        c[order] for c in (src, dst, kind, at, dated, weight, chat)
    )
    change = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1]) | (kind[1:] != kind[:-1])
    starts = np.flatnonzero(np.r_[len(src) > 0, change])
    ends = np.r_[starts[1:], len(src)].astype(np.int64)
    group = np.repeat(np.arange(len(starts)), ends - starts)
    if len(starts):
        first = np.minimum.reduceat(np.where(dated, at, _BIG), starts)
        last = np.maximum.reduceat(np.where(dated, at, -_BIG), starts)
        named = np.maximum.reduceat(chat, starts) >= 0
    else:
        first = last = np.empty(0, np.int64)
        named = np.zeros(0, bool)
    day_offsets, day, day_count, day_weight = _distinct_days(
        group, len(starts), np.where(dated, at // DAY_SECONDS, UNDATED_DAY), weight
    )
    chat_offsets, chat_day = _chat_days(group, named, at, dated, chat)
    return PairTotals(
        src[starts], dst[starts], kind[starts], ends - starts,
        _sums(group, len(starts), weight), first, last,
        day_offsets, day, day_count, day_weight, named, chat_offsets, chat_day,
    )  # fmt: skip


def _distinct_days(
    group: np.ndarray, groups: int, day: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Offsets of each group's distinct days, those days (sorted within a group), and the
    events and weight of each (added in event order, as the transactional load adds)."""
    order = lex_order(day, group)  # stable: a day's events in event order
    group, day, weight = group[order], day[order], weight[order]
    keep = np.r_[len(day) > 0, (group[1:] != group[:-1]) | (day[1:] != day[:-1])]
    first = np.flatnonzero(keep)
    counts = np.diff(np.r_[first, len(day)])
    sums = _sums(np.cumsum(keep) - 1, len(first), weight)
    per_group = np.bincount(group[keep], minlength=groups)
    return np.r_[0, np.cumsum(per_group)], day[keep], counts, sums


def _chat_days(
    group: np.ndarray, named: np.ndarray, at: np.ndarray, dated: np.ndarray, chat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and values of each group's chat_days: empty unless an event names a group, else
    its distinct gid * 2**CHAT_DAY_BITS + day over dated events since 1970."""
    code = (chat.astype(np.int64) << CHAT_DAY_BITS) + np.where(
        dated & (at >= 0), at // DAY_SECONDS, 0
    )
    counted = named[group] & dated & (at >= 0)
    pairs = np.unique(np.column_stack((group[counted], code[counted])), axis=0)
    per_group = np.bincount(pairs[:, 0], minlength=len(named))
    return np.r_[0, np.cumsum(per_group)], pairs[:, 1]


def _sums(group: np.ndarray, groups: int, values: np.ndarray) -> np.ndarray:
    """Each group's sum, added one by one in order from 0.0, as the transactional load adds
    (``np.add.reduceat`` adds in another order, which can differ in the last bit)."""
    return np.bincount(group, weights=values, minlength=groups)


def with_stored(new: PairTotals, rows: np.ndarray, stored: list[dict[str, Any]]) -> PairTotals:
    """Totals of ``new``'s relationships ``rows`` after adding them to what is ``stored`` for
    each (dicts of the relationship's properties: n count, w weight, f first_at, l last_at,
    dl event_days, dc day_counts, dw day_weights, cd chat_days; relationships written before
    per-day counts were kept spread their events evenly over their days)."""
    n = np.array([s["n"] for s in stored], dtype=np.int64)
    w = np.array([s["w"] for s in stored], dtype=np.float64)
    f = np.array([_BIG if s["f"] is None else s["f"] for s in stored], dtype=np.int64)
    last = np.array([-_BIG if s["l"] is None else s["l"] for s in stored], dtype=np.int64)
    old_days = [s["dl"] or [] for s in stored]
    old_counts: list[list[int]] = []
    old_weights: list[list[float]] = []
    for s, d in zip(stored, old_days, strict=True):
        share = max(len(d), 1)
        old_counts.append(s.get("dc") or [s["n"] // share] * len(d))
        old_weights.append(s.get("dw") or [s["w"] / share] * len(d))
    old_rel = np.repeat(np.arange(len(rows)), [len(d) for d in old_days])
    new_rel, new_at = ranges(new.day_offsets, rows)
    rel = np.r_[old_rel, new_rel]
    day = np.r_[_flat(old_days, np.int64), new.day[new_at]]
    counts = np.r_[_flat(old_counts, np.int64), new.day_count[new_at]]
    weights = np.r_[_flat(old_weights, np.float64), new.day_weight[new_at]]
    order = lex_order(day, rel)  # stable: the stored figures first
    rel, day, counts, weights = rel[order], day[order], counts[order], weights[order]
    keep = np.r_[len(day) > 0, (rel[1:] != rel[:-1]) | (day[1:] != day[:-1])]
    run = np.cumsum(keep) - 1
    # chat days: the stored ones, or once an event names a group the stored dated days
    old_named = np.array([s.get("cd") is not None for s in stored], dtype=bool)
    named = old_named | new.named[rows]
    old_chat = [
        s["cd"] if s.get("cd") is not None else [(-1 << CHAT_DAY_BITS) + d for d in days if d >= 0]
        for s, days in zip(stored, old_days, strict=True)
    ]
    chat_rel, chat_at = ranges(new.chat_offsets, rows)
    pairs = np.unique(
        np.column_stack(
            (
                np.r_[np.repeat(np.arange(len(rows)), [len(c) for c in old_chat]), chat_rel],
                np.r_[_flat(old_chat, np.int64), new.chat_day[chat_at]],
            )
        ),
        axis=0,
    )
    pairs = pairs[named[pairs[:, 0]]]
    return PairTotals(
        new.src[rows], new.dst[rows], new.kind[rows], n + new.count[rows],
        w + new.weight[rows], np.minimum(f, new.first_at[rows]),
        np.maximum(last, new.last_at[rows]),
        np.r_[0, np.cumsum(np.bincount(rel[keep], minlength=len(rows)))], day[keep],
        np.bincount(run, weights=counts, minlength=int(keep.sum())).astype(np.int64),
        _sums(run, int(keep.sum()), weights), named,
        np.r_[0, np.cumsum(np.bincount(pairs[:, 0], minlength=len(rows)))], pairs[:, 1],
    )  # fmt: skip


def ranges(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the ranges ``offsets[r]:offsets[r + 1]`` of ``rows``: the place in ``rows`` and
    the index of each element, concatenated."""
    lengths = offsets[rows + 1] - offsets[rows]
    place = np.repeat(np.arange(len(rows)), lengths)
    shift = np.repeat(offsets[rows] - (np.cumsum(lengths) - lengths), lengths)
    return place, np.arange(int(lengths.sum())) + shift


def _flat(lists: list[list[Any]], dtype: type) -> np.ndarray:
    return np.fromiter((v for values in lists for v in values), dtype)
