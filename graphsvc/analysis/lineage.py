"""Stable community ids across runs: match a new partition to the previous run's by overlap.

Greedy maximum-overlap matching, the event-based tracking of Greene, Doyle & Cunningham,
"Tracking the evolution of communities in dynamic social networks" (ASONAM 2010), with a
majority rule instead of their Jaccard threshold so that every split keeps its id on one part:

* candidate pairs (new community, previous community) are taken in order of decreasing shared
  members; a pair is matched when neither side is matched yet and the shared members are at
  least ``min_share`` of either side (the new community mostly comes from the old one, or the
  old one mostly went into the new one);
* so a split keeps the id on the part with the largest overlap, a merge keeps the id of the
  largest contributor, and a community that merely took a few members of an old one does not
  inherit its id;
* unmatched communities get fresh numbers from a counter that only grows, so ids are never
  reused, in canonical order (size descending, ties by smallest member).

Every link carrying at least ``link_share`` of either side is kept as lineage
(``derived_from``: previous id and the fraction of the new community's members it supplied).
"""

from __future__ import annotations

__all__ = [
    "Matching",
    "PreviousLabels",
    "StableIds",
    "community_id",
    "match_partitions",
    "previous_labels",
    "stable_ids",
]

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.graphs import sorted_unique
from graphsvc.model import format_lineage

_WIDTH = 4


def community_id(number: int, parent: str | None = None) -> str:
    """``c-0042`` for a community, ``c-0042.03`` for a sub-community of c-0042."""
    return f"c-{number:0{_WIDTH}d}" if parent is None else f"{parent}.{number:02d}"


@dataclass(frozen=True)
class Matching:
    kept: np.ndarray  # int64 per new block: the previous block whose id it keeps, -1 none
    links: list[list[tuple[int, float]]]  # per new block: (previous block, share of its members)


def match_partitions(
    new_block: np.ndarray,
    n_new: int,
    previous: np.ndarray,
    n_prev: int,
    *,
    compatible: np.ndarray | None = None,
    min_share: float = 0.5,
    link_share: float = 0.1,
) -> Matching:
    """Match blocks ``0..n_new-1`` of ``new_block`` to blocks ``0..n_prev-1`` of ``previous``
    (one label per vertex each, -1 none), as the module docstring describes.

    ``compatible(new_of, prev_of)``, a boolean per overlapping pair, can forbid matches (e.g.
    sub-communities of different parents). O(n log n) to count overlaps, then O(p log p) for
    the p ≤ n overlapping pairs.
    """
    new_block = np.asarray(new_block, dtype=np.int64)
    previous = np.asarray(previous, dtype=np.int64)
    width = max(n_prev, 1)
    new_size = np.bincount(new_block[new_block >= 0], minlength=n_new)
    prev_size = np.bincount(previous[previous >= 0], minlength=n_prev)
    both = (new_block >= 0) & (previous >= 0)
    pairs, shared = sorted_unique(new_block[both] * width + previous[both])
    new_of, prev_of = pairs // width, pairs % width
    if compatible is not None:
        ok = compatible(new_of, prev_of)
        new_of, prev_of, shared = new_of[ok], prev_of[ok], shared[ok]

    def carrying(share: float) -> np.ndarray:
        return (shared >= share * new_size[new_of]) | (shared >= share * prev_size[prev_of])

    by_overlap = np.lexsort((prev_of, new_of, -shared))  # most shared first, then by index
    kept = np.full(n_new, -1, dtype=np.int64)
    taken = np.zeros(n_prev, dtype=bool)
    for k in by_overlap[carrying(min_share)[by_overlap]].tolist():
        c, o = int(new_of[k]), int(prev_of[k])
        if kept[c] < 0 and not taken[o]:
            kept[c], taken[o] = o, True

    links: list[list[tuple[int, float]]] = [[] for _ in range(n_new)]
    for k in by_overlap[carrying(link_share)[by_overlap]].tolist():
        c = int(new_of[k])
        links[c].append((int(prev_of[k]), float(shared[k] / new_size[c])))
    return Matching(kept, links)


@dataclass(frozen=True)
class StableIds:
    top_ids: list[str]
    sub_ids: list[str]
    top_derived_from: list[str]  # encoded lineage (see model.parse_lineage) per community
    sub_derived_from: list[str]
    counters: dict[str, int]  # next number: "" for communities, a parent id for its subs


def _name(
    matching: Matching,
    previous_ids: list[str],
    counters: dict[str, int],
    parents: list[str | None],
) -> tuple[list[str], list[str]]:
    """Kept ids, fresh ones (in block order) from the per-parent counters, and lineage."""
    ids, lineage = [], []
    for c, kept in enumerate(matching.kept.tolist()):
        if kept >= 0:
            ids.append(previous_ids[kept])
        else:
            key = parents[c] or ""
            number = counters.get(key, 1)
            counters[key] = number + 1
            ids.append(community_id(number, parents[c]))
        lineage.append(format_lineage([(previous_ids[o], share) for o, share in matching.links[c]]))
    return ids, lineage


@dataclass(frozen=True)
class PreviousLabels:
    """A previous run's communities as integer labels per vertex (-1: none): the finest
    community (``leaf``), its top-level community and, for sub-communities, the sub one."""

    leaf_ids: list[str]
    leaf: np.ndarray
    top_ids: list[str]
    top: np.ndarray
    sub_ids: list[str]
    sub: np.ndarray


def _index(names: list[str], values: list[str]) -> np.ndarray:
    """Position of each of ``values`` in ``names`` ("" → -1)."""
    where = {name: i for i, name in enumerate(names)}
    return np.array([where.get(v, -1) for v in values], dtype=np.int64)


def previous_labels(leaf: np.ndarray) -> PreviousLabels:
    """Integer labels from each vertex's finest community id ("" none). One sort of the ids;
    the rest works on the few distinct ids. O(n log n)."""
    names, inverse = np.unique(np.asarray(leaf, dtype=object).astype(str), return_inverse=True)
    names = names.tolist()
    tops = [name.split(".")[0] for name in names]
    top_ids = sorted(set(tops) - {""})
    sub_ids = [name for name in names if "." in name]
    leaf_ids = [name for name in names if name]
    by_name = {
        "leaf": _index(leaf_ids, names),
        "top": _index(top_ids, tops),
        "sub": _index(sub_ids, [name if "." in name else "" for name in names]),
    }
    labels = {key: mapping[inverse].astype(np.int64) for key, mapping in by_name.items()}
    return PreviousLabels(leaf_ids, labels["leaf"], top_ids, labels["top"], sub_ids, labels["sub"])


def stable_ids(
    top: np.ndarray,
    n_top: int,
    sub: np.ndarray,
    sub_parent: np.ndarray,
    previous: PreviousLabels | None,
    counters: dict[str, int] | None,
    *,
    min_share: float = 0.5,
    link_share: float = 0.1,
) -> StableIds:
    """Ids for a two-level partition (see ``Communities``) given the previous run's labels of
    the same vertices (None: no previous run).

    Communities are matched first; sub-communities only to previous sub-communities of the
    same (matched) parent. Without a previous run this numbers blocks 1, 2, … in block order.
    """
    n = len(top)
    counters = dict(counters or {})
    if previous is None:
        none = np.full(n, -1, dtype=np.int64)
        previous = PreviousLabels([], none, [], none, [], none)
    share = {"min_share": min_share, "link_share": link_share}

    prev_top_ids = previous.top_ids
    matching = match_partitions(top, n_top, previous.top, len(prev_top_ids), **share)
    top_ids, top_lineage = _name(matching, prev_top_ids, counters, [None] * n_top)

    prev_sub_ids = previous.sub_ids
    prev_sub_parent = np.array([i.split(".")[0] for i in prev_sub_ids], dtype=object)
    new_sub_parent = np.array([top_ids[p] for p in sub_parent.tolist()], dtype=object)

    def same_parent(new_of: np.ndarray, prev_of: np.ndarray) -> np.ndarray:
        return new_sub_parent[new_of] == prev_sub_parent[prev_of]

    n_sub = len(sub_parent)
    matching = match_partitions(
        sub, n_sub, previous.sub, len(prev_sub_ids), compatible=same_parent, **share
    )
    sub_ids, sub_lineage = _name(matching, prev_sub_ids, counters, list(new_sub_parent))
    return StableIds(top_ids, sub_ids, top_lineage, sub_lineage, counters)
