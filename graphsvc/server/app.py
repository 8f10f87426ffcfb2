"""The app factory: the API's blueprints and the dashboard on one Flask app, with the body
limit, the response cache and the request metrics."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from graphsvc import web
from graphsvc.api import (
    campaigns,
    communities,
    docs,
    errors,
    health,
    ingest,
    lifecycle,
    rankings,
    runs,
    users,
)
from graphsvc.api.cache import ResponseCache
from graphsvc.api.deps import BodyTooLarge
from graphsvc.api.encoding import OrjsonProvider
from graphsvc.api.metrics import Metrics
from graphsvc.api.users import ScoreRanks
from graphsvc.config import Settings
from graphsvc.errors import GraphsvcError
from graphsvc.service.runner import JobRunner
from graphsvc.service.state import ServiceState
from graphsvc.store import open_store
from graphsvc.store.base import GraphStore

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> Flask:
    """Build the app for ``settings`` (default: from the environment) on ``store`` (default:
    the store the settings name, opened here). Opening the service state marks jobs left
    running by a previous process as failed."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    # werkzeug refuses a stream that reaches MAX_CONTENT_LENGTH (it cannot tell whether more
    # follows), so a body of exactly max_body_bytes needs one byte more; Content-Length is
    # checked against the limit itself, before any handler runs (_limit_bodies)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes + 1
    store = store or open_store(settings.store, neo4j=settings.neo4j)
    state = ServiceState(settings.state)
    metrics = Metrics()
    app.extensions.update(
        {
            "graphsvc.settings": settings,
            "graphsvc.store": store,
            "graphsvc.state": state,
            "graphsvc.metrics": metrics,
            "graphsvc.score_ranks": ScoreRanks(),
            "graphsvc.responses": ResponseCache(settings.response_cache_bytes, store.revision),
            "graphsvc.jobs": JobRunner(state, store, settings.analysis, metrics.observe_job),
        }
    )
    app.register_blueprint(health.bp)
    for blueprint in (rankings, users, communities, lifecycle, runs, campaigns, ingest, docs):
        app.register_blueprint(blueprint.bp, url_prefix="/api/v1")
    app.register_blueprint(web.bp)  # the dashboard, at /
    app.register_error_handler(GraphsvcError, errors.graphsvc_error)
    app.register_error_handler(Exception, errors.unexpected_error)
    _limit_bodies(app, settings.max_body_bytes)
    _measure(app, metrics)
    return app


def _limit_bodies(app: Flask, limit: int) -> None:
    """Refuse a body whose Content-Length is over ``limit`` before anything reads it (chunked
    bodies are counted as they are read, against MAX_CONTENT_LENGTH)."""

    @app.before_request
    def refuse_large_bodies() -> None:
        if (request.content_length or 0) > limit:
            raise BodyTooLarge(limit)


def _measure(app: Flask, metrics: Metrics) -> None:
    """Count every request and time it, by route template (not path: ids stay out). Methods
    and paths the app does not serve count as "other": no request can add a series."""
    methods = {method for rule in app.url_map.iter_rules() for method in rule.methods or ()}

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "other"
        method = request.method if request.method in methods else "other"
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.observe_request(method, route, response.status_code, seconds)
        return response
