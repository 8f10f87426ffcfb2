"""Analysis runs (newest first) and the current one; analysis jobs: start one, watch it."""

from __future__ import annotations

import typing
from dataclasses import asdict
from typing import Any

from flask import Blueprint, request, url_for

from graphsvc.api.auth import requires
from graphsvc.api.cache import cached
from graphsvc.api.deps import (
    MAX_LIMIT,
    BadRequest,
    arg,
    bounded_int,
    current_run,
    jobs,
    json_body,
    state,
    store,
)
from graphsvc.errors import shown
from graphsvc.jobs.analyze import JOB_PARAMS
from graphsvc.model import AnalysisParams, RunInfo, param_bound
from graphsvc.output import plain
from graphsvc.runs.diff import diff_runs, load_run_view, run_pair
from graphsvc.service.state import Job, KeyRole

__all__ = ["bp"]

bp = Blueprint("runs", __name__)

_JSON_TYPES = {bool: (bool,), int: (int,), float: (int, float)}


def job_param_problem(name: str, value: Any) -> str | None:
    """What is wrong with ``value`` for job parameter ``name`` (None: nothing)."""
    kind = typing.get_type_hints(AnalysisParams)[name]
    if kind is bool:
        return None if type(value) is bool else "true or false"
    bound = param_bound(name)
    if type(value) in _JSON_TYPES[kind] and bound.holds(value):
        return None
    return bound.words(kind)


FLAGS = ("force", "cold", "refresh")


def run_view(run: RunInfo, current_id: str | None) -> dict[str, Any]:
    return plain({**asdict(run), "current": run.run_id == current_id})


def job_view(job: Job) -> dict[str, Any]:
    body = asdict(job)
    body["progress"] = {"stage": job.stages[-1] if job.stages else None, "stages": job.stages}
    del body["stages"]
    return body


@bp.get("/runs")
@requires(KeyRole.READER)
def list_runs() -> dict[str, Any]:
    current = store().current_run()
    current_id = current.run_id if current else None
    return {
        "current_run_id": current_id,
        "data": [run_view(r, current_id) for r in store().runs()],
    }


@bp.get("/runs/diff")
@requires(KeyRole.READER)
@cached
def get_runs_diff() -> dict[str, Any]:
    """What changed from run ``from`` to run ``to`` (defaults: the previous and the current
    run): a summary of counts, then the top ``limit`` entries of every section."""
    limit = arg("limit", bounded_int(1, MAX_LIMIT), 20, f" (an integer 1..{MAX_LIMIT})")
    run_a, run_b = run_pair(store(), request.args.get("from"), request.args.get("to"))
    return diff_runs(load_run_view(store(), run_a), load_run_view(store(), run_b), limit=limit)


@bp.get("/runs/current")
@requires(KeyRole.READER)
def get_current_run() -> dict[str, Any]:
    run = current_run()
    return run_view(run, run.run_id)


def _job_request() -> tuple[dict[str, Any], dict[str, bool]]:
    """Overrides and flags (force, cold, refresh) from a JSON body like
    {"kind": "analyze", "params": {...}, "refresh": true}."""
    body = json_body(empty={})
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object like {"kind": "analyze"}')
    if body.get("kind", "analyze") != "analyze":
        raise BadRequest(f"unknown job kind {shown(body.get('kind'))}; the only kind is 'analyze'")
    params, flags = body.get("params") or {}, {f: body.get(f, False) for f in FLAGS}
    if not isinstance(params, dict) or not all(isinstance(v, bool) for v in flags.values()):
        raise BadRequest("params must be an object, force, cold and refresh booleans")
    if flags["cold"] and flags["refresh"]:
        raise BadRequest("refresh starts warm from the current run: not with cold")
    unknown = sorted((set(body) - {"kind", "params", *FLAGS}) | (set(params) - set(JOB_PARAMS)))
    if unknown:
        raise BadRequest(f"unknown fields {', '.join(unknown)}; params are {', '.join(JOB_PARAMS)}")
    for name, value in params.items():
        if (words := job_param_problem(name, value)) is not None:
            raise BadRequest(f"params.{name} must be {words}, not {shown(value)}")
    return params, flags


@bp.post("/jobs")
@requires(KeyRole.OPERATOR)
def start_job() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Start an analysis in the background: 202 and its Location; 409 while one runs."""
    overrides, flags = _job_request()
    job = jobs().start_analysis(overrides, **flags)
    return job_view(job), 202, {"Location": url_for(".get_job", job_id=job.job_id)}


@bp.get("/jobs/<job_id>")
@requires(KeyRole.READER)
def get_job(job_id: str) -> dict[str, Any]:
    return job_view(state().job(job_id))
