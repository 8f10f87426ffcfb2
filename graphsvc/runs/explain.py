"""A stored user row in words: the strongest signals behind a rank, and numbers as a marketer
reads them (for the CLI, the API, the export and the dashboard)."""

from __future__ import annotations

__all__ = ["explain", "figure", "influence_text", "quality_notes"]

from typing import Any

import numpy as np

from graphsvc.analysis.explain import SIGNALS

_KIND_WORDS = {"reply": "replies", "red_packet": "red packets"}  # else the kind + "s"


def figure(value: float) -> str:
    """A number as a marketer reads it, never in scientific notation: 4,885 · 19.2 · 4.2 ·
    0.00042 (two significant digits below 1)."""
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    size = abs(value)
    if size >= 1 or size == 0:
        text = f"{value:,.{0 if size >= 100 else 1}f}"
        return text.removesuffix(".0")
    return np.format_float_positional(value, precision=2, unique=False, fractional=False, trim="-")


def influence_text(influence: float, rank: int, n_users: int) -> str:
    """ "PageRank 0.00042 (top 0.3%)": the score and the share of users ranked at or above."""
    share = f" (top {figure(100.0 * rank / n_users)}%)" if n_users else ""
    return f"PageRank {figure(influence)}{share}"


def explain(row: dict[str, Any], top: int = 3) -> list[dict[str, Any]]:
    """The ``top`` rarest signals of a stored user row, rarest first: signal, value, top_pct
    and a sentence ("412 distinct people engage with them (top 0.1%)", "attention from 4.2
    communities (top 0.3%)")."""
    found = []
    for name, (column, words) in SIGNALS.items():
        rarity, value = row.get(f"{name}_top_pct"), row.get(column)
        if rarity is None or rarity != rarity or value is None or not value > 0:
            continue  # no signal: nothing received, or not computed
        text = f"{words.format(v=figure(value))} (top {figure(rarity)}%)"
        if name == "attention" and (kind := row.get("main_attention_kind")):
            share = row.get("main_attention_share") or 0.0
            text += f", {share:.0%} of it {_KIND_WORDS.get(kind, kind + 's')}"
        found.append({"signal": name, "value": value, "top_pct": rarity, "text": text})
    return sorted(found, key=lambda s: s["top_pct"])[:top]


def _number(row: dict[str, Any], column: str) -> float | None:
    value = row.get(column)
    return None if value is None or value != value else float(value)


def quality_notes(row: dict[str, Any], shill_threshold: float = 0.5) -> list[str]:
    """What a marketer should know before trusting a stored user row: suspected of being a
    shill (with the signals), an audience with suspected shills in it or of quality below 0.5,
    fake invites; [] when nothing stands out or the run predates these figures."""
    notes = []
    score = _number(row, "shill_score")
    if score is not None and score >= shill_threshold:
        notes.append(f"suspected shill (score {score:.2f}): {row.get('shill_signals') or ''}")
    quality, real = _number(row, "audience_quality"), _number(row, "real_audience_share")
    suspicious = _number(row, "suspicious_audience_share")
    doubtful = quality is not None and (quality < 0.5 or (suspicious or 0) > 0)
    if doubtful and real is not None and suspicious is not None:
        text = f"audience quality {quality:.2f}: {real:.0%} of the people engaging are real"
        if suspicious > 0:
            text += f", {suspicious:.0%} of the actions they receive come from suspected shills"
        if (peers := _number(row, "engagement_rate_percentile")) is not None:
            text += f"; engagement rate above {peers:.0%} of peers with a similar audience"
        notes.append(text)
    fake = row.get("fake_invites")
    if fake and fake > 0:
        direct = row.get("direct_referrals") or 0
        notes.append(f"{fake:,} of {direct:,} direct invites look fake (invitees who never act)")
    return notes
