"""Run diff (`graphsvc runs diff`, `GET /api/v1/runs/diff`) of two runs a small delta apart:
the first run and the cold run on the graph grown by the refresh benchmark's 1% delta.

Both runs are published in the benchmark's SQLite store (the first one by ``write_back``);
stage ``diff.load`` reads both runs' users as the command does (``load_run_view``), stage
``diff.compute`` compares them (``diff_runs``); rates in users of the later run per second.
The report also gives how many entries each section of the diff had.
"""

from __future__ import annotations

__all__ = ["measure_diff"]

from benchmarks.embedded import publish
from benchmarks.suite import Bench
from graphsvc.analysis.pipeline import AnalysisOutput
from graphsvc.jobs.analyze import snapshot_fingerprint
from graphsvc.jobs.diff import diff_runs, load_run_view, run_pair
from graphsvc.model import GraphSnapshot
from graphsvc.store.base import GraphStore


def measure_diff(
    bench: Bench, store: GraphStore, snapshot: GraphSnapshot, later: AnalysisOutput
) -> None:
    """Publish ``later`` after the store's current run, then stages ``diff.load`` and
    ``diff.compute``; facts: the diff's summary (entries per section)."""
    publish(bench, store, later, snapshot_fingerprint(snapshot, bench.params) + "+delta")
    run_a, run_b = run_pair(store, None, None)
    users = len(later.users.user_id)
    views = bench.timed(
        "diff.load",
        lambda: (load_run_view(store, run_a), load_run_view(store, run_b)),
        items=lambda _: users,
        unit="users",
    )
    diff = bench.timed(
        "diff.compute", lambda: diff_runs(*views), items=lambda _: users, unit="users"
    )
    bench.results.put(bench.users, "facts", "diff", {"users": diff["users"], **diff["summary"]})
