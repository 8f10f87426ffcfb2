"""Per-block work on Spark: sharded Leiden communities and in-block leaders, each block (a
shard, a community, a group) solved by the analysis functions themselves inside
``applyInPandas``."""

from __future__ import annotations

__all__ = [
    "HEALTH_COLUMNS",
    "TIER_INPUTS",
    "block_leader_rows",
    "contracted",
    "first_pieces",
    "health_rows",
    "label_propagation",
    "role_rows",
    "shard_modules",
    "tier_rows",
]

from typing import Any

import numpy as np

from graphsvc.analysis.communities import leiden_membership
from graphsvc.analysis.graphs import EdgeList, symmetrized
from graphsvc.analysis.health import community_health
from graphsvc.analysis.leaders import block_leaders
from graphsvc.analysis.roles import guimera_amaral_roles
from graphsvc.analysis.tiers import assign_tiers
from graphsvc.engines.bridge import connected_components
from graphsvc.engines.session import functions, window
from graphsvc.model import AnalysisParams


def label_propagation(undirected: Any, vertices: Any, iterations: int) -> Any:
    """(id, label) by weighted, synchronous label propagation (Raghavan, Albert & Kumara,
    Phys. Rev. E 76:036106, 2007) for ``iterations`` rounds over ``vertices`` (id): each
    vertex takes the label of most summed edge weight among its neighbours (ties: the
    smallest), starting from its own id. Used only to cut the graph into shards."""
    f = functions(undirected)
    Window = window(undirected)
    both = undirected.unionByName(
        undirected.select(f.col("dst").alias("src"), f.col("src").alias("dst"), "w")
    ).join(vertices.select(f.col("id").alias("dst")), "dst")
    labels = vertices.select("id", f.col("id").alias("label")).localCheckpoint()
    best = Window.partitionBy("dst").orderBy(f.desc("s"), f.asc("label"))
    for _ in range(iterations):
        votes = (
            both.join(labels.select(f.col("id").alias("src"), "label"), "src")
            .groupBy("dst", "label")
            .agg(f.sum("w").alias("s"))
        )
        labels = (
            votes.withColumn("r", f.row_number().over(best))
            .where("r = 1")
            .select(f.col("dst").alias("id"), "label")
            .localCheckpoint()
        )
    return labels


def first_pieces(undirected: Any, shard_vertices: int, lpa_iterations: int) -> tuple[Any, dict]:
    """(id, piece, key) of every vertex with an edge: ``piece``, its label after
    ``lpa_iterations`` rounds of label propagation (small, nearly pure pieces of
    communities, never across a component); ``key``, its connected component (GraphX or
    GraphFrames) when that is no larger than ``shard_vertices`` (a shard can hold it whole),
    else -1. Returns it and what was found (stats)."""
    f = functions(undirected)
    components = connected_components(undirected.select("src", "dst")).localCheckpoint()
    sizes = components.groupBy("component").agg(f.count("*").alias("size")).localCheckpoint()
    labels = label_propagation(undirected, components.select("id"), lpa_iterations)
    small = f.when(f.col("size") <= shard_vertices, f.col("component")).otherwise(-1)
    base = (
        components.join(sizes, "component")
        .join(labels, "id")
        .select("id", f.col("label").alias("piece"), small.alias("key"))
        .localCheckpoint()
    )
    n_vertices = base.count()
    stats = {
        "spark_components": sizes.count(),
        "spark_largest_component": sizes.agg(f.max("size")).first()[0] or 0,
        "spark_shards": max(1, -(-n_vertices // shard_vertices)),
    }
    return base, stats


def _local_graph(ids: np.ndarray, src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> EdgeList:
    """The edges among ``ids`` (sorted) renumbered 0..len(ids)-1."""
    return EdgeList.build(
        len(ids), np.searchsorted(ids, src), np.searchsorted(ids, dst), w, directed=False
    )


def shard_modules(
    undirected: Any, vertex_shard: Any, *, resolution: float, seed: int, iterations: int
) -> Any:
    """(id, piece): Leiden modularity inside each shard on its inner edges, run by
    ``analysis.communities.leiden_membership`` in ``applyInPandas``; ``piece`` is
    shard × 2³² + the shard's own module. ``vertex_shard``: (id, shard, initial), the
    shard's start (-1 for every vertex: each alone)."""
    f = functions(undirected)
    a = vertex_shard.select(f.col("id").alias("src"), f.col("shard").alias("shard_a"))
    b = vertex_shard.select(f.col("id").alias("dst"), f.col("shard").alias("shard_b"))
    inner = (
        undirected.join(a, "src")
        .join(b, "dst")
        .where("shard_a = shard_b")
        .select("src", "dst", "w", f.col("shard_a").alias("shard"))
    )

    def solve(vertices: Any, edges: Any) -> Any:
        import igraph as ig
        import pandas as pd

        ids = np.sort(vertices["id"].to_numpy())
        if len(ids) == 0:
            return pd.DataFrame({"id": ids, "piece": ids})
        vertices = vertices.sort_values("id")
        shard = int(vertices["shard"].iloc[0])
        start = vertices["initial"].to_numpy()
        local = _local_graph(ids, edges["src"], edges["dst"], edges["w"])
        graph = local.to_igraph() if local.m else ig.Graph(n=len(ids))
        module, _ = leiden_membership(
            graph,
            resolution=resolution,
            seed=seed,
            iterations=iterations,
            initial=None if (start < 0).all() else np.unique(start, return_inverse=True)[1],
        )
        return pd.DataFrame({"id": ids, "piece": (shard << 32) + module})

    return (
        vertex_shard.groupBy("shard")
        .cogroup(inner.groupBy("shard"))
        .applyInPandas(solve, "id long, piece long")
    )


def contracted(undirected: Any, pieces: Any) -> tuple[np.ndarray, EdgeList, np.ndarray]:
    """The graph whose nodes are the pieces: (piece keys, its edges between distinct pieces
    summed, each node's strength — the summed strength of its users, inner edges counted at
    both ends). Summed by Spark; what comes back is one row per pair of pieces."""
    f = functions(undirected)
    a = pieces.select(f.col("id").alias("src"), f.col("piece").alias("a"))
    b = pieces.select(f.col("id").alias("dst"), f.col("piece").alias("b"))
    pairs = undirected.join(a, "src").join(b, "dst").groupBy("a", "b").agg(f.sum("w").alias("w"))
    table = pairs.toPandas()
    ends = np.concatenate([table["a"].to_numpy(), table["b"].to_numpy()])
    keys = np.unique(ends)
    node_a = np.searchsorted(keys, table["a"].to_numpy())
    node_b = np.searchsorted(keys, table["b"].to_numpy())
    w = table["w"].to_numpy()
    strength = np.bincount(node_a, w, len(keys)) + np.bincount(node_b, w, len(keys))
    return keys, EdgeList.build(len(keys), node_a, node_b, w, directed=False), strength


def _inner_edges(edges: Any, members: Any) -> Any:
    """(src, dst, w, block): the edges with both ends in one block of ``members`` (block,
    user); blocks may overlap (a user in several groups)."""
    f = functions(edges)
    of_src = members.select(f.col("user").alias("src"), f.col("block").alias("block_a"))
    of_dst = members.select(f.col("user").alias("dst"), f.col("block").alias("block_b"))
    return (
        edges.join(of_src, "src")
        .join(of_dst, "dst")
        .where("block_a = block_b")
        .select("src", "dst", "w", f.col("block_a").alias("block"))
    )


def block_leader_rows(attention: Any, members: Any, options: dict[str, Any]) -> Any:
    """Per membership (block, user): score, in_weight, and the block's leader, runner_up and
    margin — ``analysis.leaders.block_leaders`` run on each block's induced subgraph inside
    ``applyInPandas``. ``members``: (block, user, eligible, start)."""
    inner = _inner_edges(attention, members)

    def solve(block_members: Any, edges: Any) -> Any:
        import pandas as pd

        block_members = block_members.sort_values("user")
        ids = block_members["user"].to_numpy()
        graph = EdgeList.build(
            len(ids),
            np.searchsorted(ids, edges["src"].to_numpy()),
            np.searchsorted(ids, edges["dst"].to_numpy()),
            edges["w"].to_numpy(),
        )
        start = block_members["start"].to_numpy()
        lead = block_leaders(
            graph,
            np.arange(len(ids)),
            np.zeros(len(ids), dtype=np.int64),
            1,
            eligible=block_members["eligible"].to_numpy(),
            start=None if np.isnan(start).all() else start,
            **options,
        )
        pick = np.append(ids, -1)  # -1 reads the appended -1
        return pd.DataFrame(
            {
                "block": block_members["block"].to_numpy()[: len(lead.member_user)],
                "user": ids[lead.member_user],
                "score": lead.member_score,
                "in_weight": lead.member_in_weight,
                "leader": pick[lead.leader[0]],
                "runner_up": pick[lead.runner_up[0]],
                "margin": lead.margin[0],
            }
        )

    schema = (
        "block long, user long, score double, in_weight double, leader long, runner_up long, "
        "margin double"
    )
    return members.groupBy("block").cogroup(inner.groupBy("block")).applyInPandas(solve, schema)


def role_rows(undirected: Any, modules: Any, params: AnalysisParams) -> Any:
    """Per vertex with an edge: (id, z, p, role) — ``analysis.roles.guimera_amaral_roles``
    inside ``applyInPandas``, one module at a time: each group holds every edge touching the
    module's members once, with the module of both ends (a member's strength toward every
    module is then complete). ``modules``: (id, module)."""
    f = functions(undirected)
    of_src = modules.select(f.col("id").alias("src"), f.col("module").alias("ms"))
    of_dst = modules.select(f.col("id").alias("dst"), f.col("module").alias("md"))
    ends = undirected.join(of_src, "src").join(of_dst, "dst")
    rows = ends.withColumn("module", f.col("ms")).unionByName(
        ends.where("ms != md").withColumn("module", f.col("md"))
    )

    def solve(edges: Any) -> Any:
        import pandas as pd

        module = int(edges["module"].iloc[0])
        ends = np.concatenate([edges["src"].to_numpy(), edges["dst"].to_numpy()])
        labels = np.concatenate([edges["ms"].to_numpy(), edges["md"].to_numpy()])
        ids, first = np.unique(ends, return_index=True)
        local = _local_graph(ids, edges["src"].to_numpy(), edges["dst"].to_numpy(), edges["w"])
        found = guimera_amaral_roles(
            local, np.unique(labels, return_inverse=True)[1][first], params
        )
        mine = labels[first] == module
        return pd.DataFrame(
            {
                "id": ids[mine],
                "z": found.within_z[mine],
                "p": found.participation[mine],
                "role": found.role[mine].astype(str),
            }
        )

    return rows.groupBy("module").applyInPandas(solve, "id long, z double, p double, role string")


def health_rows(attention: Any, members: Any, shape: dict[str, float]) -> Any:
    """Per block: (block, size, density, reciprocity, owner_share, centralization, shape,
    score) — ``analysis.health.community_health`` on the block's internal attention edges
    inside ``applyInPandas``. ``members``: (block, user, owner)."""
    inner = _inner_edges(attention, members)

    def solve(block_members: Any, edges: Any) -> Any:
        import pandas as pd

        ids = np.sort(block_members["user"].to_numpy())
        directed = EdgeList.build(
            len(ids),
            np.searchsorted(ids, edges["src"].to_numpy()),
            np.searchsorted(ids, edges["dst"].to_numpy()),
            edges["w"].to_numpy(),
        )
        owner = int(block_members["owner"].iloc[0])
        local_owner = np.searchsorted(ids, owner) if owner >= 0 else -1
        found = community_health(
            directed,
            symmetrized(directed),
            np.zeros(len(ids), dtype=np.int64),
            1,
            np.array([local_owner]),
            **shape,
        )
        row = {name: getattr(found, name) for name in HEALTH_COLUMNS}
        return pd.DataFrame({"block": block_members["block"].iloc[:1].to_numpy(), **row})

    schema = "block long, " + ", ".join(
        f"{name} {'string' if name == 'shape' else 'long' if name == 'size' else 'double'}"
        for name in HEALTH_COLUMNS
    )
    return members.groupBy("block").cogroup(inner.groupBy("block")).applyInPandas(solve, schema)


HEALTH_COLUMNS = ("size", "density", "reciprocity", "owner_share", "centralization", "shape")
HEALTH_COLUMNS += ("score",)


def tier_rows(users: Any, params: AnalysisParams) -> Any:
    """(id, tier, reason) — ``analysis.tiers.assign_tiers`` per pool of users (a leaf
    community; the unassigned together) inside ``applyInPandas``: a pool's median engagement
    is its only bond between users. ``users``: (id, leaf, previous, and every input of
    ``assign_tiers``)."""

    def solve(pool: Any) -> Any:
        import pandas as pd

        previous = pool["previous"].to_numpy(dtype=object)
        found = assign_tiers(
            **{name: pool[name].to_numpy() for name in TIER_INPUTS},
            leaf=np.zeros(len(pool), dtype=np.int64),
            params=params,
            previous=None if (previous == "").all() else previous,
        )
        return pd.DataFrame(
            {"id": pool["id"], "tier": found.tier.astype(str), "reason": found.reason.astype(str)}
        )

    return users.groupBy("leaf").applyInPandas(solve, "id long, tier string, reason string")


TIER_INPUTS = ("engagement", "standing", "role", "is_leader", "communities_reached")
TIER_INPUTS += ("groups_reached",)
