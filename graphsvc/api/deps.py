"""What handlers get from the app (store, state, jobs, settings) and request parsing helpers:
query parameters, opaque cursors and pages."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import current_app, request

from graphsvc.api.cache import current_run_of
from graphsvc.config import Settings
from graphsvc.errors import ConfigError, NotFoundError, shown
from graphsvc.jobs.runner import JobRunner
from graphsvc.model import RunInfo
from graphsvc.service_state import ServiceState
from graphsvc.store.base import GraphStore

__all__ = [
    "MAX_LIMIT",
    "BadRequest",
    "arg",
    "bounded_int",
    "choice",
    "current_run",
    "cursor_arg",
    "encode_cursor",
    "finite",
    "jobs",
    "json_safe",
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


def bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
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
        raise NotFoundError("no analysis run yet: start one with POST /api/v1/jobs")
    return run


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def finite(text: str) -> float:
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
            run_id, cursor_sort, value, tiebreak = json.loads(raw)
        except (ValueError, TypeError) as e:
            raise ValueError from e
        valid = (
            isinstance(run_id, str)
            and cursor_sort == sort
            and type(value) in (int, float)
            and math.isfinite(value)
            and type(tiebreak) is tie
        )
        if not valid:
            raise ValueError
        return run_id, value, tiebreak

    return arg("cursor", decode, None, f" (use next_cursor of a previous page with sort={sort})")


def json_safe(value: Any) -> Any:
    """Nested data with NaN and infinities as null (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


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
