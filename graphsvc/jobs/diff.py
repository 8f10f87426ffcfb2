"""What changed between two runs: KOLs won and lost, tier moves, owner changes, communities
born, dissolved, split and merged, the biggest influence risers and fallers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphsvc.analysis.graphs import find_sorted, sorted_unique
from graphsvc.errors import NotFoundError
from graphsvc.model import CommunityResult, Tier
from graphsvc.store.base import GraphStore

__all__ = ["RunView", "diff_runs", "load_run_view", "run_pair"]

KOL_TIERS = (Tier.CORE.value, Tier.KOL.value)
_COLUMNS = ("tier", "influence", "influence_rank", "community_id")


@dataclass(frozen=True)
class RunView:
    """The parts of a run a diff compares; users sorted by id."""

    run_id: str
    user_id: np.ndarray  # str, sorted
    columns: dict[str, np.ndarray]  # _COLUMNS, aligned with user_id
    communities: list[CommunityResult]


def load_run_view(store: GraphStore, run_id: str) -> RunView:
    cols = store.result_columns(run_id, _COLUMNS)
    user_id = np.asarray(cols.pop("user_id"), dtype=str)
    order = np.argsort(user_id, kind="stable")
    return RunView(
        run_id,
        user_id[order],
        {k: v[order] for k, v in cols.items()},
        store.community_results(run_id),
    )


def run_pair(store: GraphStore, run_a: str | None, run_b: str | None) -> tuple[str, str]:
    """The runs to compare: defaults are the previous run and the current one."""
    current = store.current_run()
    if run_b is None:
        if current is None:
            raise NotFoundError("no analysis run yet: run `graphsvc analyze` first")
        run_b = current.run_id
    if run_a is None:
        known = [r.run_id for r in store.runs()]  # newest first
        older = known[known.index(run_b) + 1 :] if run_b in known else known
        if not older:
            raise NotFoundError(f"no run before {run_b} to compare with")
        run_a = older[0]
    return run_a, run_b


def _users(ids: np.ndarray, limit: int) -> list[str]:
    return [str(u) for u in ids[:limit].tolist()]


def _by_influence(view: RunView, mask: np.ndarray) -> np.ndarray:
    """User ids where ``mask`` holds, most influential first."""
    idx = np.flatnonzero(mask)
    return view.user_id[idx[np.argsort(view.columns["influence_rank"][idx], kind="stable")]]


def _community_changes(a: RunView, b: RunView, at: np.ndarray, share: float) -> dict[str, Any]:
    """Born, dissolved, split and merged top-level communities, from member overlap.

    A link old → new is *substantial* when at least ``share`` of the old community's members
    (among users present in both runs) are in the new one. Split: an old community with two
    or more substantial links; merged: a new one with two or more; born: a new id without a
    substantial link; dissolved: an old id gone from the new run without one.
    """
    top_a = np.char.partition(a.columns["community_id"].astype(str), ".")[:, 0]
    top_b = np.char.partition(b.columns["community_id"].astype(str), ".")[:, 0]
    in_both = at >= 0
    old, new = top_a[in_both], top_b[at[in_both]]
    assigned = (old != "") & (new != "")
    old_names, old_idx = np.unique(old, return_inverse=True)
    new_names, new_idx = np.unique(new, return_inverse=True)
    old_size = np.bincount(old_idx[old != ""], minlength=len(old_names))
    width = len(new_names)
    pairs, shared = sorted_unique(old_idx[assigned] * width + new_idx[assigned])
    o, c = pairs // width, pairs % width
    strong = shared >= share * old_size[o]
    links = list(zip(old_names[o[strong]].tolist(), new_names[c[strong]].tolist(), strict=True))
    ids_a = {x.community_id for x in a.communities if x.parent_id is None}
    ids_b = {x.community_id for x in b.communities if x.parent_id is None}
    into: dict[str, list[str]] = {}
    from_: dict[str, list[str]] = {}
    for old_id, new_id in links:
        into.setdefault(old_id, []).append(new_id)
        from_.setdefault(new_id, []).append(old_id)
    return {
        "born": sorted(ids_b - ids_a - set(from_)),
        "dissolved": sorted(ids_a - ids_b - set(into)),
        "split": [
            {"community_id": k, "into": sorted(v)} for k, v in sorted(into.items()) if len(v) > 1
        ],
        "merged": [
            {"community_id": k, "from": sorted(v)} for k, v in sorted(from_.items()) if len(v) > 1
        ],
    }


def diff_runs(a: RunView, b: RunView, *, limit: int = 20, share: float = 0.2) -> dict[str, Any]:
    """Run ``b`` compared with run ``a`` (JSON-ready). Lists hold at most ``limit`` entries,
    most influential (or biggest change) first; counts are complete. Users present in only one
    run count as KOLs won or lost but not as tier moves. O(n log n)."""
    at = find_sorted(b.user_id, a.user_id)  # position in b of each user of a, -1 if absent
    both = at >= 0
    tier_a, tier_b = a.columns["tier"].astype(str), b.columns["tier"].astype(str)
    later_tier = np.where(both, tier_b[np.maximum(at, 0)], "")  # per user of a
    kol_a, kol_b = np.isin(tier_a, KOL_TIERS), np.isin(tier_b, KOL_TIERS)
    in_a = np.zeros(len(b.user_id), dtype=bool)
    in_a[at[both]] = True
    was_kol = np.zeros(len(b.user_id), dtype=bool)  # per user of b
    was_kol[at[both]] = kol_a[both]
    new_kols = _by_influence(b, kol_b & ~was_kol)
    lost_kols = _by_influence(a, kol_a & ~np.isin(later_tier, KOL_TIERS))

    moved = both & (tier_a != later_tier)
    moves = Counter(f"{x}->{y}" for x, y in zip(tier_a[moved], later_tier[moved], strict=True))
    move_lists = {}
    for key in sorted(moves):
        x, y = key.split("->")
        move_lists[key] = _users(_by_influence(a, moved & (tier_a == x) & (later_tier == y)), limit)

    rank_a = a.columns["influence_rank"][both]
    rank_b = b.columns["influence_rank"][at[both]]
    gain = rank_a - rank_b  # positive: climbed
    order = np.lexsort((a.user_id[both], -gain))
    ids, before = a.user_id[both], a.columns["influence"][both]
    after = b.columns["influence"][at[both]]

    def movers(ends: np.ndarray) -> list[dict[str, Any]]:
        return [
            {
                "user_id": str(ids[i]),
                "rank_before": int(rank_a[i]),
                "rank_after": int(rank_b[i]),
                "influence_before": float(before[i]),
                "influence_after": float(after[i]),
            }
            for i in ends.tolist()
        ]

    owners_a = {c.community_id: c.owner_id for c in a.communities}
    owner_changes = [
        {
            "community_id": c.community_id,
            "from": owners_a[c.community_id],
            "to": c.owner_id,
            "reason": c.owner_reason,
        }
        for c in sorted(b.communities, key=lambda c: c.community_id)
        if c.community_id in owners_a and owners_a[c.community_id] != c.owner_id
    ]
    return {
        "from_run": a.run_id,
        "to_run": b.run_id,
        "users": {"before": len(a.user_id), "after": len(b.user_id), "new": int((~in_a).sum())},
        "kols": {
            "new_count": len(new_kols),
            "lost_count": len(lost_kols),
            "new": _users(new_kols, limit),
            "lost": _users(lost_kols, limit),
        },
        "tier_moves": {"counts": dict(sorted(moves.items())), "users": move_lists},
        "owner_changes": owner_changes,
        "communities": _community_changes(a, b, at, share),
        "risers": [m for m in movers(order[:limit]) if m["rank_after"] < m["rank_before"]],
        "fallers": [m for m in movers(order[::-1][:limit]) if m["rank_after"] > m["rank_before"]],
    }
