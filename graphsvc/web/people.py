"""The person page: scores with ranks and their explanation, community and groups, referral
upline and downline (a tree, collapsed below a depth), and the tier across kept runs."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for

from graphsvc.api.deps import store
from graphsvc.web.blueprint import bp
from graphsvc.web.calls import api
from graphsvc.web.picture import line_chart, referral_tree

__all__ = ["tier_history"]

UP_DEPTH = 10  # the API's deepest
DOWN_DEPTH, DOWN_LIMIT = 5, 1000  # downline levels fetched, rows at most
OPEN_DEPTH, OPEN_BRANCHES = 2, 3  # the 3 biggest branches open 2 levels; the rest collapsed
SHOWN = ("user_id", "name", "run_id", "scores", "why", "notes", "groups", "inviter_id")
SHOWN += ("community_id",)
SHOWN += ("tier", "role", "referral_level", "direct_referrals", "downline", "deep_chain")


def tier_history(user_id: str) -> list[dict[str, Any]]:
    """The user's tier, rank and influence in each kept run, oldest first (None: not in it)."""
    db, found = store(), []
    for run in reversed(db.runs()):
        row = db.user_result(run.run_id, user_id) or {}
        found.append(
            {
                "run_id": run.run_id,
                "started_at": run.started_at,
                "tier": row.get("tier"),
                "rank": row.get("influence_rank"),
                "influence": row.get("influence"),
            }
        )
    return found


@bp.get("/users/<user_id>")
def user(user_id: str) -> str:
    profile = api(f"/users/{user_id}")
    up = api(f"/users/{user_id}/referrals", {"direction": "up", "depth": UP_DEPTH})
    down = api(
        f"/users/{user_id}/referrals",
        {"direction": "down", "depth": DOWN_DEPTH, "limit": DOWN_LIMIT},
    )
    history = tier_history(user_id)
    rank_chart = line_chart([(h["run_id"], h["rank"]) for h in history], invert=True)
    return render_template(
        "user.html",
        p=profile,
        upline=list(reversed(up["data"])),
        down=down,
        downline_tree=referral_tree(user_id, down["data"]),
        open_depth=OPEN_DEPTH,
        open_branches=OPEN_BRANCHES,
        history=history,
        rank_chart=rank_chart,
        extra={k: v for k, v in profile.items() if k not in SHOWN},
        user_url=lambda uid: url_for("web.user", user_id=uid),
    )
