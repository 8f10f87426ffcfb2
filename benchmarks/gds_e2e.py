"""graphsvc against Neo4j GDS from the same database to results readable by Cypher.

    python -m benchmarks.gds_e2e --users 100000 --users 1000000

For each size: generate (fixed seed), first load into a Neo4j of the benchmark's own (GDS on)
by ``bulk_import`` (the path of ``graphsvc db import``, timed end to end from the CSV files),
then, on the same database and the same 2 cores:

- graphsvc, PageRank + Leiden: extract (``build_snapshot`` of the graph, without the days health
  over time reads), the attention graph, weighted PageRank and Leiden, both written back as
  User properties (batched ``UNWIND``, ``write_workers`` transactions in flight, as a run);
- graphsvc, the full analysis: extract, ``run_pipeline``, ``write_run`` (a published run);
- GDS: Cypher projections of the same attention graph (directed for PageRank, undirected for
  Leiden), ``gds.pageRank.write`` and ``gds.leiden.write``, at concurrency 1 (the cores
  igraph uses) and at GDS's default (all cores).

Figures go to ``benchmarks/gds_e2e_results.json``.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from benchmarks.neo4j_bench import PROJECT_ATTENTION, neo4j_server
from graphsvc import synth
from graphsvc.admin.bulk_import import bulk_import
from graphsvc.analysis.centrality import pagerank_scores
from graphsvc.analysis.communities import leiden_membership
from graphsvc.analysis.graphs import attention_graph, symmetrized
from graphsvc.analysis.pipeline import run_pipeline
from graphsvc.ingest import discover
from graphsvc.jobs.analyze import snapshot_fingerprint
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import (
    DEFAULT_KIND_WEIGHTS,
    AnalysisParams,
    InteractionKind,
    RunInfo,
    RunResult,
)
from graphsvc.store.neo4j import Neo4jStore

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
_BATCH = 20_000
_WRITE_TWO = """
UNWIND range(0, size($ids) - 1) AS i
MATCH (u:User {user_id: $ids[i]})
SET u.graphsvc_pagerank = $pagerank[i], u.graphsvc_community = $community[i]"""
_PAGERANK = "CALL gds.pageRank.write($name, $config) YIELD ranIterations RETURN ranIterations"
_LEIDEN = "CALL gds.leiden.write($name, $config) YIELD modularity RETURN modularity"


def _timed(figures: dict[str, float], name: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    out = work()
    figures[name] = round(time.perf_counter() - started, 2)
    print(f"  {name}: {figures[name]} s", flush=True)
    return out


def ours_two(store: Neo4jStore, params: AnalysisParams) -> dict[str, float]:
    """Extract the graph (not the days health over time reads: like GDS's projections),
    PageRank + Leiden, both written back as User properties."""
    figures: dict[str, float] = {}
    snapshot = _timed(figures, "extract", lambda: build_snapshot(store, health=False))

    def analyse() -> tuple[np.ndarray, np.ndarray]:
        attention = attention_graph(snapshot, params)
        rank = pagerank_scores(attention, damping=params.damping, tol=params.pagerank_tol)
        graph = symmetrized(attention).to_igraph()
        module, _ = leiden_membership(graph, resolution=params.resolution, seed=params.seed)
        return rank, module

    rank, module = _timed(figures, "pagerank_leiden", analyse)
    ids = snapshot.user_ids.tolist()

    def write() -> None:
        batches = (
            {
                "ids": ids[lo : lo + _BATCH],
                "pagerank": rank[lo : lo + _BATCH].tolist(),
                "community": module[lo : lo + _BATCH].tolist(),
            }
            for lo in range(0, len(ids), _BATCH)
        )
        store.session.write_batches(_WRITE_TWO, batches, store.write_workers)

    _timed(figures, "write_back", write)
    figures["total"] = round(sum(figures.values()), 2)
    return figures


def ours_full(store: Neo4jStore, params: AnalysisParams) -> dict[str, float]:
    """Extract, the whole analysis, a published run."""
    figures: dict[str, float] = {}
    snapshot = _timed(figures, "extract", lambda: build_snapshot(store))
    output = _timed(figures, "analysis", lambda: run_pipeline(snapshot, params))
    now = time.time()
    info = RunInfo(
        f"run-bench-{int(now)}",
        now,
        now,
        params.as_dict(),
        output.stats,
        snapshot_fingerprint(snapshot, params),
    )
    result = RunResult(info, output.users, output.communities, output.groups)
    _timed(figures, "write_back", lambda: store.write_run(result))
    figures["users_per_s_written"] = round(len(output.users) / figures["write_back"])
    figures["total"] = round(figures["extract"] + figures["analysis"] + figures["write_back"], 2)
    return figures


def gds(store: Neo4jStore, params: AnalysisParams, cores: int | None) -> dict[str, Any]:
    """Projections, PageRank write and Leiden write at ``cores`` (None: GDS's default)."""
    kinds = [
        params.kind_weights.get(k.value, DEFAULT_KIND_WEIGHTS[k.value]) for k in InteractionKind
    ]
    weights = {"kinds": kinds, "referral": float(params.referral_weight)}
    threads = {} if cores is None else {"concurrency": cores, "writeConcurrency": cores}
    figures: dict[str, Any] = {}

    def run(query: str, **values: Any) -> dict[str, Any]:
        def work(tx: Any) -> dict[str, Any]:
            record = tx.run(query, **values).single()
            return record.data() if record else {}

        return store.session.write(work)

    for name, undirected in (("directed", False), ("undirected", True)):
        run("CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName", name=name)
        config = {"undirectedRelationshipTypes": ["*"]} if undirected else {}
        if cores is not None:
            config["readConcurrency"] = cores
        _timed(
            figures,
            f"project_{name}",
            lambda n=name, c=config: run(PROJECT_ATTENTION, name=n, config=c, **weights),
        )
    pagerank = {
        "relationshipWeightProperty": "w",
        "dampingFactor": params.damping,
        "maxIterations": 1000,
        "tolerance": 1e-7,
        "writeProperty": "gds_pagerank",
        **threads,
    }
    _timed(figures, "pagerank_write", lambda: run(_PAGERANK, name="directed", config=pagerank))
    leiden = {
        "relationshipWeightProperty": "w",
        "gamma": params.resolution,
        "randomSeed": params.seed,
        "writeProperty": "gds_leiden",
        **threads,
    }
    figures["leiden"] = _timed(
        figures, "leiden_write", lambda: run(_LEIDEN, name="undirected", config=leiden)
    )
    for name in ("directed", "undirected"):
        run("CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName", name=name)
    figures["total"] = round(sum(v for v in figures.values() if isinstance(v, float)), 2)
    return figures


def measure(users: int, work: Path, heap: str, pagecache: str) -> dict[str, Any]:
    """One size, end to end."""
    data = work / "data"
    synth.generate(data, users=users, seed=0)
    params, figures = AnalysisParams(), {}
    with neo4j_server(work / "neo4j", heap, pagecache) as instance:
        store = Neo4jStore(instance.uri, "neo4j", instance.password)
        started = time.perf_counter()
        report = bulk_import(discover(data), store, instance, overwrite=True)
        seconds = time.perf_counter() - started
        events = report.counts["interaction_events"]
        figures["first_load"] = {
            "seconds": round(seconds, 1),
            "events": events,
            "relationships": report.relationships,
            "events_per_s": round(events / seconds),
            "stages": {k: round(v, 1) for k, v in report.stages.items()},
        }
        print(f"{users:,} users: first load {seconds:.1f} s", flush=True)
        figures["ours_pagerank_leiden"] = ours_two(store, params)
        figures["ours_full"] = ours_full(store, params)
        figures["gds_concurrency_1"] = gds(store, params, 1)
        figures["gds_default"] = gds(store, params, None)
        store.close()
    two, c1 = figures["ours_pagerank_leiden"]["total"], figures["gds_concurrency_1"]["total"]
    figures["verdict"] = {
        "gds_c1_over_ours_two": round(c1 / two, 2),
        "gds_c1_over_ours_full": round(c1 / figures["ours_full"]["total"], 2),
        "gds_default_over_ours_full": round(
            figures["gds_default"]["total"] / figures["ours_full"]["total"], 2
        ),
    }
    figures["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, action="append", help="sizes (repeatable)")
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--out", type=Path, default=HERE / "gds_e2e_results.json")
    args = parser.parse_args(argv)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for users in args.users or [100_000]:
        with tempfile.TemporaryDirectory(prefix="graphsvc-gds-") as tmp:
            results[str(users)] = measure(users, Path(tmp), args.heap, args.pagecache)
        print(json.dumps({users: results[str(users)]}, indent=2), flush=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
