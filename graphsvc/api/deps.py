"""What handlers get from the app (store, state, jobs, settings) and request parsing helpers:
query parameters, opaque cursors and pages."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import current_app, request

from graphsvc.api.cache import current_run_of
from graphsvc.config import Settings
from graphsvc.errors import ConfigError, GraphsvcError, NoRunError, NotFoundError, shown
from graphsvc.jsontext import parse_json
from graphsvc.model import RunInfo
from graphsvc.service.runner import JobRunner
from graphsvc.service.state import ServiceState
from graphsvc.store.base import GraphStore

__all__ = [
    "MAX_LIMIT",
    "BadRequest",
    "BodyTooLarge",
    "arg",
    "bounded_int",
    "choice",
    "current_run",
    "cursor_arg",
    "cursor_page",
    "encode_cursor",
    "finite",
    "jobs",
    "json_body",
    "page",
    "settings",
    "state",
    "store",
]

T = TypeVar("T")
MAX_LIMIT = 1000


class BadRequest(ConfigError):
    """A request parameter is invalid (400)."""

    title = "Bad request"


class BodyTooLarge(GraphsvcError):
    """A request body is larger than GRAPHSVC_MAX_BODY_BYTES (413)."""

    exit_code, status, title = 65, 413, "Request Entity Too Large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is over GRAPHSVC_MAX_BODY_BYTES ({limit} bytes): send less")


def store() -> GraphStore:
    return current_app.extensions["graphsvc.store"]


def state() -> ServiceState:
    return current_app.extensions["graphsvc.state"]


def jobs() -> JobRunner:
    return current_app.extensions["graphsvc.jobs"]


def settings() -> Settings:
    return current_app.extensions["graphsvc.settings"]


def arg(name: str, parse: Callable[[str], T], default: T, check: str = "") -> T:
    """Query parameter ``name`` parsed by ``parse``; a bad value is a 400 naming it."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        return parse(text)
    except ValueError:
        raise BadRequest(f"query parameter {name}={shown(text)} is invalid{check}") from None


def json_body(empty: Any = None) -> Any:
    """The request body parsed as JSON (``empty`` if there is none); a 400 saying what is
    wrong with it (not JSON, nested too deep, a lone surrogate)."""
    data = request.get_data(cache=True)
    if not data:
        return empty
    if not request.is_json:
        raise BadRequest("send the body as Content-Type: application/json")
    try:
        return parse_json(data)
    except ValueError as e:
        raise BadRequest(f"the body is not valid JSON: {e}") from None


_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII only: int() also takes "５", " 5", "1_0"
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not _INTEGER.fullmatch(text):
            raise ValueError
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError
        return value

    return parse


def choice(values: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in values:
            raise ValueError
        return text

    return parse


def current_run() -> RunInfo:
    run = current_run_of(store().current_run)
    if run is None:
        raise NoRunError()
    return run


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def finite(text: str) -> float:
    if not _NUMBER.fullmatch(text):
        raise ValueError
    value = float(text)
    if not math.isfinite(value):
        raise ValueError
    return value


def cursor_arg(sort: str, tie: type) -> tuple[str, float, Any] | None:
    """The ``cursor`` parameter as (run_id, sort value, tie-breaker of type ``tie``), for this
    ``sort``."""

    def decode(text: str) -> tuple[str, float, Any]:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            run_id, cursor_sort, value, tiebreak = parse_json(raw)
        except (ValueError, TypeError) as e:
            raise ValueError from e
        valid = (
            isinstance(run_id, str)
            and cursor_sort == sort
            and _comparable(value)
            and type(tiebreak) is tie
            and (tie is not int or _comparable(tiebreak))
        )
        if not valid:
            raise ValueError
        return run_id, value, tiebreak

    return arg("cursor", decode, None, f" (use next_cursor of a previous page with sort={sort})")


def _comparable(value: Any) -> bool:
    """A number both stores compare: a 64-bit integer or a finite float."""
    if type(value) is int:
        return -(2**63) <= value < 2**63
    return type(value) is float and math.isfinite(value)


def cursor_page(
    sort: str, tie: type, fetch: Callable[[str, tuple[float, Any] | None], Sequence[T]]
) -> tuple[str, Sequence[T]]:
    """The run a page reads — the ``cursor`` parameter's, else the current run — and
    ``fetch(run_id, after)``, ``after`` the cursor's keyset (None on a first page). A cursor
    whose run is gone is a 400 that says to start again."""
    cursor = cursor_arg(sort, tie)
    run_id = current_run().run_id if cursor is None else cursor[0]
    try:
        return run_id, fetch(run_id, None if cursor is None else (cursor[1], cursor[2]))
    except NotFoundError:
        raise BadRequest(
            "the cursor's run no longer exists: start again without a cursor"
        ) from None


def page(
    run_id: str,
    rows: Sequence[Any],
    limit: int,
    sort: str,
    keyset: Callable[[Any], tuple],
    view: Callable[[Any], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A page of ``rows`` (fetched ``limit + 1``) shown by ``view`` (default: as they are,
    e.g. user rows, which stores give JSON-ready), with the cursor after its last row."""
    shown, more = rows[:limit], len(rows) > limit
    return {
        "run_id": run_id,
        "data": list(shown) if view is None else [view(row) for row in shown],
        "next_cursor": encode_cursor(run_id, sort, *keyset(shown[-1])) if more else None,
    }
