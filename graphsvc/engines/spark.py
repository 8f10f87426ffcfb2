"""The Spark engine: the pipeline's graph-scale stages on Apache Spark.

The job hands the engine the snapshot's columns as Parquet files; Spark reads them, computes
with DataFrame operations (and GraphX or GraphFrames for connected components), writes its
results as Parquet, and the job reads them back into the run it publishes like any other.
What each stage computes is the definition in ``graphsvc.analysis``; only community
detection differs by design: Leiden per shard, then on the graph of the shards' pieces (see
``modules``)."""

from __future__ import annotations

__all__ = ["SparkEngine", "SparkOptions"]

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphsvc.analysis.communities import leiden_membership
from graphsvc.analysis.graphs import EdgeList
from graphsvc.analysis.health import Health
from graphsvc.analysis.leaders import Leaders
from graphsvc.analysis.referral import ReferralTree
from graphsvc.analysis.roles import Roles
from graphsvc.analysis.tiers import Tiers
from graphsvc.engines import spark_blocks, spark_graph
from graphsvc.engines.bridge import graph_library, is_connect
from graphsvc.engines.frames import read_columns, write_columns
from graphsvc.engines.session import functions, spark_session
from graphsvc.model import AnalysisParams, GraphSnapshot


def local_partitions(master: str) -> int | None:
    """Shuffle partitions for ``local[N]``: 4 per core. Spark's default of 200 made a PageRank
    step 5x slower on 2 cores at 4.4M edges (benchmarks/spark_engine.py); a cluster keeps its
    own setting (None)."""
    found = re.fullmatch(r"local\[(\d+|\*)\]", master)
    if not found:
        return 4 if master == "local" else None
    cores = (os.cpu_count() or 1) if found.group(1) == "*" else int(found.group(1))
    return 4 * cores


def pd_frame(columns: dict[str, np.ndarray]) -> Any:
    import pandas as pd

    return pd.DataFrame(columns)


@dataclass(frozen=True)
class SparkOptions:
    master: str = "local[2]"  # local[N], spark://host:port, or sc://host:port (Spark Connect)
    driver_memory: str = "8g"
    shuffle_partitions: int | None = None  # None: 4 per core in local[N], else Spark's default
    shard_vertices: int = 250_000  # community detection: vertices per Leiden shard
    lpa_iterations: int = 3  # label propagation rounds: the first pieces of communities
    leiden_rounds: int = 1  # rounds of Leiden per shard after the first contraction
    pagerank_tol: float = 1e-7  # PageRank ends below max(this, params.pagerank_tol) L1 change
    workdir: str | None = None  # the Parquet seam: storage every executor reads (on a cluster)
    progress: Callable[[str], None] | None = None  # told of long stages' steps (the CLI: stderr)


class SparkEngine:
    """``GraphEngine`` on a Spark session (``SparkOptions.master``). Use as a context
    manager: the run's Parquet folder (under ``workdir``, default the temporary directory)
    goes when it closes, and a Spark Connect session it opened; a classic session stays, as
    Spark allows one per process."""

    name = "spark"

    def __init__(self, options: SparkOptions | None = None, spark: Any = None) -> None:
        self.options = options or SparkOptions()
        self._own_session = spark is None
        self.spark = spark or spark_session(
            self.options.master,
            driver_memory=self.options.driver_memory,
            shuffle_partitions=self.options.shuffle_partitions
            or local_partitions(self.options.master),
        )
        if self.options.workdir:  # shared storage every executor reads: one run's own folder
            Path(self.options.workdir).mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="graphsvc-spark-", dir=self.options.workdir))
        if not is_connect(self.spark):  # GraphFrames' components checkpoint here
            self.spark.sparkContext.setCheckpointDir(str(self.dir / "checkpoints"))
        self.seconds: dict[str, float] = {}
        self.found: dict[str, Any] = {}
        self._graphs: dict[int, Any] = {}  # id(EdgeList) -> its DataFrame (src, dst, w)

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for frame in self._graphs.values():
            frame.unpersist()
        self._graphs.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self._own_session and is_connect(self.spark):
            # a Connect client's threads would keep the process alive; the server stays up
            self.spark.stop()

    # -- the Parquet seam ------------------------------------------------------------------

    def _frame(self, name: str, columns: dict[str, np.ndarray]) -> Any:
        """Columns written as ``<dir>/<name>.parquet`` and read by Spark."""
        return self.spark.read.parquet(str(write_columns(self.dir / f"{name}.parquet", columns)))

    def _back(self, frame: Any, name: str, columns: list[str]) -> dict[str, np.ndarray]:
        """A Spark result written as Parquet and read back as numpy columns."""
        path = self.dir / name
        frame.select(*columns).write.mode("overwrite").parquet(str(path))
        return read_columns(path, columns)

    def _tell(self, message: str) -> None:
        if self.options.progress is not None:
            self.options.progress(message)

    def _timed(self, stage: str, started: float) -> None:
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - started, 3)

    def edges_frame(self, graph: EdgeList) -> Any:
        """The DataFrame of an EdgeList this engine made, else the EdgeList written out."""
        frame = self._graphs.get(id(graph))
        if frame is None:
            frame = self._frame(
                f"graph-{id(graph)}", {"src": graph.src, "dst": graph.dst, "w": graph.weight}
            )
            self._graphs[id(graph)] = frame.cache()
        return frame

    def _keep(self, frame: Any, name: str, n: int, *, directed: bool) -> EdgeList:
        cols = self._back(frame, name, ["src", "dst", "w"])
        graph = EdgeList.build(n, cols["src"], cols["dst"], cols["w"], directed=directed)
        self._graphs[id(graph)] = self.spark.read.parquet(str(self.dir / name)).cache()
        return graph

    # -- GraphEngine -----------------------------------------------------------------------

    def attention(
        self,
        snapshot: GraphSnapshot,
        params: AnalysisParams,
        discount: tuple[np.ndarray, np.ndarray] | None,
    ) -> EdgeList:
        started = time.perf_counter()
        n = snapshot.n_users
        per_user, per_referral = discount or (np.ones(n), np.ones(len(snapshot.referral_invitee)))
        src = np.asarray(snapshot.interaction_src, dtype=np.int64)
        invitee = np.asarray(snapshot.referral_invitee, dtype=np.int64)
        interactions = self._frame(
            "interactions",
            {
                "src": src,
                "dst": np.asarray(snapshot.interaction_dst, dtype=np.int64),
                "kind": np.asarray(snapshot.interaction_kind, dtype=np.int64),
                "count": np.asarray(snapshot.interaction_count, dtype=np.int64),
                "weight": np.asarray(snapshot.interaction_weight, dtype=np.float64),
                "days": np.asarray(snapshot.interaction_days, dtype=np.int64),
                "factor": np.asarray(per_user, dtype=np.float64)[src],
            },
        )
        referrals = self._frame(
            "referrals",
            {
                "inviter": np.asarray(snapshot.referral_inviter, dtype=np.int64),
                "invitee": invitee,
                "factor": np.asarray(per_user, dtype=np.float64)[invitee] * per_referral,
            },
        )
        memberships = self._frame(
            "memberships",
            {
                "user": np.asarray(snapshot.membership_user, dtype=np.int64),
                "group": np.asarray(snapshot.membership_group, dtype=np.int64),
            },
        )
        edges = spark_graph.attention_frame(interactions, referrals, memberships, params)
        graph = self._keep(edges, "attention", n, directed=True)
        self._timed("attention", started)
        return graph

    def pagerank(
        self, graph: EdgeList, *, damping: float, tol: float, max_iter: int, start: Any
    ) -> np.ndarray:
        started = time.perf_counter()
        warm = None
        if start is not None:
            warm = self._frame(
                "pagerank-start", {"id": np.arange(graph.n), "rank": np.asarray(start, dtype=float)}
            )

        def step(number: int, change: float) -> None:
            if number % 10 == 0:
                self._tell(f"PageRank step {number} on Spark (L1 change {change:.1e})")

        ranks, steps = spark_graph.pagerank_frame(
            self.edges_frame(graph),
            graph.n,
            on_iteration=step,
            damping=damping,
            tol=max(tol, self.options.pagerank_tol),
            max_iter=max_iter,
            start=warm,
        )
        cols = self._back(ranks, "pagerank", ["id", "rank"])
        out = np.zeros(graph.n)
        out[cols["id"]] = cols["rank"]
        self.found["spark_pagerank_iterations"] = steps
        self._timed("pagerank", started)
        return out / out.sum() if out.sum() > 0 else out

    def modules(
        self, undirected: EdgeList, *, resolution: float, seed: int, iterations: int
    ) -> np.ndarray | None:
        """Communities at scale, in rounds that each end with Leiden on a contracted graph
        whose nodes are pieces of communities (node weight: the summed strength of a piece's
        users, so a partition's modularity there is the full graph's — the aggregation of
        Louvain, Blondel et al., J. Stat. Mech. P10008, 2008): first the pieces are the labels
        of a few rounds of label propagation; then, ``leiden_rounds`` times, the
        communities found are hashed into shards (a component small enough: one shard) and
        Leiden inside each shard, warm from them, cuts the pieces again. It approximates
        global Leiden: a vertex moves only within its shard or with its whole piece (what it
        loses is measured in benchmarks/spark_engine.py)."""
        started = time.perf_counter()
        o, f = self.options, functions(self.spark)
        frame = self.edges_frame(undirected)
        base, found = spark_blocks.first_pieces(frame, o.shard_vertices, o.lpa_iterations)
        self.found |= found | {"spark_graph_library": graph_library(self.spark)}
        pieces = base.select("id", "piece")
        module = np.full(undirected.n, -1, dtype=np.int64)
        for round_ in range(o.leiden_rounds + 1):
            self._tell(f"communities on Spark: round {round_ + 1} of {o.leiden_rounds + 1}")
            if round_:
                found_modules = self.spark.read.parquet(str(self.dir / "modules"))
                key = f.when(f.col("key") >= 0, f.col("key")).otherwise(f.col("module"))
                shard = f.pmod(f.xxhash64(key, f.lit(round_)), f.lit(found["spark_shards"]))
                vertex_shard = found_modules.join(base, "id").select(
                    "id", shard.alias("shard"), f.col("module").alias("initial")
                )
                pieces = spark_blocks.shard_modules(
                    frame, vertex_shard, resolution=resolution, seed=seed, iterations=iterations
                ).localCheckpoint()
            keys, graph, strength = spark_blocks.contracted(frame, pieces)
            merged, _ = leiden_membership(
                graph.to_igraph(),
                resolution=resolution,
                seed=seed,
                iterations=iterations,
                node_weights=strength,
                objective="modularity",
            )
            lookup = self.spark.createDataFrame(
                pd_frame({"piece": keys, "module": merged}), "piece long, module long"
            )
            labelled = pieces.join(f.broadcast(lookup), "piece").select("id", "module")
            cols = self._back(labelled, "modules", ["id", "module"])
            module[cols["id"]] = cols["module"]
            self.found[f"spark_pieces_round_{round_}"] = len(keys)
        alone = module < 0  # users without edges: a module each
        module[alone] = module.max(initial=-1) + 1 + np.arange(int(alone.sum()))
        self._timed("communities", started)
        return module

    def leaders(
        self,
        graph: EdgeList,
        member_user: np.ndarray,
        member_block: np.ndarray,
        n_blocks: int,
        **options: Any,
    ) -> Leaders:
        started = time.perf_counter()
        eligible = options.pop("eligible", None)
        start = options.pop("start", None)
        user = np.asarray(member_user, dtype=np.int64)
        block = np.asarray(member_block, dtype=np.int64)
        members = self._frame(
            "members",
            {
                "block": block,
                "user": user,
                "eligible": np.ones(len(user), bool)
                if eligible is None
                else np.asarray(eligible)[user],
                "start": np.full(len(user), np.nan)
                if start is None
                else np.asarray(start, float)[user],
            },
        ).dropDuplicates(["block", "user"])
        rows = spark_blocks.block_leader_rows(self.edges_frame(graph), members, options)
        names = ["block", "user", "score", "in_weight", "leader", "runner_up", "margin"]
        cols = self._back(rows, "leaders", names)
        order = np.lexsort((cols["user"], cols["block"]))
        cols = {k: v[order] for k, v in cols.items()}
        mb = cols["block"]
        first = np.flatnonzero(np.concatenate([[True], mb[1:] != mb[:-1]])) if len(mb) else mb
        leader = np.full(n_blocks, -1, dtype=np.int64)
        runner_up = np.full(n_blocks, -1, dtype=np.int64)
        margin = np.full(n_blocks, np.nan)
        for name, out in (("leader", leader), ("runner_up", runner_up), ("margin", margin)):
            out[mb[first]] = cols[name][first]
        size = np.bincount(mb, minlength=n_blocks).astype(np.int64)
        self._timed("leaders", started)
        return Leaders(
            leader, runner_up, margin, size, cols["user"], mb, cols["score"], cols["in_weight"]
        )

    def roles(self, undirected: EdgeList, module: np.ndarray, params: AnalysisParams) -> Roles:
        started = time.perf_counter()
        n = undirected.n
        modules = self._frame("module", {"id": np.arange(n), "module": np.asarray(module)})
        rows = spark_blocks.role_rows(self.edges_frame(undirected), modules, params)
        cols = self._back(rows, "roles", ["id", "z", "p", "role"])
        z, p = np.full(n, np.nan), np.full(n, np.nan)
        role = np.full(n, "", dtype=object)
        for out, name in ((z, "z"), (p, "p"), (role, "role")):
            out[cols["id"]] = cols[name]
        self._timed("roles", started)
        return Roles(z, p, role)

    def health(
        self,
        attention: EdgeList,
        undirected: EdgeList,
        label: np.ndarray,
        n_communities: int,
        owner: np.ndarray,
        **shape: float,
    ) -> Health:
        started = time.perf_counter()
        label = np.asarray(label, dtype=np.int64)
        members = np.flatnonzero(label >= 0)
        frame = self._frame(
            "health-members",
            {
                "block": label[members],
                "user": members,
                "owner": np.asarray(owner, dtype=np.int64)[label[members]],
            },
        )
        rows = spark_blocks.health_rows(self.edges_frame(attention), frame, shape)
        names = list(spark_blocks.HEALTH_COLUMNS)
        cols = self._back(rows, "health", ["block", *names])
        out = {name: np.zeros(n_communities, dtype=cols[name].dtype) for name in names}
        out["shape"] = np.full(n_communities, "mesh", dtype=object)
        for name in names:
            out[name][cols["block"]] = cols[name]
        self._timed("health", started)
        return Health(**out)

    def tiers(self, **inputs: Any) -> Tiers:
        started = time.perf_counter()
        params, previous = inputs["params"], inputs.get("previous")
        n = len(inputs["engagement"])
        columns = {name: np.asarray(inputs[name]) for name in spark_blocks.TIER_INPUTS}
        columns["role"] = columns["role"].astype(str)
        users = self.spark.createDataFrame(
            pd_frame(
                {
                    "id": np.arange(n),
                    "leaf": np.asarray(inputs["leaf"], dtype=np.int64),
                    "previous": np.full(n, "") if previous is None else np.asarray(previous, str),
                    **columns,
                }
            )
        )
        cols = self._back(spark_blocks.tier_rows(users, params), "tiers", ["id", "tier", "reason"])
        tier, reason = np.empty(n, dtype=object), np.empty(n, dtype=object)
        tier[cols["id"]], reason[cols["id"]] = cols["tier"], cols["reason"]
        self._timed("tiers", started)
        return Tiers(tier, reason)

    def referral(
        self, inviter: np.ndarray, invitee: np.ndarray, n: int, *, deep_chain_levels: int
    ) -> ReferralTree:
        started = time.perf_counter()
        rows = self._frame(
            "referral-rows",
            {
                "inviter": np.asarray(inviter, dtype=np.int64),
                "invitee": np.asarray(invitee, dtype=np.int64),
                "row": np.arange(len(invitee), dtype=np.int64),
            },
        )
        tree, cut = spark_graph.referral_frame(rows, deep_chain_levels=deep_chain_levels)
        names = [
            "id",
            "parent",
            "level",
            "direct_referrals",
            "downline",
            "tree_depth",
            "root",
            "deep_chain",
        ]
        cols = self._back(tree, "referral", names)
        out = {}
        for name in names[1:]:
            missing = 0 if name in ("direct_referrals", "downline", "deep_chain") else -1
            column = np.full(n, missing, dtype=np.int64)
            column[cols["id"]] = cols[name]
            out[name] = column
        self._timed("referral", started)
        return ReferralTree(
            out["parent"],
            out["level"],
            out["direct_referrals"],
            out["downline"],
            out["tree_depth"],
            out["root"],
            out["deep_chain"],
            cut,
        )

    def stats(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "spark_master": self.options.master,
            "spark_seconds": dict(self.seconds),
            **self.found,
        }
