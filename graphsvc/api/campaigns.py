"""Campaign seeding: choose whom to seed (inline on small graphs, else a background job) and
read the stored seeds."""

from __future__ import annotations

__all__ = ["INLINE_MAX_EDGES", "bp"]

import math
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flask import Blueprint, request, url_for

from graphsvc.api.auth import requires
from graphsvc.api.deps import BadRequest, jobs, settings, store
from graphsvc.api.runs import job_view
from graphsvc.errors import NotFoundError
from graphsvc.jobs.seeds import (
    MAX_EPSILON,
    METHODS,
    MIN_EPSILON,
    MODELS,
    PROBABILITIES,
    SeedRequest,
    choose_seeds,
)
from graphsvc.model import SeedSet, Tier
from graphsvc.output import plain
from graphsvc.service.state import KeyRole

bp = Blueprint("campaigns", __name__)

# Graphs up to this many interaction and referral edges are seeded inside the request (well
# under a second); larger ones, or "background": true, in a job.
INLINE_MAX_EDGES = 50_000
MAX_IDS = 100_000
MAX_MONEY = 1e12  # prices and budgets: large enough, and their sums stay finite


def _ids(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= MAX_IDS
        and all(isinstance(v, str) and v for v in value)
    )


def _number(lo: float, hi: float, *, low_open: bool = True) -> Callable[[Any], bool]:
    def check(v: Any) -> bool:
        ok = type(v) in (int, float) and math.isfinite(v) and v <= hi
        return ok and (v > lo if low_open else v >= lo)

    return check


# Body fields: (check, its words).
FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "k": (lambda v: type(v) is int and 1 <= v <= 10_000, "an integer 1..10000"),
    "method": (lambda v: v in METHODS, f"one of {', '.join(METHODS)}"),
    "model": (lambda v: v in MODELS, f"one of {', '.join(MODELS)}"),
    "probabilities": (lambda v: v in PROBABILITIES, f"one of {', '.join(PROBABILITIES)}"),
    "p": (_number(0, 1), "a number in (0, 1]"),
    "epsilon": (
        _number(MIN_EPSILON, MAX_EPSILON, low_open=False),
        f"a number in [{MIN_EPSILON}, {MAX_EPSILON}]",
    ),
    "seed": (lambda v: type(v) is int and 0 <= v < 2**63, "an integer 0..2^63-1"),
    "per_community": (lambda v: v is None or (type(v) is int and v >= 1), "an integer >= 1"),
    "exclude": (_ids, f"a list of at most {MAX_IDS} user ids"),
    "include": (_ids, f"a list of at most {MAX_IDS} user ids"),
    "people": (_ids, f"a list of at most {MAX_IDS} user ids"),
    "budget": (lambda v: v is None or _number(0, MAX_MONEY)(v), "a number in (0, 1e12]"),
    "prices": (
        lambda v: (
            isinstance(v, dict)
            and set(v) <= {t.value for t in Tier}
            and all(_number(0, MAX_MONEY, low_open=False)(x) for x in v.values())
        ),
        f"an object of prices in [0, 1e12] by tier ({', '.join(Tier)})",
    ),
    "background": (lambda v: type(v) is bool, "true or false"),
}
_LISTS = ("exclude", "include", "people")


def _seed_request() -> tuple[SeedRequest, bool]:
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object like {"k": 50, "model": "ic"}')
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown fields {', '.join(unknown)}; fields are {', '.join(FIELDS)}")
    for name, value in body.items():
        valid, words = FIELDS[name]
        if not valid(value):
            raise BadRequest(f"{name} must be {words}, not {value!r}"[:300])
    background = body.pop("background", False)
    fields = {k: tuple(v) if k in _LISTS else v for k, v in body.items()}
    return SeedRequest(**fields), background


def seeds_view(seeds: SeedSet) -> dict[str, Any]:
    body = plain(asdict(seeds))
    body["data"] = body.pop("rows")
    return body


@bp.post("/campaigns/seeds")
@requires(KeyRole.OPERATOR)
def start_seeds() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Choose seeds: 201 with them on a small graph, else 202 and the job seeding it."""
    seed_request, background = _seed_request()
    counts = store().counts()
    if background or counts.get("interactions", 0) + counts.get("referrals", 0) > INLINE_MAX_EDGES:
        job = jobs().start_seeds(seed_request)
        return job_view(job), 202, {"Location": url_for("runs.get_job", job_id=job.job_id)}
    seeds = choose_seeds(store(), seed_request, settings().analysis)
    location = url_for(".get_seeds", seeds_id=seeds.seeds_id)
    return seeds_view(seeds), 201, {"Location": location}


@bp.get("/campaigns/seeds/<seeds_id>")
@requires(KeyRole.READER)
def get_seeds(seeds_id: str) -> dict[str, Any]:
    """Stored seeds (a seeding job's id names its seeds)."""
    seeds = store().seed_set(seeds_id)
    if seeds is None:
        raise NotFoundError(f"no seeds {seeds_id!r} (or their analysis run was removed)")
    return seeds_view(seeds)
