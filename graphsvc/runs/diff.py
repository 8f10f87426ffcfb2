"""What changed between two runs: KOLs won and lost, tier moves, owner changes, communities
born, dissolved, split and merged, groups whose lifecycle stage changed, the biggest influence
risers and fallers.

A diff is a summary first (how many entries each section has), then each section's top
entries by size of change. The two runs' users are joined once on their ids (a hash join:
O(n), no sort of a million strings), every section is whole-column numpy work on that join,
and ties are broken by influence rank, unique in a run, so the result does not depend on
the order a store returns users in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np

from graphsvc.analysis.graphs import sorted_unique
from graphsvc.errors import NoRunError, NotFoundError
from graphsvc.model import CommunityResult, GroupResult, Tier
from graphsvc.output import plain
from graphsvc.store.base import GraphStore

__all__ = ["COLUMNS", "SECTIONS", "RunView", "diff_runs", "load_run_view", "run_pair"]

KOL_TIERS = (Tier.CORE.value, Tier.KOL.value)
COLUMNS = ("tier", "influence", "influence_rank", "community_id")
# The diff's sections, in the order a report shows them.
SECTIONS = (
    "kols_new",
    "kols_lost",
    "tier_moves",
    "owner_changes",
    "communities_born",
    "communities_dissolved",
    "communities_split",
    "communities_merged",
    "stage_changes",
    "risers",
    "fallers",
)


@dataclass(frozen=True)
class RunView:
    """The parts of a run a diff compares; users in any order."""

    run_id: str
    user_id: np.ndarray  # str (object or unicode), distinct
    columns: dict[str, np.ndarray]  # COLUMNS, aligned with user_id
    communities: list[CommunityResult]
    groups: list[GroupResult] = field(default_factory=list)


def load_run_view(store: GraphStore, run_id: str) -> RunView:
    columns = store.result_columns(run_id, COLUMNS)
    return RunView(
        run_id,
        columns.pop("user_id"),
        columns,
        store.community_results(run_id),
        store.group_results(run_id),
    )


def run_pair(store: GraphStore, run_a: str | None, run_b: str | None) -> tuple[str, str]:
    """The runs to compare: defaults are the previous run and the current one."""
    current = store.current_run()
    if run_b is None:
        if current is None:
            raise NoRunError()
        run_b = current.run_id
    if run_a is None:
        known = [r.run_id for r in store.runs()]  # newest first
        older = known[known.index(run_b) + 1 :] if run_b in known else known
        if not older:
            raise NotFoundError(f"no run before {run_b} to compare with")
        run_a = older[0]
    return run_a, run_b


def _section(count: int, top: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"count": int(count), **extra, "top": top}


def _first(keys: Sequence[np.ndarray], limit: int) -> np.ndarray:
    """Positions of the ``limit`` smallest rows by ``keys``, first key first; the last key
    must be unique (an influence rank). Only rows whose first key can make the cut are
    sorted: O(n) selection, then a sort of the few."""
    pick = np.arange(len(keys[0]))
    if len(pick) > limit:
        cut = np.partition(keys[0], limit - 1)[limit - 1]
        pick = np.flatnonzero(keys[0] <= cut)
    return pick[np.lexsort([k[pick] for k in keys[::-1]])[:limit]]


def _factorize(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct strings of a column, sorted, and each row's position among them. One
    pass of C-level hashing (dict and map, no Python per row): O(n + k log k)."""
    items = values.tolist()
    names = sorted(set(items))
    index = dict(zip(names, range(len(names)), strict=True))
    return names, np.fromiter(map(index.__getitem__, items), np.int64, len(items))


def _positions(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Position of each query among the distinct ``keys``, -1 where absent: a hash join."""
    index = dict(zip(keys.tolist(), range(len(keys)), strict=True))
    found = map(index.get, queries.tolist(), repeat(-1))
    return np.fromiter(found, np.int64, len(queries))


def _tier_codes(a: np.ndarray, b: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The tier names of two runs, sorted, and each user's position in them, per run."""
    (names_a, codes_a), (names_b, codes_b) = _factorize(a), _factorize(b)
    names = sorted({*names_a, *names_b})
    remap_a, remap_b = (np.searchsorted(names, n).astype(np.int64) for n in (names_a, names_b))
    return names, remap_a[codes_a], remap_b[codes_b]


class _Joined:
    """Two runs' users joined on id: ``at`` (position in b of each user of a, -1 if absent)
    and ``back`` (position in a of each user of b); ``in_b``: the users of a also in b,
    ``later``: their positions in b; tiers coded by their position in ``tiers``."""

    def __init__(self, a: RunView, b: RunView) -> None:
        self.a, self.b = a, b
        self.at = _positions(b.user_id, a.user_id)
        self.back = np.full(len(b.user_id), -1, dtype=np.int64)
        self.in_b = np.flatnonzero(self.at >= 0)
        self.later = self.at[self.in_b]
        self.back[self.later] = self.in_b
        self.tiers, self.tier_a, self.tier_b = _tier_codes(a.columns["tier"], b.columns["tier"])
        self.rank_a = a.columns["influence_rank"].astype(np.int64)
        self.rank_b = b.columns["influence_rank"].astype(np.int64)

    def entries(self, ia: np.ndarray, ib: np.ndarray) -> list[dict[str, Any]]:
        """Users at positions ``ia`` in a and ``ib`` in b (-1: not in that run), as rows."""
        out = []
        for i, k in zip(ia.tolist(), ib.tolist(), strict=True):
            row: dict[str, Any] = {
                "user_id": str(self.a.user_id[i] if i >= 0 else self.b.user_id[k])
            }
            for side, pos, view in (("before", i, self.a), ("after", k, self.b)):
                cols, known = view.columns, pos >= 0
                row[f"tier_{side}"] = str(cols["tier"][pos]) if known else None
                row[f"rank_{side}"] = int(cols["influence_rank"][pos]) if known else None
                row[f"influence_{side}"] = plain(float(cols["influence"][pos])) if known else None
            out.append(row)
        return out


def _user_sections(j: _Joined, limit: int) -> dict[str, dict[str, Any]]:
    """KOLs won and lost (by rank), tier moves (largest jumps first), risers and fallers (by
    ranks gained or lost)."""
    order = {t.value: i for i, t in enumerate(Tier)}
    level = np.array([order.get(t, len(order)) for t in j.tiers], dtype=np.int64)
    kol = np.isin(j.tiers, KOL_TIERS)
    kol_a, kol_b = kol[j.tier_a], kol[j.tier_b]
    in_b, later = j.in_b, j.later
    won = np.flatnonzero(kol_b & ~((j.back >= 0) & kol_a[np.maximum(j.back, 0)]))
    lost = np.flatnonzero(kol_a & ~((j.at >= 0) & kol_b[np.maximum(j.at, 0)]))

    moved = j.tier_a[in_b] != j.tier_b[later]
    ia, ib = in_b[moved], later[moved]
    width = len(j.tiers)
    pairs, counts = sorted_unique(j.tier_a[ia] * width + j.tier_b[ib])
    by_move = {
        f"{j.tiers[p // width]}->{j.tiers[p % width]}": int(n)
        for p, n in zip(pairs.tolist(), counts.tolist(), strict=True)
    }
    jump = -np.abs(level[j.tier_a[ia]] - level[j.tier_b[ib]])

    gain = j.rank_a[in_b] - j.rank_b[later]  # positive: climbed
    up, down = np.flatnonzero(gain > 0), np.flatnonzero(gain < 0)
    top_won = won[_first([j.rank_b[won]], limit)]
    top_lost = lost[_first([j.rank_a[lost]], limit)]
    top_moved = _first([jump, np.minimum(j.rank_a[ia], j.rank_b[ib]), j.rank_a[ia]], limit)
    top_up = up[_first([-gain[up], j.rank_b[later[up]]], limit)]
    top_down = down[_first([gain[down], j.rank_a[in_b[down]]], limit)]
    return {
        "kols_new": _section(len(won), j.entries(j.back[top_won], top_won)),
        "kols_lost": _section(len(lost), j.entries(top_lost, j.at[top_lost])),
        "tier_moves": _section(
            len(ia),
            j.entries(ia[top_moved], ib[top_moved]),
            by_move=by_move,
        ),
        "risers": _section(len(up), j.entries(in_b[top_up], later[top_up])),
        "fallers": _section(len(down), j.entries(in_b[top_down], later[top_down])),
    }


def _top_level(view: RunView) -> tuple[list[str], np.ndarray]:
    """The top-level community ids of a run's users, sorted ("" for none), and each user's
    position among them: a sub-community counts as its parent."""
    names, codes = _factorize(view.columns["community_id"])
    parent = {c.community_id: c.parent_id or c.community_id for c in view.communities}
    tops, top_codes = _factorize(np.array([parent.get(n, n.split(".")[0]) for n in names]))
    return tops, top_codes[codes]


def _by_size(rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """A section of community rows, largest first (ties by id)."""
    ordered = sorted(rows, key=lambda r: (-r["size"], r["community_id"]))
    return _section(len(rows), ordered[:limit])


def _community_sections(j: _Joined, share: float, limit: int) -> dict[str, dict[str, Any]]:
    """Owner changes; born, dissolved, split and merged top-level communities, from member
    overlap; each by community size, largest first.

    A link old → new is *substantial* when at least ``share`` of the old community's members
    (among users present in both runs) are in the new one. Split: an old community with two
    or more substantial links; merged: a new one with two or more; born: a new id without a
    substantial link; dissolved: an old id gone from the new run without one.
    """
    (old_names, old), (new_names, new) = _top_level(j.a), _top_level(j.b)
    old, new = old[j.in_b], new[j.later]
    has_old = np.array([n != "" for n in old_names], dtype=bool)[old]
    assigned = has_old & np.array([n != "" for n in new_names], dtype=bool)[new]
    old_size = np.bincount(old[has_old], minlength=len(old_names))
    width = len(new_names)
    pairs, shared = sorted_unique(old[assigned] * width + new[assigned])
    o, c = pairs // width, pairs % width
    strong = shared >= share * old_size[o]
    into: dict[str, list[str]] = {}
    from_: dict[str, list[str]] = {}
    for oi, ni in zip(o[strong].tolist(), c[strong].tolist(), strict=True):
        old_id, new_id = old_names[oi], new_names[ni]
        into.setdefault(old_id, []).append(new_id)
        from_.setdefault(new_id, []).append(old_id)
    size_a = {x.community_id: x.size for x in j.a.communities if x.parent_id is None}
    size_b = {x.community_id: x.size for x in j.b.communities if x.parent_id is None}
    owners_a = {x.community_id: x.owner_id for x in j.a.communities}
    return {
        "owner_changes": _by_size(
            [
                {
                    "community_id": x.community_id,
                    "size": x.size,
                    "from": owners_a[x.community_id],
                    "to": x.owner_id,
                    "reason": x.owner_reason,
                }
                for x in j.b.communities
                if owners_a.get(x.community_id, x.owner_id) != x.owner_id
            ],
            limit,
        ),
        "communities_born": _by_size(
            [
                {"community_id": k, "size": n}
                for k, n in size_b.items()
                if k not in size_a and k not in from_
            ],
            limit,
        ),
        "communities_dissolved": _by_size(
            [
                {"community_id": k, "size": n}
                for k, n in size_a.items()
                if k not in size_b and k not in into
            ],
            limit,
        ),
        "communities_split": _by_size(
            [
                {"community_id": k, "size": size_a.get(k, 0), "into": sorted(v)}
                for k, v in into.items()
                if len(v) > 1
            ],
            limit,
        ),
        "communities_merged": _by_size(
            [
                {"community_id": k, "size": size_b.get(k, 0), "from": sorted(v)}
                for k, v in from_.items()
                if len(v) > 1
            ],
            limit,
        ),
    }


def _stage_changes(a: RunView, b: RunView, limit: int) -> dict[str, Any]:
    """Groups whose lifecycle stage changed (both runs assessed them), largest first."""
    before = {g.group_id: g.stage for g in a.groups if g.stage}
    rows = [
        {
            "group_id": g.group_id,
            "size": g.members,
            "from": before[g.group_id],
            "to": g.stage,
            "reason": g.stage_reason,
        }
        for g in b.groups
        if g.stage and before.get(g.group_id, g.stage) != g.stage
    ]
    ordered = sorted(rows, key=lambda r: (-r["size"], r["group_id"]))
    return _section(len(rows), ordered[:limit])


def diff_runs(a: RunView, b: RunView, *, limit: int = 20, share: float = 0.2) -> dict[str, Any]:
    """Run ``b`` compared with run ``a`` (JSON-ready): ``summary`` (the entry count of every
    section), then each section as ``count`` and its ``limit`` ``top`` entries by size of
    change. Users present in only one run count as KOLs won or lost but not as tier moves or
    rank changes. O(n log n)."""
    j = _Joined(a, b)
    sections = {
        **_user_sections(j, limit),
        **_community_sections(j, share, limit),
        "stage_changes": _stage_changes(a, b, limit),
    }
    in_b = len(j.in_b)
    return {
        "from_run": a.run_id,
        "to_run": b.run_id,
        "limit": limit,
        "users": {
            "before": len(a.user_id),
            "after": len(b.user_id),
            "new": len(b.user_id) - in_b,
            "gone": len(a.user_id) - in_b,
        },
        "summary": {name: sections[name]["count"] for name in SECTIONS},
        **{name: sections[name] for name in SECTIONS},
    }
