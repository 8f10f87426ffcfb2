"""The OpenAPI 3.1 document of the API, as data (served at /api/v1/openapi.json; the tests
validate it and fuzz the live server against it)."""

from __future__ import annotations

import math
import typing
from typing import Any

from graphsvc.jobs.analyze import JOB_PARAMS
from graphsvc.jobs.seeds import MAX_EPSILON, METHODS, MIN_EPSILON, MODELS, PROBABILITIES
from graphsvc.model import AnalysisParams, Entity, Role, Tier, param_bound
from graphsvc.store.base import COMMUNITY_SORTS, USER_SORT_ALIASES, USER_SORTS

__all__ = ["SPEC"]

MAX_LIMIT = 1000  # as graphsvc.api.deps.MAX_LIMIT (no import: the spec is plain data)


def _param_schema(name: str) -> dict[str, Any]:
    """The JSON schema of an analysis parameter, from its type and model.param_bound."""
    kind = typing.get_type_hints(AnalysisParams)[name]
    if kind is bool:
        return {"type": "boolean"}
    bound = param_bound(name)
    schema: dict[str, Any] = {"type": "integer" if kind is int else "number"}
    schema["exclusiveMinimum" if bound.low_open else "minimum"] = bound.low
    if bound.high != math.inf:
        schema["exclusiveMaximum" if bound.high_open else "maximum"] = bound.high
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


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
        415: "Content-Type is not text/csv or application/x-ndjson",
        422: "Invalid rows; each is named",
        503: "The store is unreachable",
    }
    return {
        str(code): {
            "description": reasons[code],
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
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
_LEVEL = {"type": "integer", "minimum": 0, "maximum": 10**6}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_IDS = {"type": "array", "maxItems": 100_000, "items": {"type": "string", "minLength": 1}}
_STRING_OR_NULL = {"type": ["string", "null"]}
_SCORE = {
    "type": "object",
    "properties": {
        "value": _NUMBER_OR_NULL,
        "rank": {"type": ["integer", "null"]},
        "percentile": _NUMBER_OR_NULL,
    },
}

# Sections of a run diff (graphsvc.runs.diff.SECTIONS) and the schema of their entries, by
# size of change: KOLs by rank, tier moves by levels jumped, risers and fallers by ranks
# moved, communities by size.
_DIFF_SECTIONS = {
    "kols_new": "DiffUser",
    "kols_lost": "DiffUser",
    "tier_moves": "DiffUser",
    "owner_changes": "DiffCommunity",
    "communities_born": "DiffCommunity",
    "communities_dissolved": "DiffCommunity",
    "communities_split": "DiffCommunity",
    "communities_merged": "DiffCommunity",
    "risers": "DiffUser",
    "fallers": "DiffUser",
}


def _diff_section(entry: str, name: str) -> dict[str, Any]:
    section = {
        "type": "object",
        "required": ["count", "top"],
        "properties": {
            "count": {"type": "integer", "description": "entries in all"},
            "top": {"type": "array", "items": _ref(entry)},
        },
    }
    if name == "tier_moves":
        section["properties"]["by_move"] = {
            "type": "object",
            "description": 'users per move, e.g. {"kol->member": 3}',
            "additionalProperties": {"type": "integer"},
        }
    return section


_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "string"}},
        },
    },
    "UserRow": {
        "type": "object",
        "required": ["user_id", "influence_rank"],
        "properties": {
            "user_id": {"type": "string"},
            "name": _STRING_OR_NULL,
            "community_id": _STRING_OR_NULL,
            "tier": _STRING_OR_NULL,
            "role": _STRING_OR_NULL,
            "influence": _NUMBER_OR_NULL,
            "influence_rank": {"type": "integer"},
            "in_strength": _NUMBER_OR_NULL,
            "betweenness": _NUMBER_OR_NULL,
            "coreness": {"type": ["integer", "null"]},
            "downline": {"type": ["integer", "null"]},
            "referral_level": {"type": ["integer", "null"], "description": "-1: in no tree"},
        },
    },
    "UserPage": {
        "type": "object",
        "required": ["run_id", "data", "next_cursor"],
        "properties": {
            "run_id": {"type": "string"},
            "data": {"type": "array", "items": _ref("UserRow")},
            "next_cursor": _STRING_OR_NULL,
        },
    },
    "User": {
        "type": "object",
        "required": ["run_id", "user_id", "scores", "groups"],
        "properties": {
            "run_id": {"type": "string"},
            "user_id": {"type": "string"},
            "name": _STRING_OR_NULL,
            "scores": {"type": "object", "additionalProperties": _SCORE},
            "community_id": _STRING_OR_NULL,
            "tier": _STRING_OR_NULL,
            "tier_reason": {
                "type": ["string", "null"],
                "description": "why hysteresis kept the tier or held a move back, else empty",
            },
            "standing": {
                "type": ["number", "null"],
                "description": "attention received, in average members' worth (core rule)",
            },
            "role": _STRING_OR_NULL,
            "referral_level": {"type": ["integer", "null"]},
            "direct_referrals": {"type": ["integer", "null"]},
            "downline": {"type": ["integer", "null"]},
            "inviter_id": _STRING_OR_NULL,
            "why": {
                "type": "array",
                "description": "the strongest signals behind the ranking, rarest first",
                "items": {
                    "type": "object",
                    "required": ["signal", "value", "top_pct", "text"],
                    "properties": {
                        "signal": {
                            "enum": ["engagers", "attention", "downline", "reach", "groups"]
                        },
                        "value": {"type": "number"},
                        "top_pct": {
                            "type": "number",
                            "description": "share of users at least as high",
                        },
                        "text": {"type": "string"},
                    },
                },
            },
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "group_id": {"type": "string"},
                        "name": _STRING_OR_NULL,
                        "role": {"type": "string"},
                    },
                },
            },
        },
    },
    "Referrals": {
        "type": "object",
        "required": ["run_id", "user_id", "direction", "depth", "data", "truncated"],
        "properties": {
            "run_id": {"type": "string"},
            "user_id": {"type": "string"},
            "direction": {"enum": ["up", "down"]},
            "depth": {"type": "integer"},
            "truncated": {"type": "boolean"},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["user_id", "depth"],
                    "properties": {
                        "user_id": {"type": "string"},
                        "inviter_id": _STRING_OR_NULL,
                        "depth": {"type": "integer"},
                    },
                },
            },
        },
    },
    "Community": {
        "type": "object",
        "required": ["community_id", "size", "owner", "health"],
        "properties": {
            "community_id": {"type": "string"},
            "label": _STRING_OR_NULL,
            "size": {"type": "integer"},
            "parent_id": _STRING_OR_NULL,
            "derived_from": {
                "type": "array",
                "description": "previous-run communities it took members from",
                "items": {
                    "type": "object",
                    "required": ["community_id", "share"],
                    "properties": {
                        "community_id": {"type": "string"},
                        "share": {"type": "number", "description": "of this one's members"},
                    },
                },
            },
            "owner": {
                "type": "object",
                "properties": {
                    "user_id": _STRING_OR_NULL,
                    "confidence": _NUMBER_OR_NULL,
                    "runner_up_id": _STRING_OR_NULL,
                    "reason": {
                        "type": "string",
                        "description": "why the owner changed or stayed (hysteresis)",
                    },
                },
            },
            "health": {
                "type": "object",
                "properties": {
                    "score": _NUMBER_OR_NULL,
                    "shape": _STRING_OR_NULL,
                    "density": _NUMBER_OR_NULL,
                    "reciprocity": _NUMBER_OR_NULL,
                    "owner_share": _NUMBER_OR_NULL,
                    "centralization": _NUMBER_OR_NULL,
                },
            },
            "declared_owners": {"type": "array", "items": {"type": "object"}},
            "top_members": {"type": "array", "items": _ref("UserRow")},
        },
    },
    "LabelRequest": {
        "type": "object",
        "required": ["label"],
        "additionalProperties": False,
        "properties": {"label": {"type": ["string", "null"], "maxLength": 200}},
    },
    "DiffUser": {
        "type": "object",
        "description": "a user's tier, influence rank and influence in both runs (null: absent)",
        "required": ["user_id", "tier_before", "tier_after", "rank_before", "rank_after"],
        "properties": {
            "user_id": {"type": "string"},
            "tier_before": _STRING_OR_NULL,
            "tier_after": _STRING_OR_NULL,
            "rank_before": {"type": ["integer", "null"]},
            "rank_after": {"type": ["integer", "null"]},
            "influence_before": _NUMBER_OR_NULL,
            "influence_after": _NUMBER_OR_NULL,
        },
    },
    "DiffCommunity": {
        "type": "object",
        "description": "a top-level community (owner changes: any community) and its size",
        "required": ["community_id", "size"],
        "properties": {
            "community_id": {"type": "string"},
            "size": {"type": "integer"},
            "from": {
                "description": "owner before (owner changes), or the communities merged",
                "type": ["string", "null", "array"],
                "items": {"type": "string"},
            },
            "to": {"description": "owner after (owner changes)", "type": ["string", "null"]},
            "reason": {
                "description": "why the owner changed (owner changes), e.g. 'owner changed: "
                "u12 overtook u7 by 31%'",
                "type": "string",
            },
            "into": {"description": "the communities it split into", "type": "array"},
        },
    },
    "RunDiff": {
        "type": "object",
        "description": (
            "summary: the entry count of every section; then each section: its count and its "
            "top `limit` entries by size of change"
        ),
        "required": ["from_run", "to_run", "limit", "users", "summary", *_DIFF_SECTIONS],
        "additionalProperties": False,
        "properties": {
            "from_run": {"type": "string"},
            "to_run": {"type": "string"},
            "limit": {"type": "integer"},
            "users": {
                "type": "object",
                "required": ["before", "after", "new", "gone"],
                "properties": {k: {"type": "integer"} for k in ("before", "after", "new", "gone")},
            },
            "summary": {
                "type": "object",
                "required": list(_DIFF_SECTIONS),
                "additionalProperties": False,
                "properties": {k: {"type": "integer"} for k in _DIFF_SECTIONS},
            },
            **{k: _diff_section(entry, k) for k, entry in _DIFF_SECTIONS.items()},
        },
    },
    "CommunityPage": {
        "type": "object",
        "required": ["run_id", "data", "next_cursor"],
        "properties": {
            "run_id": {"type": "string"},
            "data": {"type": "array", "items": _ref("Community")},
            "next_cursor": _STRING_OR_NULL,
        },
    },
    "Group": {
        "type": "object",
        "required": ["run_id", "group_id", "size"],
        "properties": {
            "run_id": {"type": "string"},
            "group_id": {"type": "string"},
            "size": {"type": "integer"},
            "declared_owner_id": _STRING_OR_NULL,
            "effective_owner_id": _STRING_OR_NULL,
            "owner_margin": _NUMBER_OR_NULL,
            "owner_mismatch": {"type": "boolean"},
            "owner_reason": {"type": "string"},
            "top_members": {"type": "array", "items": _ref("UserRow")},
        },
    },
    "Run": {
        "type": "object",
        "required": ["run_id", "started_at", "current"],
        "properties": {
            "run_id": {"type": "string"},
            "started_at": {"type": "number"},
            "finished_at": _NUMBER_OR_NULL,
            "params": {"type": "object"},
            "stats": {"type": "object"},
            "fingerprint": {"type": "string"},
            "current": {"type": "boolean"},
        },
    },
    "Runs": {
        "type": "object",
        "required": ["current_run_id", "data"],
        "properties": {
            "current_run_id": _STRING_OR_NULL,
            "data": {"type": "array", "items": _ref("Run")},
        },
    },
    "JobRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "kind": {"enum": ["analyze"]},
            "force": {"type": "boolean"},
            "cold": {
                "type": "boolean",
                "description": "detect communities from scratch, not from the current run's",
            },
            "refresh": {
                "type": "boolean",
                "description": "the quick update: carry betweenness over from the current run "
                "and skip the check against a cold run (not with cold)",
            },
            "params": {
                "type": "object",
                "additionalProperties": False,
                "properties": {name: _param_schema(name) for name in JOB_PARAMS},
            },
        },
    },
    "Job": {
        "type": "object",
        "required": ["job_id", "kind", "status", "progress"],
        "properties": {
            "job_id": {"type": "string"},
            "kind": {"type": "string"},
            "status": {"enum": ["queued", "running", "succeeded", "failed"]},
            "params": {"type": "object"},
            "created_at": {"type": "number"},
            "started_at": _NUMBER_OR_NULL,
            "finished_at": _NUMBER_OR_NULL,
            "run_id": _STRING_OR_NULL,
            "up_to_date": {"type": ["boolean", "null"]},
            "error": _STRING_OR_NULL,
            "progress": {
                "type": "object",
                "properties": {
                    "stage": _STRING_OR_NULL,
                    "stages": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "LoadReport": {"type": "object", "required": ["inputs"]},
    "SeedRequest": {
        "type": "object",
        "additionalProperties": False,
        "description": "Influence flows against attention: when a pays attention to b, b "
        "influences a. Defaults: k 50, IMM, independent cascade with weighted-cascade "
        "probabilities (1 / the number of people influencing the target).",
        "properties": {
            "k": {"type": "integer", "minimum": 1, "maximum": 10_000},
            "method": {"enum": list(METHODS)},
            "model": {"enum": list(MODELS)},
            "probabilities": {"enum": list(PROBABILITIES)},
            "p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "epsilon": {"type": "number", "minimum": MIN_EPSILON, "maximum": MAX_EPSILON},
            "seed": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
            "per_community": {"type": ["integer", "null"], "minimum": 1},
            "exclude": _IDS,
            "include": {**_IDS, "description": "chosen first, in this order"},
            "people": {**_IDS, "description": "method personalized: whom to serve"},
            "budget": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1e12},
            "prices": {
                "type": "object",
                "description": "price per person by tier (default 1)",
                "additionalProperties": False,
                "properties": {
                    t.value: {"type": "number", "minimum": 0, "maximum": 1e12} for t in Tier
                },
            },
            "background": {"type": "boolean", "description": "run as a job whatever the size"},
        },
    },
    "SeedSet": {
        "type": "object",
        "required": ["seeds_id", "run_id", "created_at", "params", "stats", "data"],
        "properties": {
            "seeds_id": {"type": "string"},
            "run_id": {"type": "string"},
            "created_at": {"type": "number"},
            "params": {"type": "object"},
            "stats": {"type": "object"},
            "data": {
                "type": "array",
                "description": "one row per chosen person, in choice order",
                "items": {
                    "type": "object",
                    "required": ["rank", "user_id", "marginal_spread", "expected_spread"],
                    "properties": {
                        "rank": {"type": "integer"},
                        "user_id": {"type": "string"},
                        "marginal_spread": {"type": "number"},
                        "expected_spread": {"type": "number"},
                        "spread_low": {"type": "number", "description": "95% interval"},
                        "spread_high": {"type": "number"},
                        "score": {"type": "number"},
                        "community_id": {"type": "string"},
                        "tier": {"type": "string"},
                    },
                },
            },
        },
    },
}

_BODY_FORMATS = {
    "text/csv": {"schema": {"type": "string"}},
    "application/x-ndjson": {"schema": {"type": "string"}},
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
            _json(_ref("UserPage"), "A page; next_cursor stays within the page's run"),
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
                _query("min_level", _LEVEL, "referral level at least this (0: a tree's root)"),
                _query("max_level", _LEVEL, "referral level at most this"),
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
    "/api/v1/users/{user_id}": {
        "get": _get(
            "One user: scores with ranks and percentiles, community, groups, referral position",
            _json(_ref("User"), "The user in the current run"),
            [_path("user_id", "user id")],
            (401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/users/{user_id}/referrals": {
        "get": _get(
            "Inviters (up) or invitees (down) of a user within depth levels",
            _json(_ref("Referrals"), "Users reached, by depth then id"),
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
            _json(_ref("CommunityPage"), "A page"),
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
            _json(_ref("Community"), "The community"),
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
                "content": {"application/json": {"schema": _ref("LabelRequest")}},
            },
            "responses": {
                "200": _json(_ref("Community"), "The community, named"),
                **_problems(400, 401, 403, 404, 413, 422),
            },
        }
    },
    "/api/v1/groups/{group_id}": {
        "get": _get(
            "One explicit group: declared and effective owner, top members",
            _json(_ref("Group"), "The group"),
            [_path("group_id", "group id")],
            (401, 403, 404),
            cached=True,
        )
    },
    "/api/v1/runs": {"get": _get("Analysis runs, newest first", _json(_ref("Runs"), "Runs"))},
    "/api/v1/runs/diff": {
        "get": _get(
            "What changed between two runs: counts per section, then the top entries of each",
            _json(_ref("RunDiff"), "The diff"),
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
        "get": _get("The current run", _json(_ref("Run"), "The run"), codes=(401, 403, 404))
    },
    "/api/v1/jobs": {
        "post": {
            "summary": "Start an analysis in the background (operator)",
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("JobRequest")}},
            },
            "responses": {
                "202": {
                    "description": "Started; poll Location",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": _ref("Job")}},
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
                "content": {"application/json": {"schema": _ref("SeedRequest")}},
            },
            "responses": {
                "201": {
                    "description": "Chosen now (small graphs); Location is where they stay",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": _ref("SeedSet")}},
                },
                "202": {
                    "description": "A job is choosing them; poll Location (the job), then "
                    "GET /api/v1/campaigns/seeds/{job_id}",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": _ref("Job")}},
                },
                **_problems(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/api/v1/campaigns/seeds/{seeds_id}": {
        "get": _get(
            "Stored seeds (a seeding job's id names its seeds)",
            _json(_ref("SeedSet"), "The seeds"),
            [_path("seeds_id", "seeds id or seeding job id")],
            (401, 403, 404),
        )
    },
    "/api/v1/jobs/{job_id}": {
        "get": _get(
            "A job's status and progress (stage names)",
            _json(_ref("Job"), "The job"),
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
                "200": _json(_ref("LoadReport"), "Loaded"),
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
        "schemas": _SCHEMAS,
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
    },
}
