"""KOL rankings of a run: filters, sorts and keyset cursors that stay within one run."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint

from graphsvc.api.auth import requires
from graphsvc.api.cache import cached
from graphsvc.api.deps import (
    MAX_LIMIT,
    arg,
    bounded_int,
    choice,
    cursor_page,
    finite,
    page,
    store,
)
from graphsvc.model import Role, Tier
from graphsvc.runs.current import shill_threshold
from graphsvc.service.state import KeyRole
from graphsvc.store.base import USER_SORT_ALIASES, USER_SORTS, UserQuery, require_filters

__all__ = ["bp", "sort_value"]

bp = Blueprint("rankings", __name__)

TIERS = tuple(t.value for t in Tier)
ROLES = tuple(r.value for r in Role)
SORTS = (*USER_SORTS, *USER_SORT_ALIASES)
MAX_LEVEL = 10**6


def sort_value(row: dict[str, Any], sort: str) -> float:
    """A row's sort key as the stores order it (a missing value sorts as -1)."""
    value = row[sort]
    return -1 if value is None or value != value else value


@bp.get("/kols")
@requires(KeyRole.READER)
@cached
def list_kols() -> dict[str, Any]:
    """Users of a run by ``sort`` (descending), filtered; ``limit`` ≤ 1000; ``cursor``. An
    unknown community or group is a 404 (an empty page means nobody matched)."""
    sort = arg("sort", choice(SORTS), "influence", f" (one of {', '.join(SORTS)})")
    sort = USER_SORT_ALIASES.get(sort, sort)
    level = bounded_int(0, MAX_LEVEL)
    limit = arg("limit", bounded_int(1, MAX_LIMIT), 50, f" (an integer 1..{MAX_LIMIT})")
    query = UserQuery(
        community_id=arg("community", str, None),
        group_id=arg("group", str, None),
        tier=arg("tier", choice(TIERS), None, f" (one of {', '.join(TIERS)})"),
        role=arg("role", choice(ROLES), None, f" (one of {', '.join(ROLES)})"),
        min_influence=arg("min_score", finite, None, " (a number)"),
        min_quality=arg("min_quality", finite, None, " (a number)"),
        min_level=arg("min_level", level, None, f" (an integer 0..{MAX_LEVEL})"),
        max_level=arg("max_level", level, None, f" (an integer 0..{MAX_LEVEL})"),
        sort=sort,
        limit=limit + 1,
    )
    run_id, rows = cursor_page(
        sort, int, lambda run, after: store().user_page(run, replace(query, after=after))
    )
    if not rows:
        require_filters(store(), run_id, query)
    return page(run_id, rows, limit, sort, lambda r: (sort_value(r, sort), r["influence_rank"]))


@bp.get("/shills")
@requires(KeyRole.READER)
@cached
def list_shills() -> dict[str, Any]:
    """Suspected shills of a run for review, by shill score (descending): users whose score is
    at least ``min_score`` (default: the run's ``shill_threshold``); ``limit`` ≤ 1000;
    ``cursor``. Each row's ``shill_signals`` says why."""
    limit = arg("limit", bounded_int(1, MAX_LIMIT), 50, f" (an integer 1..{MAX_LIMIT})")
    min_score = arg("min_score", finite, None, " (a number)")
    sort = "shill_score"

    def fetch(run_id: str, after: tuple[float, Any] | None) -> list[dict[str, Any]]:
        bound = shill_threshold(store(), run_id) if min_score is None else min_score
        query = UserQuery(min_shill_score=bound, sort=sort, after=after, limit=limit + 1)
        return store().user_page(run_id, query)

    run_id, rows = cursor_page(sort, int, fetch)
    return page(run_id, rows, limit, sort, lambda r: (sort_value(r, sort), r["influence_rank"]))
