"""Health over time at scale: the daily series, stages and alarms of every group and community
beside the rest of the analysis, measured in one run.

    python -m benchmarks.health_over_time --users 100000 --users 1000000

For each size: generate (fixed seed), load into a fresh embedded store, read the snapshot of
the graph alone and then with what health over time reads (memberships' times and the
interaction days of its series), run the whole analysis once and report its ``lifecycle``
stage against the analysis total, and the size of the series kept with the run. The budget:
the analysis with health over time (its stage and its read) within a minute per million users
on this 2-core machine (the analysis of 1M users took about a minute when the issue was
filed). Figures go to ``benchmarks/health_over_time_results.json``.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from graphsvc import synth
from graphsvc.analysis.pipeline import run_pipeline
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.analyze import history_days
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, pack_series
from graphsvc.store.sqlite import SqliteStore

HERE = Path(__file__).resolve().parent


def measure(users: int, root: Path) -> dict[str, Any]:
    data = root / f"data-{users}"
    synth.generate(data, users=users, seed=1, fmt="csv")
    store = SqliteStore(root / f"store-{users}.db")
    store.init_schema()
    load_files(discover(data), store)

    params = AnalysisParams()
    started = time.perf_counter()
    graph_only = build_snapshot(store, health=False)
    graph_seconds = time.perf_counter() - started
    del graph_only
    started = time.perf_counter()
    snapshot = build_snapshot(store, history_days=history_days(params))
    snapshot_seconds = time.perf_counter() - started
    days_read = snapshot_seconds - graph_seconds

    started = time.perf_counter()
    output = run_pipeline(snapshot, params)
    analysis = time.perf_counter() - started
    lifecycle = output.stats["stage_seconds"]["lifecycle"]
    store.close()
    added = days_read + lifecycle
    return {
        "users": users,
        "distinct_pair_days": len(snapshot.activity.day),
        "groups": len(snapshot.group_ids),
        "communities": output.stats["n_communities"],
        "series_kept": len(output.series),
        "series_bytes": sum(len(pack_series(h.values)) for h in output.series),
        "graph_snapshot_s": round(graph_seconds, 2),
        "snapshot_with_health_s": round(snapshot_seconds, 2),
        "health_read_s": round(days_read, 2),
        "lifecycle_s": round(lifecycle, 2),
        "analysis_s": round(analysis, 2),
        "health_share_of_analysis": round(added / analysis, 3),
        "within_budget": analysis + days_read <= 60 * max(users / 1e6, 1),
        "group_stages": output.stats["group_stages"],
        "group_alarms": output.stats["group_alarms"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, action="append", help="sizes (repeatable)")
    parser.add_argument("--out", type=Path, default=HERE / "health_over_time_results.json")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="graphsvc-health-") as tmp:
        for users in args.users or [100_000]:
            result = measure(users, Path(tmp))
            print(json.dumps(result, ensure_ascii=False))
            results.append(result)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
