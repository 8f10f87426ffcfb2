"""The dashboard's blueprint and what every page shares: the app's session settings (a
signing key kept in the service state), the reader's language and sign-in, error pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from graphsvc.api.auth import Unauthorized
from graphsvc.api.deps import store
from graphsvc.errors import GraphsvcError, NotFoundError
from graphsvc.runs.explain import figure
from graphsvc.web.text import TIER_ORDER, label_of, language, texts, why_text

__all__ = ["bp"]

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

SESSION_SECRET = "dashboard-session"


@bp.record_once
def configure(setup: BlueprintSetupState) -> None:
    """Signed session cookies: HttpOnly, Secure, SameSite=Lax, 12 hours; the signing key is
    created once and kept in the service state, so restarts keep people signed in."""
    app = setup.app
    app.secret_key = app.extensions["graphsvc.state"].secret(SESSION_SECRET)
    app.config.update(
        SESSION_COOKIE_NAME="graphsvc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )


@bp.app_template_global()
def url_with(**changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for name in [k for k, v in changes.items() if v is None]:
        args.pop(name, None)
    return url_for(request.endpoint or "web.kols", **(request.view_args or {}), **args)


bp.add_app_template_filter(figure, "figure")  # numbers as explanations write them


@bp.app_template_filter("datetime")
def as_datetime(seconds: float) -> str:
    """Unix seconds as a UTC date and time."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.context_processor
def page_context() -> dict[str, Any]:
    from graphsvc.web.session import csrf_token, signed_in_key  # session.py imports bp

    lang = language()
    return {
        "t": texts(lang),
        "lang": lang,
        "label": lambda kind, value: label_of(lang, kind, value),
        "why": lambda signal: why_text(lang, signal),
        "tiers": TIER_ORDER,
        "key": signed_in_key(),
        "csrf_token": csrf_token,
    }


@bp.errorhandler(GraphsvcError)
def error_page(error: GraphsvcError) -> Response | tuple[str, int]:
    """Errors as pages: sign-in for a missing key, else the status and the message."""
    if isinstance(error, Unauthorized):
        back = request.full_path.rstrip("?") if request.method == "GET" else request.path
        return redirect(url_for("web.signin", next=back))
    message = str(error)
    if isinstance(error, NotFoundError) and store().current_run() is None:
        message = texts(language()).no_run
    return render_template("error.html", status=error.status, message=message), error.status
