"""The OpenAPI document's component schemas: the shapes of the API's bodies, as data."""

from __future__ import annotations

import math
import typing
from typing import Any

from graphsvc.jobs.analyze import JOB_PARAMS
from graphsvc.jobs.seeds import MAX_EPSILON, METHODS, MIN_EPSILON, MODELS, PROBABILITIES
from graphsvc.model import AnalysisParams, Tier, param_bound

__all__ = ["LEVEL", "SCHEMAS", "ref"]


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


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


LEVEL = {"type": "integer", "minimum": 0, "maximum": 10**6}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_IDS = {"type": "array", "maxItems": 100_000, "items": {"type": "string", "minLength": 1}}
_STRING_OR_NULL = {"type": ["string", "null"]}
_SHARE_OR_NULL = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
# shills and audience quality (graphsvc.analysis.shills); null in runs from before them
_QUALITY = {
    "shill_score": {**_SHARE_OR_NULL, "description": "0-1; suspected at the run's threshold"},
    "shill_signals": {**_STRING_OR_NULL, "description": "the signals behind the score"},
    "fake_invites": {"type": ["integer", "null"], "description": "direct invites that look fake"},
    "genuine_referrals": {"type": ["integer", "null"], "description": "direct, without fakes"},
    "audience_quality": {**_SHARE_OR_NULL, "description": "0-1; null: nobody engages"},
    "real_audience_share": {**_SHARE_OR_NULL, "description": "engagers not suspected shills"},
    "suspicious_audience_share": {
        **_SHARE_OR_NULL,
        "description": "share of actions received from suspected shills",
    },
    "engagement_rate_percentile": {
        **_SHARE_OR_NULL,
        "description": "engagement rate against users with an audience of similar size",
    },
}
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
    "stage_changes": "DiffGroup",
    "risers": "DiffUser",
    "fallers": "DiffUser",
}


def _diff_section(entry: str, name: str) -> dict[str, Any]:
    section = {
        "type": "object",
        "required": ["count", "top"],
        "properties": {
            "count": {"type": "integer", "description": "entries in all"},
            "top": {"type": "array", "items": ref(entry)},
        },
    }
    if name == "tier_moves":
        section["properties"]["by_move"] = {
            "type": "object",
            "description": 'users per move, e.g. {"kol->member": 3}',
            "additionalProperties": {"type": "integer"},
        }
    return section


SCHEMAS: dict[str, Any] = {
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
            **_QUALITY,
        },
    },
    "UserPage": {
        "type": "object",
        "required": ["run_id", "data", "next_cursor"],
        "properties": {
            "run_id": {"type": "string"},
            "data": {"type": "array", "items": ref("UserRow")},
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
            **_QUALITY,
            "notes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "before trusting this user: shill suspicion, audience, fake invites",
            },
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
            "lifecycle": {
                "type": ["object", "null"],
                "description": "health over time on the run's as-of day (stage, stage_reason, "
                "alarms, alarm_reasons, members, joins_7d, quits_7d, active_share_7d, "
                "silent_share_7d, interaction_rate_7d, leader_share_7d, referrals_7d, "
                "leader_quiet_days, successors); null when the run did not assess it",
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
            "top_members": {"type": "array", "items": ref("UserRow")},
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
    "DiffGroup": {
        "type": "object",
        "description": "a group whose lifecycle stage changed, its members now",
        "required": ["group_id", "size", "from", "to", "reason"],
        "properties": {
            "group_id": {"type": "string"},
            "size": {"type": "integer"},
            "from": {"type": "string", "description": "stage before"},
            "to": {"type": "string", "description": "stage after"},
            "reason": {"type": "string", "description": "why, in figures"},
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
            "data": {"type": "array", "items": ref("Community")},
            "next_cursor": _STRING_OR_NULL,
        },
    },
    "GroupHealth": {
        "type": "object",
        "required": ["run_id", "group_id", "stage", "window", "as_of", "alarms", "series"],
        "properties": {
            "run_id": {"type": "string"},
            "group_id": {"type": "string"},
            "window": {"type": "string"},
            "as_of": {"type": "string", "format": "date"},
            "stage": {
                "type": "string",
                "enum": ["emerging", "growing", "interacting", "declining"],
            },
            "members": {"type": "integer"},
            "alarms": {"type": "string", "description": "comma-separated alarm names"},
            "reasons": {"type": "string"},
            "leader_id": _STRING_OR_NULL,
            "leader_quiet_days": {"type": "integer"},
            "successors": {"type": "string", "description": "comma-separated user ids"},
            "series": {
                "type": "object",
                "description": "start (YYYY-MM-DD), then one integer per day for each of "
                "members, joins, quits, active, active_7d, active_30d, interactions, "
                "owner_interactions, referrals, leader_active",
            },
        },
        "additionalProperties": {"type": ["number", "string", "null"]},
    },
    "Alarms": {
        "type": "object",
        "required": ["run_id", "unit", "items"],
        "properties": {
            "run_id": {"type": "string"},
            "unit": {"type": "string", "enum": ["group", "community"]},
            "items": {"type": "array", "items": {"type": "object"}},
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
            "top_members": {"type": "array", "items": ref("UserRow")},
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
            "data": {"type": "array", "items": ref("Run")},
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
