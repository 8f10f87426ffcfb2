"""Runs and changes: the run history and analysis jobs (an operator starts one here and
watches its stages), and what changed between two runs (the API's run diff)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from graphsvc.api.deps import state, store
from graphsvc.api.runs import job_view
from graphsvc.api.users import SCORES
from graphsvc.errors import NotFoundError
from graphsvc.runs.diff import diff_runs, load_run_view, run_pair
from graphsvc.service.state import ACTIVE, JobStatus
from graphsvc.web.blueprint import bp
from graphsvc.web.calls import api
from graphsvc.web.memo import memo
from graphsvc.web.session import check_csrf

log = logging.getLogger(__name__)

__all__ = ["DIFF_LIMIT"]

DIFF_LIMIT = 20  # users per list
JOBS_SHOWN = 20
REFRESH_SECONDS = 2  # while a job is queued or running, the runs page reloads itself
# run figures shown, as `graphsvc runs` shows them: stats key -> text key
RUN_STATS = {"n_users": "users", "n_communities": "nav_communities", "modularity": "modularity"}


def run_diff(a: str, b: str) -> dict[str, Any]:
    """What changed from run ``a`` to run ``b`` (``diff_runs``, as the API's /runs/diff), kept
    per pair: runs never change, and a diff reads both runs whole."""
    db = store()
    return memo().get(
        ("diff", a, b),
        lambda: diff_runs(load_run_view(db, a), load_run_view(db, b), limit=DIFF_LIMIT),
    )


@bp.get("/changes")
def changes() -> str:
    """The diff of two runs (default: the previous and the current one)."""
    runs = api("/runs")["data"]
    try:
        a, b = run_pair(store(), request.args.get("from") or None, request.args.get("to") or None)
    except NotFoundError:
        return render_template("changes.html", runs=runs, diff=None)
    return render_template("changes.html", runs=runs, diff=run_diff(a, b))


@bp.record_once
def warm_after_jobs(setup: BlueprintSetupState) -> None:
    """When an analysis job publishes a run, prepare what its first readers would wait for
    (O(n) each: seconds at 1M users): the run's diff with the previous one and the score
    columns behind a person's ranks. In the job's thread, after the run is published."""
    app, jobs = setup.app, setup.app.extensions["graphsvc.jobs"]
    observe = jobs.on_finished

    def on_finished(kind: str, status: JobStatus, seconds: float) -> None:
        observe(kind, status, seconds)
        if status == JobStatus.SUCCEEDED:
            _warm(app)

    jobs.on_finished = on_finished


def _warm(app: Flask) -> None:
    with app.test_request_context("/"):
        try:
            db, ranks = store(), app.extensions["graphsvc.score_ranks"]
            current = db.current_run()
            for score in SCORES:
                ranks.rank(db, current.run_id, score, 0.0)
            run_diff(*run_pair(db, None, current.run_id))
        except NotFoundError:
            pass  # the first run: nothing to compare with
        except Exception:  # warming is a favour: never the job's failure
            log.exception("preparing the dashboard for the new run failed")


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
