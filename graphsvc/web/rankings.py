"""The KOL ranking page: the API's /kols with its filters, sorts and cursor pages, a search
box (id or name prefix) and a CSV download of the view."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, redirect, render_template, request, url_for

from graphsvc.api.deps import current_run, store
from graphsvc.model import Role
from graphsvc.store.base import USER_SORTS
from graphsvc.web.blueprint import bp
from graphsvc.web.calls import api

__all__ = ["COLUMNS", "LATER_COLUMNS"]

WEB_ONLY = ("q", "lang")  # page parameters the API does not take
SEARCH_LIMIT = 50
CSV_PAGE, MAX_CSV_ROWS = 1000, 10_000
COLUMNS = (
    "influence_rank",
    "user_id",
    "name",
    "tier",
    "role",
    "community_id",
    "influence",
    "betweenness",
    "coreness",
    "downline",
    "referral_level",
)
# Columns later analyses add (audience quality, seeding, lifecycle): shown once rows carry them.
LATER_COLUMNS = ("audience_quality", "seed_order", "shill_score")
ROLES = tuple(r.value for r in Role)


def _api_query(**changes: Any) -> dict[str, Any]:
    query = {k: v for k, v in request.args.items() if k not in WEB_ONLY}
    return {**query, **changes}


def _later_columns(rows: list[dict[str, Any]]) -> list[str]:
    return [c for c in LATER_COLUMNS if any(row.get(c) is not None for row in rows)]


@bp.get("/")
def home() -> Response:
    return redirect(url_for("web.kols"))


@bp.get("/kols")
def kols() -> Response | str:
    """Ranked users; ``q`` searches ids and names instead (an exact id opens that person)."""
    text = request.args.get("q", "").strip()
    if text:
        rows = store().find_users(current_run().run_id, text, SEARCH_LIMIT)
        exact = [r for r in rows if r["user_id"] == text] or (rows if len(rows) == 1 else [])
        if exact:
            return redirect(url_for("web.user", user_id=exact[0]["user_id"]))
        body = {"run_id": current_run().run_id, "data": rows, "next_cursor": None}
    else:
        body = api("/kols", _api_query())
    return render_template(
        "kols.html",
        body=body,
        rows=body["data"],
        search=text,
        sorts=USER_SORTS,
        sort=request.args.get("sort") or USER_SORTS[0],
        roles=ROLES,
        later=_later_columns(body["data"]),
    )


@bp.get("/kols.csv")
def kols_csv() -> Response:
    """The view's rows (filters and sort as the page), at most MAX_CSV_ROWS, UTF-8 with a BOM
    so spreadsheet programs read Chinese names right."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while len(rows) < MAX_CSV_ROWS:
        page = api("/kols", _api_query(limit=CSV_PAGE, cursor=cursor))
        rows += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    columns = [*COLUMNS, *_later_columns(rows)]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows[:MAX_CSV_ROWS])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="kols.csv"'},
    )
