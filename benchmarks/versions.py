"""Analysis time of this checkout against another checkout's, on the same snapshot.

    git worktree add --detach /tmp/base 2a7a6ed
    python -m benchmarks.versions --baseline /tmp/base --users 1000000 --rounds 2

Generates a graph (fixed seed), loads it into SQLite and extracts one snapshot with this
checkout, then, alternating the two checkouts round by round (each in its own interpreter,
``PYTHONPATH`` pointing at it), times a first (cold) run and a plain run after +1% events from
the first run's result: the two runs `analyze` makes on a new store and on the next day's data.
Wall and process CPU seconds and the load average are reported; ratios are this / baseline.
"""

from __future__ import annotations

__all__ = ["main", "time_runs"]

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parents[1]


def time_runs(snapshot_path: Path) -> dict[str, Any]:
    """First and +1% runs of whichever ``graphsvc`` is importable, on a saved snapshot."""
    from benchmarks.refresh import grown
    from graphsvc.analysis.pipeline import previous_from_output, run_pipeline
    from graphsvc.model import AnalysisParams, GraphSnapshot

    with np.load(snapshot_path, allow_pickle=False) as saved:
        known = {f.name for f in dataclasses.fields(GraphSnapshot)}  # older code: fewer
        snapshot = GraphSnapshot(**{k: v for k, v in saved.items() if k in known})
    params, figures = AnalysisParams(), {}

    def timed(name: str, *args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        out = run_pipeline(*args, **kwargs)
        figures[f"{name}_wall"] = round(time.perf_counter() - wall, 1)
        figures[f"{name}_cpu"] = round(time.process_time() - cpu, 1)
        return out

    first = timed("first", snapshot, params)
    timed("plus1", grown(snapshot, 0.01, 1), params, previous=previous_from_output("1", first))
    figures["load_average"] = os.getloadavg()[0]
    return figures


def _snapshot(users: int, work: Path) -> Path:
    from graphsvc import synth
    from graphsvc.ingest import discover, load_files
    from graphsvc.jobs.snapshot import build_snapshot
    from graphsvc.store.sqlite import SqliteStore

    synth.generate(work / "data", users=users, seed=1)
    with SqliteStore(work / "g.db") as store:
        store.init_schema()
        load_files(discover(work / "data"), store)
        snapshot = build_snapshot(store)
    path = work / "snapshot.npz"
    columns = {f.name: getattr(snapshot, f.name) for f in dataclasses.fields(snapshot)}
    np.savez(path, **{name: column for name, column in columns.items() if column is not None})
    return path


def _in_checkout(checkout: Path, snapshot: Path) -> dict[str, Any]:
    # benchmarks/ (grown) from this checkout, graphsvc from the one measured: its path goes first
    # once benchmarks is imported; the working directory is the snapshot's, so neither comes from
    # the current directory
    code = (
        "import json,sys;from benchmarks.versions import time_runs;sys.path.insert(0,sys.argv[2]);"
    )
    code += "print(json.dumps(time_runs(sys.argv[1])))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(snapshot), str(checkout)],
        env={**os.environ, "PYTHONPATH": str(HERE)},
        cwd=snapshot.parent,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"analysis in {checkout} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="checkout to compare with")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = _snapshot(args.users, Path(tmp))
        rounds = [
            {
                name: _in_checkout(path, snapshot)
                for name, path in (("this", HERE), ("baseline", args.baseline))
            }
            for _ in range(args.rounds)
        ]
    best = {
        side: {k: min(r[side][k] for r in rounds) for k in rounds[0][side] if k != "load_average"}
        for side in ("this", "baseline")
    }
    report = {
        "users": args.users,
        "rounds": rounds,
        "ratio_of_best": {k: round(best["this"][k] / best["baseline"][k], 3) for k in best["this"]},
    }
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
