"""Sign-in with an API key, kept in the signed, HTTP-only session cookie and checked again on
every request (a revoked key signs its holder out); CSRF tokens for the POST forms; the gate
that keeps read pages closed without a key unless GRAPHSVC_ANONYMOUS_READS=true."""

from __future__ import annotations

import hmac
import secrets

from flask import Response, g, redirect, render_template, request, session, url_for

from graphsvc.api.deps import BadRequest, settings, state
from graphsvc.service.state import ApiKey
from graphsvc.web.blueprint import bp
from graphsvc.web.text import LANGUAGES

__all__ = ["check_csrf", "csrf_token", "signed_in_key"]

OPEN_ENDPOINTS = ("web.signin", "web.static")


def signed_in_key() -> ApiKey | None:
    """The live API key this browser signed in with, or None."""
    if "signed_in" not in g:
        secret = session.get("key")
        g.signed_in = state().authenticate(secret) if secret else None
        if secret and g.signed_in is None:
            session.pop("key")  # revoked since: signed out
    return g.signed_in


def csrf_token() -> str:
    """This session's token for POST forms (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    sent, kept = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
        raise BadRequest("the form expired or came from another site: reload the page and retry")


@bp.before_request
def gate() -> Response | None:
    """Remember a language choice (``?lang=zh``); send readers without a key to sign-in
    unless anonymous reads are allowed."""
    if request.args.get("lang") in LANGUAGES:
        session["lang"] = request.args["lang"]
    if request.endpoint in OPEN_ENDPOINTS or signed_in_key() or settings().anonymous_reads:
        return None
    return redirect(url_for("web.signin", next=request.full_path.rstrip("?")))


def _local(target: str | None) -> str:
    """A redirect target on this site only (no open redirects)."""
    ok = target and target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if ok else url_for("web.kols")


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Response | tuple[str, int]:
    """The sign-in form; a valid key starts a fresh session and goes back where it came from."""
    target = _local(request.values.get("next"))
    if request.method == "GET":
        return render_template("signin.html", next=target, error=None), 200
    check_csrf()
    secret = request.form.get("key", "").strip()
    key = state().authenticate(secret) if secret else None
    if key is None:
        return render_template("signin.html", next=target, error="bad_key"), 401
    lang = session.get("lang")
    session.clear()  # a new session: nothing from before sign-in carries over
    session.update(key=secret, csrf=secrets.token_urlsafe(32), lang=lang)
    session.permanent = True
    return redirect(target)


@bp.post("/signout")
def signout() -> Response:
    check_csrf()
    lang = session.get("lang")
    session.clear()
    session["lang"] = lang
    return redirect(url_for("web.signin"))
