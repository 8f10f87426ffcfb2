"""Runs and changes: the run history and analysis jobs (an operator starts one here and
watches its stages), and what changed between two runs (the API's run diff)."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from graphsvc.api.deps import state, store
from graphsvc.api.runs import job_view
from graphsvc.errors import NotFoundError
from graphsvc.jobs.diff import run_pair
from graphsvc.service_state import ACTIVE
from graphsvc.web.blueprint import bp
from graphsvc.web.calls import api
from graphsvc.web.memo import memo
from graphsvc.web.session import check_csrf

__all__ = ["DIFF_LIMIT"]

DIFF_LIMIT = 20  # users per list
JOBS_SHOWN = 20
REFRESH_SECONDS = 2  # while a job is queued or running, the runs page reloads itself
# run figures shown, as `graphsvc runs` shows them: stats key -> text key
RUN_STATS = {"n_users": "users", "n_communities": "nav_communities", "modularity": "modularity"}


@bp.get("/changes")
def changes() -> str:
    """The diff of two runs (default: the previous and the current one), kept per pair."""
    runs = api("/runs")["data"]
    try:
        a, b = run_pair(store(), request.args.get("from") or None, request.args.get("to") or None)
    except NotFoundError:
        return render_template("changes.html", runs=runs, diff=None)
    query = {"from": a, "to": b, "limit": DIFF_LIMIT}
    diff = memo().get(("diff", a, b), lambda: api("/runs/diff", query))
    return render_template("changes.html", runs=runs, diff=diff)


@bp.get("/runs")
def runs() -> str:
    body = api("/runs")
    jobs = [job_view(j) for j in state().recent_jobs(JOBS_SHOWN)]
    busy = any(j["status"] in ACTIVE for j in jobs)
    return render_template(
        "runs.html",
        body=body,
        jobs=jobs,
        run_stats=RUN_STATS,
        refresh=REFRESH_SECONDS if busy else None,
    )


@bp.post("/runs")
def start_analysis() -> Response:
    """Start an analysis (operator role, checked by the API): then watch it on /runs."""
    check_csrf()
    flags = {name: request.form.get(name) == "on" for name in ("refresh", "force")}
    job = api("/jobs", method="POST", body=flags)
    return redirect(url_for("web.runs", job=job["job_id"]))
