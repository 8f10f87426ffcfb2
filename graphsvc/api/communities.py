"""Communities (found by Leiden) and explicit groups of the current run: owner and confidence,
declared owners, health, top members."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint

from graphsvc.api.auth import requires
from graphsvc.api.cache import cached
from graphsvc.api.deps import (
    MAX_LIMIT,
    BadRequest,
    arg,
    bounded_int,
    choice,
    current_run,
    cursor_page,
    json_body,
    page,
    store,
)
from graphsvc.errors import NotFoundError, shown
from graphsvc.model import LIFECYCLE_FIELDS, CommunityResult, GroupResult, parse_lineage
from graphsvc.output import plain
from graphsvc.runs.labels import label_community
from graphsvc.service.state import KeyRole
from graphsvc.store.base import COMMUNITY_SORTS, CommunityQuery, UserQuery

__all__ = ["bp"]

bp = Blueprint("communities", __name__)

SHAPES = ("mesh", "star")
TOP_MEMBERS = 10


def community_view(c: CommunityResult, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "community_id": c.community_id,
        "label": labels.get(c.community_id),
        "size": c.size,
        "parent_id": c.parent_id,
        "derived_from": [
            {"community_id": cid, "share": share} for cid, share in parse_lineage(c.derived_from)
        ],
        "owner": {
            "user_id": c.owner_id,
            "confidence": plain(c.owner_margin),
            "runner_up_id": c.runner_up_id,
            "reason": c.owner_reason,
        },
        "lifecycle": lifecycle_view(c),
        "health": {
            "score": plain(c.health_score),
            "shape": c.shape,
            "density": plain(c.density),
            "reciprocity": plain(c.reciprocity),
            "owner_share": plain(c.owner_share),
            "centralization": plain(c.centralization),
        },
    }


def lifecycle_view(c: CommunityResult) -> dict[str, Any] | None:
    """Health over time on the run's as-of day; None when the run did not assess it."""
    if not c.stage:
        return None
    return {name: plain(getattr(c, name)) for name in LIFECYCLE_FIELDS}


def group_view(g: GroupResult) -> dict[str, Any]:
    return {k: plain(v) for k, v in asdict(g).items()}


def top_members(run_id: str, **where: str) -> list[dict[str, Any]]:
    return store().user_page(run_id, UserQuery(limit=TOP_MEMBERS, **where))


@bp.get("/communities")
@requires(KeyRole.READER)
@cached
def list_communities() -> dict[str, Any]:
    """Communities by ``sort`` (size or health, descending), ``shape`` filter, cursor pages."""
    sort = arg("sort", choice(COMMUNITY_SORTS), "size", f" (one of {', '.join(COMMUNITY_SORTS)})")
    limit = arg("limit", bounded_int(1, MAX_LIMIT), 50, f" (an integer 1..{MAX_LIMIT})")
    shape = arg("shape", choice(SHAPES), None, " (mesh or star)")
    run_id, found = cursor_page(
        sort,
        str,
        lambda run, after: store().community_page(
            run, CommunityQuery(shape=shape, sort=sort, after=after, limit=limit + 1)
        ),
    )
    labels = store().community_labels()
    return page(
        run_id, found, limit, sort, lambda c: _keyset(c, sort), lambda c: community_view(c, labels)
    )


def _keyset(c: CommunityResult, sort: str) -> tuple[float, str]:
    return (c.size if sort == "size" else c.health_score or 0.0, c.community_id)


@bp.get("/communities/<community_id>")
@requires(KeyRole.READER)
@cached
def get_community(community_id: str) -> dict[str, Any]:
    """A community: owner and confidence, name, lineage, health, declared owners of the
    groups its owner leads, top members."""
    run_id = current_run().run_id
    c = store().community_result(run_id, community_id)
    if c is None:
        raise NotFoundError(f"community {shown(community_id)} is not in run {run_id}")
    led = store().groups_led_by(run_id, c.owner_id) if c.owner_id else []
    return {
        "run_id": run_id,
        **community_view(c, store().community_labels()),
        "declared_owners": [
            {"group_id": g.group_id, "declared_owner_id": g.declared_owner_id} for g in led
        ],
        "top_members": top_members(run_id, community_id=community_id),
    }


@bp.put("/communities/<community_id>/label")
@requires(KeyRole.OPERATOR)
def put_community_label(community_id: str) -> dict[str, Any]:
    """Name a community, body {"label": "母婴团购群A"}; {"label": null} removes the name."""
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"label"}:
        raise BadRequest('the body must be a JSON object like {"label": "name"}')
    label = body["label"]
    if label is not None and not isinstance(label, str):
        raise BadRequest("label must be a string or null")
    label_community(store(), community_id, label)
    return get_community(community_id)


@bp.get("/groups/<group_id>")
@requires(KeyRole.READER)
@cached
def get_group(group_id: str) -> dict[str, Any]:
    run_id = current_run().run_id
    g = store().group_result(run_id, group_id)
    if g is None:
        raise NotFoundError(f"group {shown(group_id)} is not in run {run_id}")
    return {
        "run_id": run_id,
        **group_view(g),
        "top_members": top_members(run_id, group_id=group_id),
    }
