"""The OpenAPI 3.1 document of the API, as data (served at /api/v1/openapi.json; the tests
validate it and fuzz the live server against it)."""

from __future__ import annotations

from typing import Any

from graphsvc.api.openapi_schemas import LEVEL, SCHEMAS, ref
from graphsvc.model import Entity, Role, Tier
from graphsvc.store.base import COMMUNITY_SORTS, USER_SORT_ALIASES, USER_SORTS

__all__ = ["SPEC"]

MAX_LIMIT = 1000  # as graphsvc.api.deps.MAX_LIMIT (no import: the spec is plain data)


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "description": description,
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problems(*codes: int) -> dict[str, Any]:
    reasons = {
        400: "Invalid parameter or body",
        401: "Missing, unknown or revoked API key",
        403: "The key's role does not allow this",
        404: "Unknown id, or no analysis run yet",
        409: "A job of that kind is already running",
        413: "Body larger than GRAPHSVC_MAX_BODY_BYTES",
        415: "Content-Type is not text/csv, application/x-ndjson or application/vnd.apache.parquet",
        422: "Invalid rows; each is named",
        503: "The store is unreachable",
    }
    return {
        str(code): {
            "description": reasons[code],
            "content": {"application/problem+json": {"schema": ref("Problem")}},
        }
        for code in codes
    }


_CACHED_HEADERS = {  # a read served from the response cache (see graphsvc.api.cache)
    "ETag": {"schema": {"type": "string"}, "description": "of the body; send If-None-Match"},
    "X-Cache": {"schema": {"enum": ["hit", "miss"]}, "description": "from the cache or not"},
}


def _get(
    summary: str, ok: dict[str, Any], params: list | None = None, codes=(401, 403), cached=False
) -> dict:
    """A GET operation; ``cached``: with the response cache's headers and its 304."""
    responses = {"200": ok, **_problems(*codes)}
    if cached:
        responses["200"] = {**ok, "headers": _CACHED_HEADERS}
        responses["304"] = {"description": "Not modified: If-None-Match named the ETag"}
    return {"summary": summary, "parameters": params or [], "responses": responses}


_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size")
_CURSOR = _query("cursor", {"type": "string"}, "next_cursor of the previous page")

_BODY_FORMATS = {
    "text/csv": {"schema": {"type": "string"}},
    "application/x-ndjson": {"schema": {"type": "string"}},
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
}

_PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "summary": "Liveness",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "Alive")},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness: the store answers",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "Ready"), **_problems(503)},
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics (text exposition 0.0.4)",
            "responses": {
                "200": {
                    "description": "Request counts and latency per route and status; job durations",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                **_problems(401, 403),
            },
        }
    },
    "/api/v1/kols": {
        "get": _get(
            "Users of the current run by a score, filtered, with cursor pagination",
            _json(ref("UserPage"), "A page; next_cursor stays within the page's run"),
            [
                _query(
                    "community",
                    {"type": "string"},
                    "only this community and its sub-communities (each row names its own); "
                    "404 if the run has no such community",
                ),
                _query(
                    "group",
                    {"type": "string"},
                    "only members of this explicit group; 404 if the run has no such group",
                ),
                _query("tier", {"enum": [t.value for t in Tier]}, "only this tier"),
                _query("role", {"enum": [r.value for r in Role]}, "only this role"),
                _query("min_score", {"type": "number"}, "influence at least this"),
                _query("min_quality", {"type": "number"}, "audience quality at least this"),
                _query("min_level", LEVEL, "referral level at least this (0: a tree's root)"),
                _query("max_level", LEVEL, "referral level at most this"),
                _query(
                    "sort",
                    {"enum": [*USER_SORTS, *USER_SORT_ALIASES]},
                    "descending; ties by influence rank; pagerank is influence",
                ),
                _LIMIT,
                _CURSOR,
            ],
            (400, 401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/shills": {
        "get": _get(
            "Suspected shills of the current run for review, by shill score, with the signals",
            _json(ref("UserPage"), "A page; next_cursor stays within the page's run"),
            [
                _query(
                    "min_score",
                    {"type": "number"},
                    "shill score at least this (default: the run's shill_threshold)",
                ),
                _LIMIT,
                _CURSOR,
            ],
            (400, 401, 403),
            cached=True,
        )
    },
    "/api/v1/users/{user_id}": {
        "get": _get(
            "One user: scores with ranks and percentiles, community, groups, referral position",
            _json(ref("User"), "The user in the current run"),
            [_path("user_id", "user id")],
            (401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/users/{user_id}/referrals": {
        "get": _get(
            "Inviters (up) or invitees (down) of a user within depth levels",
            _json(ref("Referrals"), "Users reached, by depth then id"),
            [
                _path("user_id", "user id"),
                _query("direction", {"enum": ["up", "down"]}, "default down"),
                _query("depth", {"type": "integer", "minimum": 1, "maximum": 10}, "default 1"),
                _LIMIT,
            ],
            (400, 401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/communities": {
        "get": _get(
            "Communities of the current run, by size or health, with cursor pagination",
            _json(ref("CommunityPage"), "A page"),
            [
                _query("shape", {"enum": ["mesh", "star"]}, "only this shape"),
                _query("sort", {"enum": list(COMMUNITY_SORTS)}, "descending; ties by id"),
                _LIMIT,
                _CURSOR,
            ],
            (400, 401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/communities/{community_id}": {
        "get": _get(
            "One community: owner and confidence, declared owners, health, top members",
            _json(ref("Community"), "The community"),
            [_path("community_id", "community id")],
            (401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/communities/{community_id}/label": {
        "put": {
            "summary": "Name a community (operator); the name stays with the id across runs",
            "parameters": [_path("community_id", "community id, e.g. c-0042")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("LabelRequest")}},
            },
            "responses": {
                "200": _json(ref("Community"), "The community, named"),
                **_problems(400, 401, 403, 404, 413, 422),
            },
        }
    },
    "/api/v1/groups/{group_id}": {
        "get": _get(
            "One explicit group: declared and effective owner, top members",
            _json(ref("Group"), "The group"),
            [_path("group_id", "group id")],
            (401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/groups/{group_id}/health": {
        "get": _get(
            "A group's lifecycle: stage, figures over a window, alarms, reasons, daily series",
            _json(ref("GroupHealth"), "The group's health"),
            [
                _path("group_id", "group id"),
                _query("window", {"type": "string", "enum": ["1d", "7d", "30d"]}, "default 7d"),
                _query(
                    "as_of",
                    {"type": "string", "format": "date"},
                    "assess on this day (default: the run's as-of day)",
                ),
            ],
            (400, 401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/alarms": {
        "get": _get(
            "Groups (or communities) with an alarm in the current run, and why",
            _json(ref("Alarms"), "The alarms"),
            [_query("unit", {"type": "string", "enum": ["group", "community"]}, "default group")],
            (400, 401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/runs": {"get": _get("Analysis runs, newest first", _json(ref("Runs"), "Runs"))},
    "/api/v1/runs/diff": {
        "get": _get(
            "What changed between two runs: counts per section, then the top entries of each",
            _json(ref("RunDiff"), "The diff"),
            [
                _query("from", {"type": "string"}, "earlier run id (default: the previous run)"),
                _query("to", {"type": "string"}, "later run id (default: the current run)"),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    "top entries per section (default 20)",
                ),
            ],
            (400, 401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/runs/current": {
        "get": _get("The current run", _json(ref("Run"), "The run"), codes=(401, 403, 404))
    },
    "/api/v1/jobs": {
        "post": {
            "summary": "Start an analysis in the background (operator)",
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": ref("JobRequest")}},
            },
            "responses": {
                "202": {
                    "description": "Started; poll Location",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": ref("Job")}},
                },
                **_problems(400, 401, 403, 409, 413),
            },
        }
    },
    "/api/v1/campaigns/seeds": {
        "post": {
            "summary": "Choose whom to seed a campaign with (operator); stored with the run",
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": ref("SeedRequest")}},
            },
            "responses": {
                "201": {
                    "description": "Chosen now (small graphs); Location is where they stay",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": ref("SeedSet")}},
                },
                "202": {
                    "description": "A job is choosing them; poll Location (the job), then "
                    "GET /api/v1/campaigns/seeds/{job_id}",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": ref("Job")}},
                },
                **_problems(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/api/v1/campaigns/seeds/{seeds_id}": {
        "get": _get(
            "Stored seeds (a seeding job's id names its seeds)",
            _json(ref("SeedSet"), "The seeds"),
            [_path("seeds_id", "seeds id or seeding job id")],
            (401, 403, 404),
        )
    },
    "/api/v1/jobs/{job_id}": {
        "get": _get(
            "A job's status and progress (stage names)",
            _json(ref("Job"), "The job"),
            [_path("job_id", "job id")],
            (401, 403, 404),
        )
    },
    "/api/v1/ingest/{entity}": {
        "post": {
            "summary": "Load one input (operator): CSV or NDJSON, validated as by `graphsvc load`",
            "parameters": [
                {
                    "name": "entity",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": [e.value for e in Entity]},
                },
                _query("on_error", {"enum": ["fail", "skip"]}, "refuse or skip bad rows"),
            ],
            "requestBody": {"required": True, "content": _BODY_FORMATS},
            "responses": {
                "200": _json(ref("LoadReport"), "Loaded"),
                **_problems(400, 401, 403, 413, 415, 422),
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
        }
    },
    "/api/v1/docs": {
        "get": {
            "summary": "This document as an HTML page",
            "security": [],
            "responses": {
                "200": {
                    "description": "HTML",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            },
        }
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "graphsvc",
        "version": "1",
        "description": (
            "KOLs of community commerce. Every response names the analysis run it serves. "
            "Errors are application/problem+json. Authenticate with 'Authorization: Bearer "
            "KEY' (keys: `graphsvc apikey create --role reader|operator|admin`)."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"apiKey": []}],
    "paths": _PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
    },
}
