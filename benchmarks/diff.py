"""Run diff (`graphsvc runs diff`, `GET /api/v1/runs/diff` on a cache miss) of two runs a
small delta apart.

In the suite: the first run and the cold run on the graph grown by the refresh benchmark's
1% delta, both published in the benchmark's SQLite store (the first by ``write_back``).
Alone, on any store holding two runs (e.g. after `graphsvc analyze`, a small load, and
`graphsvc analyze` again):

    python -m benchmarks.diff sqlite:////path/graphsvc.db --repeat 3 --out OUT/results.json

Stage ``diff.load`` reads both runs' users as the command does (``load_run_view``), stage
``diff.compute`` compares them (``diff_runs``); rates in users of the later run per second.
Facts: how many entries each section of the diff had.
"""

from __future__ import annotations

__all__ = ["measure_diff", "time_diff"]

import argparse
import sys
from pathlib import Path

from benchmarks.embedded import publish
from benchmarks.results import Results
from benchmarks.suite import Bench
from graphsvc.analysis.pipeline import AnalysisOutput
from graphsvc.jobs.analyze import snapshot_fingerprint
from graphsvc.model import AnalysisParams, GraphSnapshot
from graphsvc.runs.diff import diff_runs, load_run_view, run_pair
from graphsvc.store import open_store
from graphsvc.store.base import GraphStore


def time_diff(bench: Bench, store: GraphStore) -> None:
    """Stages ``diff.load`` and ``diff.compute`` of the store's previous and current run."""
    run_a, run_b = run_pair(store, None, None)
    views = bench.timed(
        "diff.load",
        lambda: (load_run_view(store, run_a), load_run_view(store, run_b)),
        items=lambda v: len(v[1].user_id),
        unit="users",
    )
    users = len(views[1].user_id)
    diff = bench.timed(
        "diff.compute", lambda: diff_runs(*views), items=lambda _: users, unit="users"
    )
    bench.results.put(bench.users, "facts", "diff", {"users": diff["users"], **diff["summary"]})


def measure_diff(
    bench: Bench, store: GraphStore, snapshot: GraphSnapshot, later: AnalysisOutput
) -> None:
    """Publish ``later`` after the store's current run, then ``time_diff``."""
    publish(bench, store, later, snapshot_fingerprint(snapshot, bench.params) + "+delta")
    time_diff(bench, store)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Time `runs diff` of a store's last two runs.")
    p.add_argument("store", help="store URI, e.g. sqlite:////abs/graphsvc.db")
    p.add_argument("--repeat", type=int, default=3, help="runs per stage (medians reported)")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "out/results.json")
    args = p.parse_args(argv)
    with open_store(args.store) as store:
        users = store.current_run().stats["n_users"]
        results = Results(args.out)
        bench = Bench(results, users, 0, args.repeat, 1, False, args.out.parent, AnalysisParams())
        time_diff(bench, store)
    stages = results.data["sizes"][str(users)]["stages"]
    for name in ("diff.load", "diff.compute"):
        seconds = stages[name]["seconds"]
        print(
            f"{name}: median {seconds['median']:.2f} s ({seconds['min']:.2f}–{seconds['max']:.2f})"
        )
    print(f"results in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
