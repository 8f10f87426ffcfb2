"""Every error as application/problem+json (RFC 9457), with a message a person can act on."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from graphsvc.errors import GraphsvcError, InputError, NoRunError, StoreError

__all__ = ["CHALLENGE", "graphsvc_error", "problem", "problem_document", "unexpected_error"]

log = logging.getLogger(__name__)

_KEPT_HEADERS = ("Allow",)  # e.g. the methods a 405 names
CHALLENGE = 'Bearer realm="graphsvc"'  # the WWW-Authenticate header of every 401


def problem_document(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The body of a problem response (RFC 9457)."""
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    response = jsonify(problem_document(status, title, detail, **extra))
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = CHALLENGE
    return response


STORE_UNAVAILABLE = "the store does not answer or refused the operation; the server's log has why"


def graphsvc_error(error: GraphsvcError) -> Response:
    if isinstance(error, StoreError):  # its message names hosts, ports, paths: to the log only
        log.warning("store unavailable: %s", error)
        return problem(error.status, error.title, STORE_UNAVAILABLE)
    if isinstance(error, InputError):  # one line per bad row after the summary line
        head, *lines = str(error).splitlines()
        return problem(error.status, error.title, str(error), errors=lines or [head])
    if isinstance(error, NoRunError):
        return problem(error.status, error.title, f"{error}: start one with POST /api/v1/jobs")
    return problem(error.status, error.title, str(error))


def unexpected_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        response = problem(error.code or 500, error.name, error.description or error.name)
        for name, value in error.get_headers():
            if name in _KEPT_HEADERS:
                response.headers[name] = value
        return response
    log.exception("unhandled error")
    return problem(500, "Internal error", "the server failed; the error was logged")
