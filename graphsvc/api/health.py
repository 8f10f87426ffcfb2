"""Liveness, readiness (the store answers) and Prometheus metrics."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app

from graphsvc.api.auth import requires
from graphsvc.api.deps import store
from graphsvc.api.errors import problem
from graphsvc.errors import GraphsvcError
from graphsvc.service.state import KeyRole

__all__ = ["bp"]

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> dict[str, str | None] | Response:
    """Ready when the store answers a read, else a 503 problem. Anyone may ask, so the
    answer names no host, port or path: the store's own message goes to the log."""
    try:
        run = store().current_run()
    except GraphsvcError as e:
        log.warning("not ready: %s", e)
        return problem(503, "Store unavailable", "not ready: the store does not answer")
    return {"status": "ready", "current_run_id": run.run_id if run else None}


@bp.get("/metrics")
@requires(KeyRole.READER)
def metrics() -> Response:
    text = current_app.extensions["graphsvc.metrics"].render()
    return Response(text, mimetype="text/plain; version=0.0.4")
