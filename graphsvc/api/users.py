"""One user of the current run: scores with ranks and percentiles, community, groups, tier,
role, referral position; and the user's referral upline or downline."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from flask import Blueprint, current_app

from graphsvc.api.auth import requires
from graphsvc.api.cache import cached
from graphsvc.api.deps import MAX_LIMIT, arg, bounded_int, choice, current_run, store
from graphsvc.errors import NotFoundError, shown
from graphsvc.model import RunInfo
from graphsvc.output import plain
from graphsvc.runs.current import shill_threshold
from graphsvc.runs.explain import explain, quality_notes
from graphsvc.service.state import KeyRole
from graphsvc.store.base import GraphStore

__all__ = ["SCORES", "ScoreRanks", "bp"]

bp = Blueprint("users", __name__)

SCORES = ("influence", "in_strength", "betweenness", "coreness")
MAX_DEPTH = 10
PROFILE_FIELDS = (
    "community_id",
    "tier",
    "role",
    "referral_level",
    "direct_referrals",
    "downline",
    "deep_chain",
    "participation",
    "within_z",
    "standing",
    "tier_reason",
    "shill_score",
    "shill_signals",
    "fake_invites",
    "genuine_referrals",
    "audience_quality",
    "real_audience_share",
    "suspicious_audience_share",
    "engagement_rate_percentile",
)


class ScoreRanks:
    """Rank and percentile of a score among a run's users, from the run's score column read
    once per (run, score) and kept sorted; only the newest run's columns are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._run_id = ""
        self._sorted: dict[str, np.ndarray] = {}

    def _column(self, db: GraphStore, run_id: str, score: str) -> np.ndarray:
        with self._lock:  # held while loading: concurrent first requests load a column once
            if run_id != self._run_id:
                self._run_id, self._sorted = run_id, {}
            if score not in self._sorted:
                values = db.score_column(run_id, score)
                self._sorted[score] = np.sort(values[~np.isnan(values)])
            return self._sorted[score]

    def rank(self, db: GraphStore, run_id: str, score: str, value: Any) -> dict[str, Any]:
        """``rank`` (1 = highest) and ``percentile`` (share of users with a lower value)."""
        value = plain(value)
        column = self._column(db, run_id, score)
        if value is None or not len(column):
            return {"value": value, "rank": None, "percentile": None}
        below = int(np.searchsorted(column, value, side="left"))
        above = len(column) - int(np.searchsorted(column, value, side="right"))
        return {
            "value": value,
            "rank": above + 1,
            "percentile": round(100.0 * below / len(column), 3),
        }


def _ranks() -> ScoreRanks:
    return current_app.extensions["graphsvc.score_ranks"]


def _not_in_run(run: RunInfo, user_id: str) -> NotFoundError:
    return NotFoundError(f"user {shown(user_id)} is not in run {run.run_id}")


def user_profile(run: RunInfo, user_id: str) -> dict[str, Any]:
    """Everything the API tells about one user of ``run``."""
    db, ranks = store(), _ranks()
    row = db.user_profile(run.run_id, user_id)
    if row is None:
        raise _not_in_run(run, user_id)
    scores = {s: ranks.rank(db, run.run_id, s, row[s]) for s in SCORES}
    scores["influence"]["rank"] = row["influence_rank"]
    return {
        "run_id": run.run_id,
        "user_id": user_id,
        "name": row["name"],
        "scores": scores,
        **{name: plain(row[name]) for name in PROFILE_FIELDS},
        "inviter_id": row["inviter_id"],
        "groups": row["groups"],
        "why": [{k: plain(v) for k, v in signal.items()} for signal in explain(row)],
        "notes": quality_notes(row, shill_threshold(db, run.run_id)),
    }


@bp.get("/users/<user_id>")
@requires(KeyRole.READER)
@cached
def get_user(user_id: str) -> dict[str, Any]:
    return user_profile(current_run(), user_id)


@bp.get("/users/<user_id>/referrals")
@requires(KeyRole.READER)
@cached
def get_referrals(user_id: str) -> dict[str, Any]:
    """Inviters (``direction=up``) or invitees (``down``, default) within ``depth`` levels."""
    direction = arg("direction", choice(("up", "down")), "down", " (up or down)")
    depth = arg("depth", bounded_int(1, MAX_DEPTH), 1, f" (an integer 1..{MAX_DEPTH})")
    limit = arg("limit", bounded_int(1, MAX_LIMIT), 100, f" (an integer 1..{MAX_LIMIT})")
    run = current_run()
    if store().user_result(run.run_id, user_id) is None:
        raise _not_in_run(run, user_id)
    rows = store().referral_tree(user_id, direction, depth, limit + 1)
    return {
        "run_id": run.run_id,
        "user_id": user_id,
        "direction": direction,
        "depth": depth,
        "data": rows[:limit],
        "truncated": len(rows) > limit,
    }
