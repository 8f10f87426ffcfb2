"""Graph stages as Spark DataFrame operations: the attention graph, weighted PageRank and the
referral forest. Vertices are the snapshot's integer positions (``id``, long)."""

from __future__ import annotations

__all__ = [
    "attention_frame",
    "components_by_joins",
    "pagerank_frame",
    "referral_frame",
    "undirected_frame",
]

from collections.abc import Iterator
from typing import Any

import numpy as np

from graphsvc.analysis.graphs import attention_weights
from graphsvc.engines.session import functions
from graphsvc.model import AnalysisParams


def attention_frame(
    interactions: Any, referrals: Any, memberships: Any, params: AnalysisParams
) -> Any:
    """(src, dst, w) of the attention graph (``analysis.graphs.attention_graph``).

    ``interactions``: (src, dst, kind, count, weight, days, factor); ``referrals``: (inviter,
    invitee, factor); ``memberships``: (user, group). Rows are weighed by
    ``attention_weights`` itself inside each partition (Arrow batches), then parallel edges
    summed and the shared-group bonus added per pair by a join on memberships."""
    f = functions(interactions)

    def weigh(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        for b in batches:
            w = attention_weights(b["kind"], b["count"], b["weight"], b["days"], params)
            yield pd.DataFrame({"src": b["src"], "dst": b["dst"], "w": w * b["factor"]})

    weighed = interactions.mapInPandas(weigh, "src long, dst long, w double")
    invited = referrals.select(
        f.col("invitee").alias("src"),
        f.col("inviter").alias("dst"),
        (f.col("factor") * float(params.referral_weight)).alias("w"),
    )
    edges = (
        weighed.unionByName(invited)
        .where("src != dst AND w > 0")
        .groupBy("src", "dst")
        .agg(f.sum("w").alias("w"))
    )
    if params.shared_group_weight == 0:
        return edges
    of_src = memberships.selectExpr("user AS src", "group AS g")
    of_dst = memberships.selectExpr("user AS dst", "group AS g")
    shared = (
        edges.select("src", "dst")
        .join(of_src, "src")
        .join(of_dst, ["dst", "g"])
        .groupBy("src", "dst")
        .agg(f.countDistinct("g").alias("shared"))
    )
    bonus = f.coalesce(f.col("shared"), f.lit(0)) * float(params.shared_group_weight)
    return edges.join(shared, ["src", "dst"], "left").select(
        "src", "dst", (f.col("w") + bonus).alias("w")
    )


def undirected_frame(edges: Any) -> Any:
    """(src, dst, w) with src < dst, the two directions of a pair summed
    (``analysis.graphs.symmetrized``)."""
    f = functions(edges)
    return (
        edges.select(f.least("src", "dst").alias("src"), f.greatest("src", "dst").alias("dst"), "w")
        .groupBy("src", "dst")
        .agg(f.sum("w").alias("w"))
    )


def components_by_joins(edges: Any) -> Any:
    """(id, component) of every vertex of the (src, dst) DataFrame ``edges``, the smallest
    vertex id of its component, by min-label propagation (the "hash-min" algorithm, Rastogi
    et al., ICDE 2013): a join and an aggregation a round, as many rounds as the graph's
    diameter. For sessions without a JVM of their own (Spark Connect)."""
    f = functions(edges)
    both = edges.select("src", "dst").union(edges.select(f.col("dst"), f.col("src")))
    labels = both.select(f.col("src").alias("id")).distinct().withColumn("component", f.col("id"))
    labels = labels.localCheckpoint()
    while True:
        lowest = (
            both.join(labels.select(f.col("id").alias("src"), "component"), "src")
            .groupBy(f.col("dst").alias("id"))
            .agg(f.min("component").alias("low"))
        )
        moved = (
            labels.join(lowest, "id")
            .select(
                "id",
                f.least("component", "low").alias("component"),
                (f.col("low") < f.col("component")).alias("moved"),
            )
            .localCheckpoint()
        )
        labels = moved.select("id", "component")
        if moved.where("moved").isEmpty():
            return labels


def pagerank_frame(
    edges: Any,
    n: int,
    *,
    damping: float,
    tol: float,
    max_iter: int,
    start: Any = None,
    on_iteration: Any = None,
) -> tuple[Any, int]:
    """(id, rank) of weighted PageRank on the directed (src, dst, w) edges over vertices
    0..n-1, and the iterations run: the definition of ``analysis.centrality.pagerank_scores``
    (Brin & Page 1998) — follow an out-edge in proportion to its weight, jump uniformly with
    probability 1 - damping, leave a dangling vertex uniformly — by power iteration until the
    L1 change of a step is below ``tol``. Each step is one join and one aggregation of the
    edges; the vector is checkpointed every step so the plan stays one step long.
    ``start`` ((id, rank) DataFrame, normalized here) warm-starts it."""
    f = functions(edges)
    spark = edges.sparkSession
    out = edges.groupBy("src").agg(f.sum("w").alias("out"))
    walk = (
        edges.join(out, "src").select("src", "dst", (f.col("w") / f.col("out")).alias("p")).cache()
    )
    vertices = (
        spark.range(n)
        .join(out.select(f.col("src").alias("id"), f.lit(True).alias("has_out")), "id", "left")
        .select("id", f.coalesce("has_out", f.lit(False)).alias("has_out"))
    )
    if start is None:
        x = vertices.withColumn("rank", f.lit(1.0 / n))
    else:
        total = start.agg(f.sum("rank")).first()[0]
        x = vertices.join(start, "id").withColumn("rank", f.col("rank") / total)
    x = x.localCheckpoint()
    dangling = x.where("NOT has_out").agg(f.sum("rank")).first()[0] or 0.0
    steps = 0
    for steps in range(1, max_iter + 1):
        contrib = (
            walk.join(x.select(f.col("id").alias("src"), "rank"), "src")
            .groupBy("dst")
            .agg(f.sum(f.col("p") * f.col("rank")).alias("c"))
        )
        jump = (damping * dangling + (1.0 - damping)) / n
        y = (
            x.join(contrib, x.id == contrib.dst, "left")
            .select(
                "id",
                "has_out",
                (damping * f.coalesce("c", f.lit(0.0)) + jump).alias("rank"),
                f.col("rank").alias("before"),
            )
            .localCheckpoint()
        )
        err, dangling = y.agg(
            f.sum(f.abs(f.col("rank") - f.col("before"))),
            f.sum(f.when(~f.col("has_out"), f.col("rank")).otherwise(0.0)),
        ).first()
        x = y.drop("before")
        if on_iteration:
            on_iteration(steps, err)
        if err < tol:
            break
    walk.unpersist()
    return x.select("id", "rank"), steps


def referral_frame(referrals: Any, *, deep_chain_levels: int) -> tuple[Any, int]:
    """Per user in a referral: (id, parent, level, direct_referrals, downline, tree_depth,
    root, deep_chain), and the cycles broken — ``analysis.referral.referral_tree`` as joins.

    ``referrals``: (inviter, invitee, row); an invitee listed twice keeps the inviter of its
    smallest row; self-referrals are ignored. Levels and roots by pointer doubling (a join
    per doubling, O(log depth) of them); a cycle is cut at its smallest vertex; downlines by
    walking each user's ancestors up a level per join (O(depth) joins over Σ levels rows)."""
    f = functions(referrals)
    kept = referrals.where("inviter != invitee")
    parent = kept.groupBy(f.col("invitee").alias("id")).agg(
        f.min_by("inviter", "row").alias("parent")
    )
    ids = kept.select(f.col("inviter").alias("id")).union(kept.select(f.col("invitee"))).distinct()
    tree = ids.join(parent, "id", "left").fillna(-1, ["parent"]).localCheckpoint()
    up, cut = _double(tree), 0
    loose = up.where("NOT rooted").select("up").distinct()
    cycle_nodes = loose.join(up.select(f.col("id").alias("up"), "low"), "up").where("low = up")
    cut = cycle_nodes.count()
    if cut:
        cuts = cycle_nodes.select(f.col("up").alias("id"), f.lit(True).alias("cut"))
        tree = (
            tree.join(cuts, "id", "left")
            .select("id", f.when(f.col("cut"), -1).otherwise(f.col("parent")).alias("parent"))
            .localCheckpoint()
        )
        up = _double(tree)
    direct = tree.where("parent >= 0").groupBy(f.col("parent").alias("id")).count()
    downline = _downline(tree)
    deepest = up.groupBy(f.col("up").alias("root")).agg(f.max("dist").alias("tree_depth"))
    out = (
        tree.join(up.select("id", f.col("up").alias("root"), f.col("dist").alias("level")), "id")
        .join(direct.withColumnRenamed("count", "direct_referrals"), "id", "left")
        .join(downline, "id", "left")
        .join(deepest, "root")
        .fillna(0, ["direct_referrals", "downline"])
    )
    deep = (f.col("level") > deep_chain_levels) | (
        (f.col("level") == 0) & (f.col("tree_depth") > deep_chain_levels)
    )
    return out.withColumn("deep_chain", deep.cast("long")), int(cut)


def _double(tree: Any) -> Any:
    """(id, up, dist, low, rooted) by pointer doubling over (id, parent): ``up`` is the root
    reached (or a vertex on a cycle: rooted false), ``dist`` the steps to it, ``low`` the
    smallest vertex on the walk."""
    f = functions(tree)
    state = tree.select(
        "id",
        f.when(f.col("parent") >= 0, f.col("parent")).otherwise(f.col("id")).alias("up"),
        (f.col("parent") >= 0).cast("long").alias("dist"),
        f.least("id", f.when(f.col("parent") >= 0, f.col("parent")).otherwise(f.col("id"))).alias(
            "low"
        ),
    ).localCheckpoint()
    rounds = max(1, int(state.count()).bit_length() + 1)
    for _ in range(rounds):
        ahead = state.select(
            f.col("id").alias("up"),
            f.col("up").alias("next"),
            f.col("dist").alias("more"),
            f.col("low").alias("low2"),
        )
        state = (
            state.join(ahead, "up")
            .select(
                "id",
                f.col("next").alias("up"),
                (f.col("dist") + f.col("more")).alias("dist"),
                f.least("low", "low2").alias("low"),
                (f.col("next") != f.col("up")).alias("moved"),
            )
            .localCheckpoint()
        )
        if state.where("moved").isEmpty():
            break
        state = state.drop("moved")
    parents = tree.select(f.col("id").alias("up"), f.col("parent").alias("up_parent"))
    return state.drop("moved").join(parents, "up").withColumn("rooted", f.col("up_parent") < 0)


def _downline(tree: Any) -> Any:
    """(id, downline): how many users have ``id`` among their ancestors."""
    f = functions(tree)
    links = tree.where("parent >= 0").select("id", "parent")
    ancestors = links.select(f.col("parent").alias("anc"))
    counts = ancestors.groupBy("anc").count()
    step = links.select(f.col("id").alias("who"), f.col("parent").alias("anc"))
    total = counts
    while True:
        step = (
            step.join(links.select(f.col("id").alias("anc"), f.col("parent").alias("up")), "anc")
            .select("who", f.col("up").alias("anc"))
            .localCheckpoint()
        )
        if step.isEmpty():
            break
        total = (
            total.unionByName(step.groupBy("anc").count())
            .groupBy("anc")
            .agg(f.sum("count").alias("count"))
            .localCheckpoint()  # one level a round: the plan stays short however deep the tree
        )
    return total.select(f.col("anc").alias("id"), f.col("count").alias("downline"))


def as_numpy_rank(frame: Any, n: int) -> np.ndarray:
    """A (id, rank) DataFrame collected as a vector over 0..n-1 (Arrow transfer)."""
    table = frame.toPandas()
    out = np.zeros(n)
    out[table["id"].to_numpy()] = table["rank"].to_numpy()
    return out
