"""Liveness, readiness (the store answers) and Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from graphsvc.api.auth import requires
from graphsvc.api.deps import store
from graphsvc.service_state import KeyRole

__all__ = ["bp"]

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> dict[str, str | None]:
    """Ready when the store answers a read; a StoreError is a 503 problem."""
    run = store().current_run()
    return {"status": "ready", "current_run_id": run.run_id if run else None}


@bp.get("/metrics")
@requires(KeyRole.READER)
def metrics() -> Response:
    text = current_app.extensions["graphsvc.metrics"].render()
    return Response(text, mimetype="text/plain; version=0.0.4")
