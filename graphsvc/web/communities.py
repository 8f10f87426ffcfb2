"""Community pages: the list (the API's /communities), and one community: its picture (the
most influential members and their ties), owner and declared owners, health over runs,
sub-communities and lineage, top members."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from flask import current_app, render_template, request, url_for

from graphsvc.api.communities import TOP_MEMBERS, community_view
from graphsvc.api.deps import current_run, store
from graphsvc.store.base import COMMUNITY_SORTS, UserQuery
from graphsvc.web.blueprint import bp
from graphsvc.web.calls import api
from graphsvc.web.memo import memo
from graphsvc.web.picture import community_picture, line_chart

__all__ = ["MAX_NODES", "sub_communities"]

MAX_NODES = 2000  # members drawn; a bigger community shows its most influential
HEALTH_SERIES = ("score", "density", "reciprocity", "owner_share", "centralization")


@bp.get("/communities")
def communities() -> str:
    query = {k: request.args.get(k) for k in ("sort", "shape", "cursor")}
    body = api("/communities", query)
    return render_template(
        "communities.html", body=body, sorts=COMMUNITY_SORTS, sort=query["sort"] or "size"
    )


def sub_communities(run_id: str) -> dict[str, list[dict[str, Any]]]:
    """Sub-communities of a run by parent id (kept per run: runs never change)."""

    def build() -> dict[str, list[dict[str, Any]]]:
        children: dict[str, list[dict[str, Any]]] = {}
        for c in store().community_results(run_id):
            if c.parent_id:
                children.setdefault(c.parent_id, []).append(
                    {"community_id": c.community_id, "size": c.size, "owner_id": c.owner_id}
                )
        return children

    return memo().get(("sub-communities", run_id), build)


def _members(
    run_id: str, community_id: str, size: int, children: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The community's ``MAX_NODES`` most influential members; of a split community, each
    sub-community's most influential in proportion to its size (a sample by sub-community,
    read in about ``MAX_NODES`` rows however big the community)."""
    quota = {community_id: MAX_NODES}
    quota |= {c["community_id"]: math.ceil(MAX_NODES * c["size"] / size) for c in children}
    found: dict[str, dict[str, Any]] = {}
    for part, limit in quota.items():
        query = UserQuery(community_id=part, limit=limit)
        found.update((row["user_id"], row) for row in store().user_page(run_id, query))
    return sorted(found.values(), key=lambda r: r["influence_rank"])[:MAX_NODES]


def _picture(run_id: str, community: dict[str, Any], children: list[dict[str, Any]]) -> Any:
    """The community's SVG, how many members it shows and the most influential ones, kept per
    store revision (ties come from the live graph)."""
    revision = current_app.extensions["graphsvc.responses"].revision()

    def draw() -> tuple[Any, int, list[dict[str, Any]]]:
        members = _members(run_id, community["community_id"], community["size"], children)
        edges = store().edges_among([m["user_id"] for m in members])
        owner_id = community["owner"]["user_id"]
        person = url_for("web.user", user_id="-")[:-1]  # url_for per member costs 0.3 ms
        svg = community_picture(members, edges, owner_id, lambda u: person + quote(u, safe=""))
        return svg, len(members), members[:TOP_MEMBERS]

    return memo().get(("picture", revision, run_id, community["community_id"]), draw)


def health_series(community_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The community's health in each kept run, oldest first, and a chart per figure."""
    db, rows = store(), []
    for run in reversed(db.runs()):
        c = db.community_result(run.run_id, community_id)
        health = community_view(c, {})["health"] if c else {}
        rows.append({"run_id": run.run_id, "size": c.size if c else None, **health})
    names = [n for n in ("size", *HEALTH_SERIES) if any(r.get(n) is not None for r in rows)]
    names += [
        n
        for n in rows[-1]
        if n not in names and n not in ("run_id", "shape") and isinstance(rows[-1][n], float)
    ]
    charts = {n: line_chart([(r["run_id"], r.get(n)) for r in rows]) for n in names}
    return rows, charts


@bp.get("/communities/<community_id>")
def community(community_id: str) -> str:
    detail = api(f"/communities/{community_id}")
    run_id = current_run().run_id
    children = sub_communities(run_id).get(community_id, [])
    svg, shown, top = _picture(run_id, detail, children)
    series, charts = health_series(community_id)
    return render_template(
        "community.html",
        c=detail,
        children=children,
        svg=svg,
        shown=shown,
        top_members=detail["top_members"] or top,  # a parent's members are its children's
        series=series,
        charts=charts,
    )
