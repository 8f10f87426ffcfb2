"""Why a user ranks where they do: the signals behind the score, for a marketer to defend a pick.

The pipeline stores, per user, each signal's value and its rarity ("top x%": the share of users
with at least that value) as result columns, and the main kind of attention received;
``graphsvc.runs.explain`` turns one stored row into the user's strongest signals in words.
"""

from __future__ import annotations

__all__ = [
    "SIGNALS",
    "main_attention_kind",
    "rarity_columns",
    "top_percent",
]


import numpy as np

from graphsvc.analysis.graphs import interaction_attention
from graphsvc.model import AnalysisParams, GraphSnapshot, InteractionKind

# signal: (result column holding its value, what it says about the value {v}); reach and
# groups are effective numbers (inverse Simpson): "4.2 communities" pay attention as much as
# 4.2 equally attentive ones would.
SIGNALS = {
    "engagers": ("distinct_engagers", "{v} distinct people engage with them"),
    "attention": ("in_strength", "{v} weighted attention received"),
    "downline": ("downline", "{v} users in their referral downline"),
    "reach": ("communities_reached", "attention from {v} communities"),
    "groups": ("groups_reached", "attention from co-members in {v} of their groups"),
}
KINDS = [k.value for k in InteractionKind] + ["referral"]


def top_percent(values: np.ndarray) -> np.ndarray:
    """Per value, the percentage of users with at least that value (100 for the smallest);
    ties share the figure. O(n log n)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    ordered = np.sort(values)
    at_least = len(values) - np.searchsorted(ordered, values, side="left")
    return 100.0 * at_least / len(values)


def rarity_columns(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``<signal>_top_pct`` result columns from each signal's value column (NaN where the
    value is not positive: no signal)."""
    out = {}
    for name, (column, _) in SIGNALS.items():
        v = np.asarray(values[column], dtype=float)
        out[f"{name}_top_pct"] = np.where(v > 0, top_percent(v), np.nan)
    return out


def main_attention_kind(
    snapshot: GraphSnapshot, params: AnalysisParams
) -> tuple[np.ndarray, np.ndarray]:
    """Per user, the largest kind of attention received (an interaction kind or "referral")
    and its share of all attention received ("" and NaN when none). O(n + m)."""
    n, width = snapshot.n_users, len(KINDS)
    src = np.asarray(snapshot.interaction_src, dtype=np.int64)
    dst = np.asarray(snapshot.interaction_dst, dtype=np.int64)
    kind = np.asarray(snapshot.interaction_kind, dtype=np.int64)
    weight = interaction_attention(snapshot, params)
    keep = src != dst
    cells = np.bincount(dst[keep] * width + kind[keep], weight[keep], n * width).astype(float)
    inviter = np.asarray(snapshot.referral_inviter, dtype=np.int64)
    referral = np.full(len(inviter), float(params.referral_weight))
    cells += np.bincount(inviter * width + width - 1, referral, n * width)
    table = cells.reshape(n, width)
    total, best = table.sum(axis=1), table.argmax(axis=1)
    has = total > 0
    names = np.where(has, np.array(KINDS, dtype=object)[best], "")
    share = np.divide(table[np.arange(n), best], total, out=np.full(n, np.nan), where=has)
    return names, share
