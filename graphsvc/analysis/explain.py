"""Why a user ranks where they do: the signals behind the score, for a marketer to defend a pick.

The pipeline stores, per user, each signal's value and its rarity ("top x%": the share of users
with at least that value) as result columns, and the main kind of attention received;
``explain`` turns one stored row into the user's strongest signals, rarest first.
"""

from __future__ import annotations

__all__ = ["SIGNALS", "explain", "main_attention_kind", "rarity_columns", "top_percent"]

from typing import Any

import numpy as np

from graphsvc.analysis.graphs import interaction_attention
from graphsvc.model import AnalysisParams, GraphSnapshot, InteractionKind

# signal: (result column holding its value, what it counts)
SIGNALS = {
    "engagers": ("distinct_engagers", "distinct people engage with them"),
    "attention": ("in_strength", "weighted attention received"),
    "downline": ("downline", "users in their referral downline"),
    "reach": ("communities_reached", "communities pay them attention (effective number)"),
    "groups": ("groups_reached", "of their groups pay them attention (effective number)"),
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
    cells = np.bincount(dst[keep] * width + kind[keep], weight[keep], n * width)
    cells = cells.astype(float, copy=False)  # no interactions: bincount gives int64
    inviter = np.asarray(snapshot.referral_inviter, dtype=np.int64)
    referral = np.full(len(inviter), float(params.referral_weight))
    cells += np.bincount(inviter * width + width - 1, referral, n * width)
    table = cells.reshape(n, width)
    total, best = table.sum(axis=1), table.argmax(axis=1)
    has = total > 0
    names = np.where(has, np.array(KINDS, dtype=object)[best], "")
    share = np.divide(table[np.arange(n), best], total, out=np.full(n, np.nan), where=has)
    return names, share


def explain(row: dict[str, Any], top: int = 3) -> list[dict[str, Any]]:
    """The ``top`` rarest signals of a stored user row, rarest first: signal, value, top_pct
    and a sentence ("412 distinct people engage with them (top 0.1%)")."""
    found = []
    for name, (column, words) in SIGNALS.items():
        rarity, value = row.get(f"{name}_top_pct"), row.get(column)
        if rarity is None or rarity != rarity or value is None or not value > 0:
            continue  # no signal: nothing received, or not computed
        shown = f"{value:,.3g}" if isinstance(value, float) else f"{value:,}"
        text = f"{shown} {words} (top {rarity:.3g}%)"
        if name == "attention" and row.get("main_attention_kind"):
            share = row.get("main_attention_share") or 0.0
            text += f", {share:.0%} of it {row['main_attention_kind']}"
        found.append({"signal": name, "value": value, "top_pct": rarity, "text": text})
    return sorted(found, key=lambda s: s["top_pct"])[:top]
