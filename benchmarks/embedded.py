"""Generate, load into SQLite, extract and write back (any store), the analysis pipeline stage by
stage, and its igraph kernels alone."""

from __future__ import annotations

__all__ = [
    "Analysis",
    "analyse",
    "extract",
    "generate",
    "load_embedded",
    "publish",
    "write_back",
]

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.measure import StageMeter
from benchmarks.suite import Bench
from graphsvc import synth
from graphsvc.analysis.centrality import betweenness, coreness, pagerank_scores
from graphsvc.analysis.communities import leiden_membership, modularity
from graphsvc.analysis.graphs import EdgeList, attention_graph, symmetrized
from graphsvc.analysis.pipeline import AnalysisOutput, run_pipeline
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.analyze import snapshot_fingerprint
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import GraphSnapshot, RunInfo, RunResult
from graphsvc.store.base import GraphStore
from graphsvc.store.sqlite import SqliteStore


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def generate(bench: Bench) -> Path:
    """Stage ``generate``: synth.generate with the run's seed; rate in interaction events/s."""
    data = bench.work / "data"
    bench.timed(
        "generate",
        lambda: synth.generate(data, users=bench.users, seed=bench.seed),
        heavy=True,
        items=lambda _: _lines(data / "interactions.csv") - 1,
        unit="events",
    )
    bench.results.put(bench.users, "facts", "events", _lines(data / "interactions.csv") - 1)
    return data


def load_embedded(bench: Bench, data: Path) -> SqliteStore:
    """Stage ``load.embedded``: ``load_files`` into a fresh SQLite file, then ``counts()`` (which
    builds the per-(src, dst, kind) aggregate); rate in interaction events/s."""
    path = bench.work / "graphsvc.db"
    stores: list[SqliteStore] = []

    def load() -> dict[str, int]:
        for store in stores:
            store.close()
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        stores[:] = [SqliteStore(path)]
        stores[0].init_schema()
        load_files(discover(data), stores[0])
        return stores[0].counts()

    counts = bench.timed(
        "load.embedded", load, heavy=True, items=lambda c: c["interaction_events"], unit="events"
    )
    bench.results.put(bench.users, "facts", "store_counts", counts)
    return stores[0]


def extract(bench: Bench, store: GraphStore, name: str) -> GraphSnapshot:
    """Stage ``extract.<store>``: ``build_snapshot`` (every edge kind, as numpy columns); rate in
    stored INTERACTED relationships/s."""
    return bench.timed(
        f"extract.{name}",
        lambda: build_snapshot(store),
        items=lambda s: len(s.interaction_src),
        unit="relationships",
    )


@dataclass(frozen=True)
class Analysis:
    """The last pipeline output and what the baselines are compared against."""

    output: AnalysisOutput
    attention: EdgeList
    undirected: EdgeList
    influence: np.ndarray
    module: np.ndarray
    modularity: float
    betweenness_sources: int


def analyse(bench: Bench, snapshot: GraphSnapshot) -> Analysis:
    """Stages ``analysis.<stage>`` (``run_pipeline``'s own stages, timed at its ``on_stage``
    boundaries) and ``analysis.total``; then ``kernel.*``: the igraph calls alone, as the
    baselines run them (PageRank, coreness, betweenness, Leiden)."""
    meter = StageMeter()
    totals = StageMeter()
    output = None
    try:
        for _ in range(bench.repeat):
            output = None  # free the previous run's output first
            totals.start("analysis.total")
            output = run_pipeline(
                snapshot, bench.params, on_stage=lambda s: meter.start(f"analysis.{s}")
            )
            meter.stop()
            totals.stop()
    finally:
        meter.close()
        totals.close()
    assert output is not None
    for name, samples in {**meter.by_stage(), **totals.by_stage()}.items():
        bench.results.stage(bench.users, name, samples)
    bench.results.put(bench.users, "facts", "pipeline_stats", output.stats)
    bench.results.put(bench.users, "facts", "edges", output.stats["n_edges"])
    bench.results.put(bench.users, "facts", "undirected_edges", output.stats["n_undirected_edges"])
    return _kernels(bench, snapshot, output)


def _kernels(bench: Bench, snapshot: GraphSnapshot, output: AnalysisOutput) -> Analysis:
    p = bench.params
    attention = attention_graph(snapshot, p)
    undirected = symmetrized(attention)
    graph = bench.timed("kernel.igraph_build", undirected.to_igraph)
    influence = bench.timed(
        "kernel.pagerank",
        lambda: pagerank_scores(
            attention, damping=p.damping, tol=p.pagerank_tol, max_iter=p.pagerank_max_iter
        ),
    )
    bench.timed("kernel.coreness", lambda: coreness(undirected))
    between = bench.timed(
        "kernel.betweenness",
        lambda: betweenness(
            graph,
            exact_max_vertices=p.exact_betweenness_max_vertices,
            epsilon=p.betweenness_epsilon,
            delta=p.betweenness_delta,
            budget=p.betweenness_budget,
            seed=p.seed,
        ),
    )
    module, _ = bench.timed(
        "kernel.leiden",
        lambda: leiden_membership(
            graph, resolution=p.resolution, seed=p.seed, iterations=p.leiden_iterations
        ),
    )
    quality = modularity(undirected, module) if undirected.m else 0.0
    bench.results.put(
        bench.users,
        "facts",
        "kernels",
        {
            "leiden_modularity": quality,
            "leiden_communities": int(module.max()) + 1 if len(module) else 0,
            "betweenness_method": between.method,
            "betweenness_sources": between.sources,
        },
    )
    return Analysis(output, attention, undirected, influence, module, quality, between.sources)


def publish(bench: Bench, store: GraphStore, output: AnalysisOutput, fingerprint: str) -> str:
    """``store.write_run`` of a pipeline result under a new run id (made current); the id."""
    now = time.time()
    run_id = time.strftime("run-%Y%m%dT%H%M%SZ-", time.gmtime(now)) + secrets.token_hex(3)
    info = RunInfo(run_id, now, now, bench.params.as_dict(), output.stats, fingerprint)
    store.write_run(RunResult(info, output.users, output.communities, output.groups))
    return run_id


def write_back(
    bench: Bench, store: GraphStore, name: str, snapshot: GraphSnapshot, output: AnalysisOutput
) -> None:
    """Stage ``write.<store>``: ``publish`` the pipeline's result (a new run id each time, so
    every repeat writes and publishes a whole run); rate in users/s."""
    fingerprint = snapshot_fingerprint(snapshot, bench.params)
    bench.timed(
        f"write.{name}",
        lambda: publish(bench, store, output, fingerprint),
        heavy=name != "embedded",
        items=lambda _: len(output.users.user_id),
        unit="users",
    )
