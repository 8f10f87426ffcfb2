"""Read a store into a GraphSnapshot: canonical (sorted-id) vertex order, numpy columns."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graphsvc.analysis.lifecycle import distinct
from graphsvc.model import (
    DAY_SECONDS,
    Activity,
    EdgeBatch,
    EdgeKind,
    GraphSnapshot,
    Stays,
)
from graphsvc.model.order import lex_order
from graphsvc.store.base import GraphStore
from graphsvc.store.bulk import collector_paused

__all__ = ["ANALYSIS_COLUMNS", "build_snapshot"]


def _positions(store_ids: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted external ids, and a lookup from store id to position in that order.

    The lookup is a dense array indexed by store id (ids are compact integers), so mapping
    millions of edge endpoints is one vectorized ``take``.
    """
    sorted_names = np.array(names, dtype=str) if names else np.array([], dtype=str)
    order = np.argsort(sorted_names, kind="stable")
    lookup = np.full(int(store_ids.max()) + 1 if len(store_ids) else 0, -1, dtype=np.int64)
    lookup[store_ids[order]] = np.arange(len(order), dtype=np.int64)
    return sorted_names[order], lookup


_LAST_DAY = 2**40  # an open end: a day after any event

# The property columns analysis reads (not first_at, last_at).
ANALYSIS_COLUMNS = {
    EdgeKind.INTERACTED: ("kind", "count", "weight", "days"),
    EdgeKind.REFERRED: ("referred_at",),
    EdgeKind.MEMBER_OF: ("role", "joined_at", "left_at"),
}


def _read(
    store: GraphStore,
    kind: EdgeKind,
    on_edges: Callable[[int], None] | None,
    days: tuple[int, int] | None = None,
    more: tuple[str, ...] = (),
) -> EdgeBatch:
    batches = []
    columns = ANALYSIS_COLUMNS[kind] + more
    for batch in store.edge_batches(kind, columns=columns, days=days):
        batches.append(batch)
        if on_edges:
            on_edges(len(batch))
    if not batches:
        return EdgeBatch(np.empty(0, np.int64), np.empty(0, np.int64), {})
    return EdgeBatch(
        np.concatenate([b.src for b in batches]),
        np.concatenate([b.dst for b in batches]),
        {k: np.concatenate([b.props[k] for b in batches]) for k in batches[0].props},
    )


def _taken(lookup: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions of store ``ids`` by ``lookup`` (``_positions``); -1 for -1 (none) and for an
    id the table read did not hold (written after it was read, by a store whose reads are
    not one transaction)."""
    if not len(lookup):
        return np.full(len(ids), -1, dtype=np.int64)
    inside = (ids >= 0) & (ids < len(lookup))
    return np.where(inside, lookup[np.where(inside, ids, 0)], -1)


def _mapped(batch: EdgeBatch, src_lookup: np.ndarray, dst_lookup: np.ndarray) -> EdgeBatch:
    """``batch`` with its ends as positions; edges to an end not in the tables read are left
    out (see ``_taken``)."""
    src, dst = _taken(src_lookup, batch.src), _taken(dst_lookup, batch.dst)
    known = (src >= 0) & (dst >= 0)
    if known.all():
        return EdgeBatch(src, dst, batch.props)
    return EdgeBatch(src[known], dst[known], {k: v[known] for k, v in batch.props.items()})


def _empty(dtype: type) -> np.ndarray:
    return np.empty(0, dtype=dtype)


@collector_paused()
def build_snapshot(
    store: GraphStore,
    *,
    on_edges: Callable[[int], None] | None = None,
    since: int = -1,
    until: int = -1,
    history_days: int | None = None,
    health: bool = True,
) -> GraphSnapshot:
    """Everything analysis needs from ``store``, independent of load order and adapter.

    Interaction edges are sorted by (src, dst, kind) so the graph built from them is the
    same whatever order the store returns them in. ``on_edges(n)`` reports progress.
    ``since``, ``until`` (Unix seconds, whole UTC days; -1 open): only the interactions dated
    in that window make the graph; referrals dated and members joined after ``until`` are
    left out, and a leave after it has not happened yet. ``history_days``: the interaction
    days read for health over time end on the latest day of the window or of the data (the
    last event, join or leave) and go back this many days (None: all); ``health=False``
    reads none (and no stays: a graph only). Everything is read inside one
    ``store.reading()``.
    """
    with store.reading():
        return _snapshot(store, on_edges, since, until, history_days, health)


def _snapshot(
    store: GraphStore,
    on_edges: Callable[[int], None] | None,
    since: int,
    until: int,
    history_days: int | None,
    health: bool,
) -> GraphSnapshot:
    windowed = since >= 0 or until >= 0
    days = (max(since, 0) // DAY_SECONDS, until // DAY_SECONDS if until >= 0 else _LAST_DAY)
    end = (days[1] + 1) * DAY_SECONDS  # the first second after the window
    users, groups = store.users(), store.groups()
    user_ids, upos = _positions(users.uid, users.user_id)
    group_ids, gpos = _positions(groups.gid, groups.group_id)

    latest = () if windowed else ("last_at",)  # when the data ends, without a window
    inter = _mapped(
        _read(store, EdgeKind.INTERACTED, on_edges, days if windowed else None, latest), upos, upos
    )
    src, dst = inter.src, inter.dst
    kind = inter.props.get("kind", _empty(np.int8))
    order = lex_order(kind, dst, src)

    refs = _mapped(_read(store, EdgeKind.REFERRED, on_edges), upos, upos)
    inviter, invitee = refs.src, refs.dst
    rorder = np.argsort(invitee, kind="stable")
    referred_at = refs.props.get("referred_at", _empty(np.int64))
    rorder = rorder[referred_at[rorder] < end]  # undated: -1

    members = _mapped(_read(store, EdgeKind.MEMBER_OF, on_edges), upos, gpos)
    muser, mgroup = members.src, members.dst
    joined_at = members.props.get("joined_at", _empty(np.int64))
    left_at = members.props.get("left_at", _empty(np.int64))
    left_at = np.where(left_at >= end, -1, left_at)  # not yet
    morder = np.lexsort((muser, mgroup))
    morder = morder[joined_at[morder] < end]
    stays = Stays(muser[morder], mgroup[morder], joined_at[morder], left_at[morder])
    morder = morder[left_at[morder] < 0]  # who is a member now

    owner_by_gid = _taken(upos, groups.owner_uid)
    group_owner = np.full(len(group_ids), -1, dtype=np.int64)
    group_owner[gpos[groups.gid]] = owner_by_gid

    return GraphSnapshot(
        user_ids=user_ids,
        interaction_src=src[order],
        interaction_dst=dst[order],
        interaction_kind=kind[order].astype(np.int8),
        interaction_count=inter.props.get("count", _empty(np.int64))[order],
        interaction_weight=inter.props.get("weight", _empty(np.float64))[order],
        interaction_days=inter.props.get("days", _empty(np.int64))[order],
        referral_inviter=inviter[rorder],
        referral_invitee=invitee[rorder],
        group_ids=group_ids,
        group_owner=group_owner,
        membership_user=muser[morder],
        membership_group=mgroup[morder],
        membership_role=members.props.get("role", _empty(np.int8))[morder].astype(np.int8),
        referral_at=referred_at[rorder],
        stays=stays if health else None,
        activity=_activity(store, upos, gpos, _history(days, history_days, inter, stays))
        if health
        else None,
    )


def _history(
    days: tuple[int, int], history_days: int | None, inter: EdgeBatch, stays: Stays
) -> tuple[int, int]:
    """The days of interaction activity to read: the window ``days``, ending ``history_days``
    after its start at most."""
    if history_days is None:
        return days
    last = days[1]
    if last == _LAST_DAY:
        times = [inter.props.get("last_at", _empty(np.int64)), stays.joined_at, stays.left_at]
        last = max((int(t.max()) for t in times if len(t)), default=-1) // DAY_SECONDS
    return max(days[0], last - history_days), days[1]


def _activity(
    store: GraphStore, upos: np.ndarray, gpos: np.ndarray, days: tuple[int, int]
) -> Activity:
    """The store's interaction days inside ``days`` as vertices and group positions, distinct
    and sorted (the same whatever order and repeats the store returns them in)."""
    batches = list(store.interaction_days(first_day=days[0]))
    if not batches:
        return Activity(*(_empty(np.int64) for _ in range(4)))
    src, dst, day, gid = (
        np.concatenate(c)
        for c in zip(
            *((b.src, b.dst, b.props["day"], b.props["gid"]) for b in batches), strict=True
        )
    )
    if days[1] != _LAST_DAY:
        inside = day <= days[1]
        src, dst, day, gid = src[inside], dst[inside], day[inside], gid[inside]
    known = _mapped(EdgeBatch(src, dst, {"day": day, "gid": gid}), upos, upos)
    group = _taken(gpos, known.props["gid"])  # a group not read yet: as if none
    return Activity(*distinct(known.src, known.dst, known.props["day"], group))
