"""Churn: how much of a run's answer changed since the previous run, in a few numbers.

Shares of users keeping their community id and their tier, KOLs (tiers core and kol) in and
out, owners changed, and community events — born, split, merged, died — by member overlap: a
link old → new when at least ``share`` of the old community's members (among users in both
runs) are in the new one; split: an old community with two or more links; merged: a new one
with two or more; born: a new id without a link in; died: an old id gone without a link out.
"""

from __future__ import annotations

__all__ = ["KOL_TIERS", "community_events", "run_churn"]

from typing import Any

import numpy as np

from graphsvc.analysis.graphs import sorted_unique
from graphsvc.model import PreviousRun, Tier

KOL_TIERS = (Tier.CORE.value, Tier.KOL.value)


def _share(hits: np.ndarray) -> float | None:
    return round(float(hits.mean()), 6) if len(hits) else None


def _top(ids: np.ndarray) -> np.ndarray:
    return np.char.partition(np.asarray(ids, dtype=str), ".")[:, 0]


def community_events(before: np.ndarray, after: np.ndarray, share: float) -> dict[str, int]:
    """Counts of born, split, merged and died top-level communities between two id columns
    (str per user present in both runs, "" none). O(n log n)."""
    old_names, old = np.unique(_top(before), return_inverse=True)
    new_names, new = np.unique(_top(after), return_inverse=True)
    old_ok, new_ok = old_names[old] != "", new_names[new] != ""
    old_size = np.bincount(old[old_ok], minlength=len(old_names))
    both = old_ok & new_ok
    width = np.int64(len(new_names))
    pairs, shared = sorted_unique(old[both] * width + new[both])
    o, c = pairs // width, pairs % width
    strong = shared >= share * old_size[o]
    out_links = np.bincount(o[strong], minlength=len(old_names))
    in_links = np.bincount(c[strong], minlength=len(new_names))
    kept = np.isin(new_names, old_names)
    return {
        "born": int(((in_links == 0) & ~kept & (new_names != "")).sum()),
        "split": int((out_links >= 2).sum()),
        "merged": int((in_links >= 2).sum()),
        "died": int(((out_links == 0) & ~np.isin(old_names, new_names) & (old_names != "")).sum()),
    }


def run_churn(
    previous: PreviousRun,
    community_id: np.ndarray,
    tier: np.ndarray,
    owners: dict[str, int],
    *,
    share: float = 0.2,
) -> dict[str, Any]:
    """Churn of a run (per-user ``community_id`` and ``tier``, ``owners``: community id →
    owner vertex) against ``previous`` (aligned with the same users; its ``tier`` given).
    JSON-ready. O(n log n)."""
    before_tier = np.asarray(previous.tier, dtype=object)
    present = before_tier != ""
    assigned = present & (previous.leaf != "")
    kol_now, kol_before = np.isin(tier, KOL_TIERS), np.isin(before_tier, KOL_TIERS)
    union = int((kol_now | kol_before).sum())
    before_owners = previous.owners or {}
    compared = [cid for cid in owners if cid in before_owners]
    return {
        "users_compared": int(present.sum()),
        "kept_community": _share(community_id[assigned] == previous.leaf[assigned]),
        "kept_tier": _share(tier[present] == before_tier[present]),
        "kols_in": int((kol_now & ~kol_before).sum()),
        "kols_out": int((kol_before & ~kol_now).sum()),
        "kol_jaccard": round(int((kol_now & kol_before).sum()) / union, 6) if union else None,
        "owners_compared": len(compared),
        "owners_changed": sum(owners[cid] != before_owners[cid] for cid in compared),
        "communities": community_events(previous.leaf[present], community_id[present], share),
    }
