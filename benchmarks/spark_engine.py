"""The Spark engine beside the igraph engine, in one run, and a cost model fitted from it.

    python -m benchmarks.spark_engine --users 230000 --users 2300000

For each size (about 4.4 attention edges per generated user: 230k and 2.3M users for 1M and
10M edges): generate (fixed seed),
load into an embedded store, then run the whole analysis once per engine, each in a process
of its own (peak memory is the process's, plus Spark's JVM for the Spark engine): time per
stage, peak memory, and the agreement of the Spark engine with igraph (PageRank Spearman and
top 100, community NMI and both modularities, owners of the 50 largest communities, tiers,
referral levels). Then one PageRank step on Spark is timed on a quarter, half and all of the
edges at several shuffle partition counts, and a cost model is fitted to every (edges,
partitions) point:

    step seconds = a + b · edges / min(partitions, cores) + c · partitions

(a: a job's fixed cost, b: the cost of an edge on one core, c: a task's cost). Each Spark
stage is then counted in steps (its seconds over a step's at its size), and the model predicts
the stages for 1B edges on a 10-node cluster (16 cores each) under stated assumptions.
Figures go to ``benchmarks/spark_engine_results.json``.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CORES = 2
PARTITIONS = (2, 8, 32, 128)
FRACTIONS = (0.25, 0.5, 1.0)
CLUSTER = {"nodes": 10, "cores_per_node": 16, "edges": 1_000_000_000}


def prepare(users: int, root: Path) -> Path:
    """A loaded embedded store of ``users`` generated users (reused when present)."""
    from graphsvc import synth
    from graphsvc.ingest import discover, load_files
    from graphsvc.store.sqlite import SqliteStore

    db = root / f"store-{users}.db"
    if db.exists():
        return db
    synth.generate(root / f"data-{users}", users=users, seed=1, fmt="csv")
    with SqliteStore(db) as store:
        store.init_schema()
        load_files(discover(root / f"data-{users}"), store)
    return db


def run_engine(engine: str, db: Path, out: Path) -> dict[str, Any]:
    """One analysis on ``engine`` (in this process): stage seconds, peak memory, and the
    columns the agreement needs, saved to ``out`` (.npz)."""
    from benchmarks.measure import StageMeter
    from graphsvc.analysis.pipeline import run_pipeline
    from graphsvc.jobs.analyze import history_days
    from graphsvc.jobs.snapshot import build_snapshot
    from graphsvc.model import AnalysisParams
    from graphsvc.store.sqlite import SqliteStore

    params = AnalysisParams()
    with SqliteStore(db) as store:
        snapshot = build_snapshot(store, history_days=history_days(params))
    meter = StageMeter(interval=0.05 if engine == "igraph" else 0.5, children=engine == "spark")
    spark_engine = None
    if engine == "spark":
        from graphsvc.engines.spark import SparkEngine, SparkOptions

        started = time.perf_counter()
        spark_engine = SparkEngine(SparkOptions(master=f"local[{CORES}]"))
        session_seconds = time.perf_counter() - started
    started = time.perf_counter()
    output = run_pipeline(snapshot, params, on_stage=meter.start, engine=spark_engine or _igraph())
    total = time.perf_counter() - started
    meter.close()
    result: dict[str, Any] = {
        "engine": engine,
        "n_users": output.stats["n_users"],
        "n_edges": output.stats["n_edges"],
        "seconds": round(total, 2),
        "stage_seconds": output.stats["stage_seconds"],
        "peak_rss_mb": round(max(s.peak_rss_mb for _, s in meter.samples), 1),
        "modularity": output.stats["modularity"],
    }
    if spark_engine is not None:
        result["session_seconds"] = round(session_seconds, 2)
        result["spark"] = {k: v for k, v in output.stats.items() if k.startswith("spark_")}
        result["step_seconds"] = step_seconds(spark_engine, output.stats["n_users"], snapshot)
        spark_engine.close()
    cols = output.users.columns
    top = [c for c in output.communities if c.parent_id is None]
    np.savez(
        out,
        influence=cols["influence"],
        community=cols["community_id"].astype(str),
        tier=cols["tier"].astype(str),
        level=cols["referral_level"],
        downline=cols["downline"],
        community_ids=np.array([c.community_id for c in top], dtype=str),
        community_sizes=np.array([c.size for c in top]),
        community_owners=np.array([c.owner_id or "" for c in top], dtype=str),
    )
    return result


def _igraph() -> Any:
    from graphsvc.analysis.engine import IGRAPH

    return IGRAPH


def step_seconds(engine: Any, n: int, snapshot: Any) -> list[tuple[int, int, float]]:
    """(edges, partitions, seconds of one PageRank step: the median of steps 2-4) on a
    quarter, half and all of the attention edges, at each shuffle partition count."""
    from graphsvc.analysis.graphs import attention_graph
    from graphsvc.engines.spark_graph import pagerank_frame
    from graphsvc.model import AnalysisParams

    graph = attention_graph(snapshot, AnalysisParams())
    edges = engine.edges_frame(graph)
    engine.spark.conf.set("spark.sql.adaptive.enabled", "false")
    out = []
    for share in FRACTIONS:
        part = edges.where(f"pmod(hash(src, dst), 100) < {int(share * 100)}").cache()
        m = part.count()
        for partitions in PARTITIONS:
            engine.spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
            laps: list[float] = []
            clock = [time.perf_counter()]

            def lap(step: int, err: float, laps: list[float] = laps, clock: list = clock) -> None:
                now = time.perf_counter()
                laps.append(now - clock[0])
                clock[0] = now

            pagerank_frame(part, n, damping=0.85, tol=0.0, max_iter=4, on_iteration=lap)
            out.append((m, partitions, round(float(np.median(laps[1:])), 3)))
        part.unpersist()
    return out


def agreement(igraph_npz: Path, spark_npz: Path) -> dict[str, Any]:
    """How far the Spark engine's answers are from igraph's."""
    import igraph as ig
    from scipy.stats import spearmanr

    a, b = np.load(igraph_npz), np.load(spark_npz)

    def codes(x: np.ndarray) -> list[int]:
        return np.unique(x, return_inverse=True)[1].tolist()

    top_a = np.argsort(-a["influence"], kind="stable")[:100]
    top_b = np.argsort(-b["influence"], kind="stable")[:100]
    tops_a = np.char.partition(a["community"], ".")[:, 0]
    tops_b = np.char.partition(b["community"], ".")[:, 0]
    owner_b = dict(zip(b["community_ids"].tolist(), b["community_owners"].tolist(), strict=True))
    largest = np.argsort(-a["community_sizes"], kind="stable")[:50]
    same_owner = []
    for i in largest:
        inside = tops_a == a["community_ids"][i]
        holder, counts = np.unique(tops_b[inside], return_counts=True)
        same_owner.append(owner_b.get(holder[counts.argmax()]) == a["community_owners"][i])
    return {
        "pagerank_spearman": round(float(spearmanr(a["influence"], b["influence"]).statistic), 6),
        "pagerank_top100_identical": bool((top_a == top_b).all()),
        "pagerank_top100_overlap": len(set(top_a.tolist()) & set(top_b.tolist())),
        "community_nmi": round(ig.compare_communities(codes(tops_a), codes(tops_b), "nmi"), 4),
        "owners_of_50_largest_equal": round(float(np.mean(same_owner)), 3),
        "tiers_equal": round(float((a["tier"] == b["tier"]).mean()), 4),
        "referral_levels_identical": bool((a["level"] == b["level"]).all()),
        "downlines_identical": bool((a["downline"] == b["downline"]).all()),
    }


def fit_cost_model(points: list[tuple[int, int, float]]) -> dict[str, Any]:
    """Least relative squares of step = a + b·m/min(P, cores) + c·⌈P/cores⌉ over (edges,
    partitions, seconds) — a job's fixed cost, the edges shared by the cores, and a cost per
    wave of tasks — each point weighed by 1/seconds, so short steps count as much as long."""
    rows = np.array([_terms(m, p, CORES) for m, p, _ in points])
    seconds = np.array([s for _, _, s in points])
    (a, b, c), *_ = np.linalg.lstsq(rows / seconds[:, None], np.ones(len(seconds)), rcond=None)
    predicted = rows @ np.array([a, b, c])
    return {
        "a_job_seconds": float(a),
        "b_seconds_per_edge_core": float(b),
        "c_seconds_per_task_wave": float(c),
        "max_relative_error": float(np.max(np.abs(predicted - seconds) / seconds)),
        "median_relative_error": float(np.median(np.abs(predicted - seconds) / seconds)),
        "points": [list(p) for p in points],
    }


def _terms(edges: float, partitions: int, cores: int) -> list[float]:
    return [1.0, edges / min(partitions, cores), float(-(-partitions // cores))]


def predict(model: dict[str, float], sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """Each Spark stage of the largest size in PageRank steps, scaled to the cluster."""
    largest = max(sizes, key=lambda s: s["spark"]["n_edges"])
    m = largest["spark"]["n_edges"]
    step_here = _step(model, m, 4 * CORES, CORES)  # the engine's local[2] default
    cores = CLUSTER["nodes"] * CLUSTER["cores_per_node"]
    partitions = 3 * cores
    step_there = _step(model, CLUSTER["edges"], partitions, cores)
    stages = largest["spark"]["spark"]["spark_seconds"]
    steps = {name: seconds / step_here for name, seconds in stages.items()}
    return {
        "assumptions": (
            f"{CLUSTER['nodes']} nodes x {CLUSTER['cores_per_node']} cores, {partitions} shuffle "
            "partitions, the same per-core speed and network as this machine's loopback, edges "
            "spread evenly, each stage as many PageRank steps as measured at the largest size "
            f"({m:,} edges) and the same iteration counts; the driver-side stages (shills, "
            "betweenness, lifecycle, explanations) not included: they stay on one machine"
        ),
        "step_seconds": round(step_there, 2),
        "stage_steps": {k: round(v, 1) for k, v in steps.items()},
        "stage_seconds": {k: round(v * step_there, 1) for k, v in steps.items()},
        "spark_seconds": round(sum(steps.values()) * step_there, 1),
    }


def _step(model: dict[str, Any], edges: float, partitions: int, cores: int) -> float:
    a, b = (model[k] for k in ("a_job_seconds", "b_seconds_per_edge_core"))
    c = model["c_seconds_per_task_wave"]
    return float(np.dot(_terms(edges, partitions, cores), [a, b, c]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, action="append")
    parser.add_argument("--work", type=Path, help="keep generated stores here (reused)")
    parser.add_argument("--out", type=Path, default=HERE / "spark_engine_results.json")
    parser.add_argument("--one", choices=["igraph", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--npz", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--refit", action="store_true", help="fit the model to --out again")
    args = parser.parse_args(argv)
    if args.refit:  # the cost model and prediction again, from the measured figures in --out
        results = json.loads(args.out.read_text())
        results["cost_model"] = fit_cost_model([tuple(p) for p in results["cost_model"]["points"]])
        results["prediction_1b_edges"] = predict(results["cost_model"], results["sizes"])
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        return results
    if args.one:  # a child process: one engine, its figures on stdout
        print(json.dumps(run_engine(args.one, args.db, args.npz)))
        return {}
    sizes = []
    with tempfile.TemporaryDirectory(prefix="graphsvc-spark-bench-") as tmp:
        root = args.work or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for users in args.users or [230_000, 2_300_000]:
            db = prepare(users, root)
            size: dict[str, Any] = {"users": users}
            for engine in ("igraph", "spark"):
                npz = root / f"{engine}-{users}.npz"
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.spark_engine",
                        "--one",
                        engine,
                        "--db",
                        str(db),
                        "--npz",
                        str(npz),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                size[engine] = json.loads(done.stdout.strip().splitlines()[-1])
                print(users, engine, size[engine]["seconds"], "s", flush=True)
            size["agreement"] = agreement(root / f"igraph-{users}.npz", root / f"spark-{users}.npz")
            sizes.append(size)
    points = [tuple(point) for s in sizes for point in s["spark"]["step_seconds"]]
    model = fit_cost_model(points)
    results = {
        "machine": f"{CORES} cores",
        "sizes": sizes,
        "cost_model": model,
        "prediction_1b_edges": predict(model, sizes),
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
