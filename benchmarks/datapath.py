"""Moving data on the embedded store, each stage beside its floor, measured in one run.

    python -m benchmarks.datapath --users 100000 --users 1000000

For each size: generate (fixed seed), then CSV → published run as a user runs it
(``graphsvc load`` and ``graphsvc analyze``, each in its own process: wall seconds, the
timing line ``analyze`` prints, peak RSS), then in this process the stages again beside their
floors, the least work SQLite allows for the same bytes:

- load: graphsvc ``load_files`` vs pyarrow reading every input file, ids mapped with a
  dictionary, one ``executemany`` per table into tables keyed like ours (events on their
  identity), the per-pair aggregate by one ``GROUP BY``;
- snapshot: ``build_snapshot`` as ``analyze`` reads it (the graph, and the interaction days
  health over time reads) vs a bare ``SELECT`` of the same columns (``fetchall``);
- write-back: ``write_run`` (the result table with its query indexes) vs one ``executemany``
  of the same rows into a table without indexes, and that table with the same indexes built
  after (``write_floor_indexed_s``); and ``write_replacing_s``, the next run's write-back
  in steady state (the store keeping one run: the one before is pruned).

Figures go to ``benchmarks/datapath_results.json`` (ratios graphsvc / floor).
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import json
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from graphsvc.model import InteractionKind

HERE = Path(__file__).resolve().parent
_TIMING = re.compile(r"read ([\d.]+)s, analysis ([\d.]+)s, write ([\d.]+)s")


def _cli(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "graphsvc.cli", *args], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started, done.stdout + done.stderr


def _child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def end_to_end(data: Path, db: Path) -> dict[str, Any]:
    """``graphsvc load`` then ``graphsvc analyze``, as a user runs them."""
    uri = f"sqlite:///{db}"
    load_s, _ = _cli("--store", uri, "load", str(data))
    analyze_s, out = _cli("--store", uri, "analyze")
    read, analysis, write = map(float, _TIMING.search(out).groups())  # type: ignore[union-attr]
    return {
        "load_s": round(load_s, 1),
        "analyze_s": round(analyze_s, 1),
        "csv_to_published_run_s": round(load_s + analyze_s, 1),
        "analyze_read_s": read,
        "analyze_analysis_s": analysis,
        "analyze_write_s": write,
        "read_plus_write_below_analysis": read + write < analysis,
        "peak_rss_mb": round(_child_peak_mb()),
    }


def _read(path: Path, names: list[str]) -> pa.Table:
    options = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    return pa_csv.read_csv(path, convert_options=options)


def _seconds(column: pa.Array) -> np.ndarray:
    parsed = pc.strptime(column, "%Y-%m-%dT%H:%M:%S%z", "s", error_is_null=True)
    return pc.fill_null(pc.cast(parsed, pa.int64()), 0).to_numpy()


def load_floor(data: Path, db: Path) -> float:
    """The least a load can do: read every file with pyarrow, map ids with one dictionary,
    one executemany per table, aggregate the events in SQL."""
    started = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(
        """PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
        CREATE TABLE users (uid INTEGER PRIMARY KEY, user_id TEXT UNIQUE, name TEXT, at INT);
        CREATE TABLE memberships (uid INT, gid TEXT, at INT, PRIMARY KEY (uid, gid))
            WITHOUT ROWID;
        CREATE TABLE referrals (invitee INTEGER PRIMARY KEY, inviter INT, at INT);
        CREATE TABLE events (src INT, dst INT, kind INT, at INT, seq INT, weight REAL,
            PRIMARY KEY (src, dst, kind, at, seq)) WITHOUT ROWID;
        CREATE TABLE pairs (src INT, dst INT, kind INT, n INT, weight REAL, first INT,
            last INT, days INT, PRIMARY KEY (src, dst, kind)) WITHOUT ROWID;"""
    )
    users = _read(data / "users.csv", ["user_id", "name", "joined_at"])
    ids = users.column("user_id").combine_chunks()
    uid = {u: i for i, u in enumerate(ids.to_pylist(), 1)}

    def uids(column: pa.ChunkedArray) -> np.ndarray:
        encoded = column.combine_chunks().dictionary_encode()
        known = np.array([uid[u] for u in encoded.dictionary.to_pylist()], dtype=np.int64)
        return known[encoded.indices.to_numpy()]

    def insert(table: str, *columns: Any) -> None:
        marks = ", ".join("?" * len(columns))
        conn.executemany(
            f"INSERT OR IGNORE INTO {table} VALUES ({marks})", zip(*columns, strict=True)
        )

    conn.execute("BEGIN")
    insert(
        "users",
        range(1, len(ids) + 1),
        ids.to_pylist(),
        users.column("name").to_pylist(),
        _seconds(users.column("joined_at").combine_chunks()).tolist(),
    )
    members = _read(data / "memberships.csv", ["user_id", "group_id", "joined_at"])
    insert(
        "memberships",
        uids(members.column("user_id")).tolist(),
        members.column("group_id").to_pylist(),
        _seconds(members.column("joined_at").combine_chunks()).tolist(),
    )
    refs = _read(data / "referrals.csv", ["inviter_id", "invitee_id", "referred_at"])
    insert(
        "referrals",
        uids(refs.column("invitee_id")).tolist(),
        uids(refs.column("inviter_id")).tolist(),
        _seconds(refs.column("referred_at").combine_chunks()).tolist(),
    )
    events = _read(data / "interactions.csv", ["src_id", "dst_id", "kind", "occurred_at"])
    names = pa.array([kind.value for kind in InteractionKind])
    kinds = pc.index_in(events.column("kind"), value_set=names)
    src, dst = uids(events.column("src_id")), uids(events.column("dst_id"))
    at = _seconds(events.column("occurred_at").combine_chunks())
    order = np.argsort((src << 32) | dst, kind="stable")
    columns = (src, dst, pc.fill_null(kinds, 0).to_numpy(), at)
    for start in range(0, len(order), 500_000):
        part = order[start : start + 500_000]
        conn.executemany(
            "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, 0, 1.0)",
            zip(*(c[part].tolist() for c in columns), strict=True),
        )
    conn.execute(
        """INSERT INTO pairs SELECT src, dst, kind, count(*), sum(weight), min(at), max(at),
        count(DISTINCT at / 86400) FROM events GROUP BY src, dst, kind"""
    )
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def stages(data: Path, work: Path) -> dict[str, Any]:
    """The stages in this process, each beside its floor."""
    from graphsvc.analysis.pipeline import run_pipeline
    from graphsvc.ingest import discover, load_files
    from graphsvc.jobs.analyze import history_days, snapshot_fingerprint
    from graphsvc.jobs.snapshot import build_snapshot
    from graphsvc.model import USER_RESULT_COLUMNS, AnalysisParams, RunInfo, RunResult
    from graphsvc.store.sqlite import SqliteStore
    from graphsvc.store.sqlite.schema import results_indexes

    out: dict[str, Any] = {}
    store = SqliteStore(work / "stages.db", keep_runs=1)  # the second run written prunes the first
    store.init_schema()
    started = time.perf_counter()
    report = load_files(discover(data), store)
    out["load_s"] = time.perf_counter() - started
    out["events"] = report["interactions"].read
    out["load_floor_s"] = load_floor(data, work / "floor.db")

    params = AnalysisParams()
    started = time.perf_counter()
    snapshot = build_snapshot(store, history_days=history_days(params))  # as analyze reads
    out["snapshot_s"] = time.perf_counter() - started
    last_day = store._db.execute("SELECT max(at) / 86400 FROM interaction_events").fetchone()[0]
    started = time.perf_counter()
    for sql in (
        "SELECT uid, user_id FROM users",
        "SELECT src, dst, kind, count, weight, days FROM interactions",
        "SELECT inviter_uid, invitee_uid, referred_at FROM referrals",
        "SELECT uid, gid, role FROM memberships",
        "SELECT src, dst, at / 86400, gid FROM interaction_events "  # health over time's days
        f"WHERE at >= {(last_day - history_days(params)) * 86400}",
    ):
        store._db.execute(sql).fetchall()
    out["snapshot_floor_s"] = time.perf_counter() - started
    out["relationships"] = len(snapshot.interaction_src)

    started = time.perf_counter()
    output = run_pipeline(snapshot, params)
    out["analysis_s"] = time.perf_counter() - started

    info = RunInfo("bench", time.time(), time.time(), params.as_dict(), output.stats, "x")
    started = time.perf_counter()
    store.write_run(RunResult(info, output.users, output.communities, output.groups))
    out["write_s"] = time.perf_counter() - started
    started = time.perf_counter()
    info = replace(info, run_id="bench-2", started_at=time.time())
    store.write_run(RunResult(info, output.users, output.communities, output.groups))
    out["write_replacing_s"] = time.perf_counter() - started
    users = output.users
    rows = list(
        zip(
            users.user_id.tolist(),
            *(users.columns[n].tolist() for n in USER_RESULT_COLUMNS),
            strict=True,
        )
    )
    bare = sqlite3.connect(work / "bare.db", isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute(f"CREATE TABLE r (run_id, user_id, {', '.join(USER_RESULT_COLUMNS)})")
    marks = ", ".join("?" * (len(USER_RESULT_COLUMNS) + 2))
    started = time.perf_counter()
    bare.execute("BEGIN")
    bare.executemany(f"INSERT INTO r VALUES ({marks})", (("bench", *r) for r in rows))
    bare.execute("COMMIT")
    out["write_floor_s"] = time.perf_counter() - started
    started = time.perf_counter()
    bare.execute("BEGIN")
    for ddl in results_indexes("r"):  # the indexes the API's pages read, on the bare table
        bare.execute(ddl)
    bare.execute("COMMIT")
    out["write_floor_indexed_s"] = out["write_floor_s"] + time.perf_counter() - started
    out["users"] = len(users.user_id)
    out["fingerprint"] = snapshot_fingerprint(snapshot, params)[:12]
    store.close()
    for name in ("load", "snapshot", "write"):
        out[f"{name}_ratio"] = round(out[f"{name}_s"] / out[f"{name}_floor_s"], 2)
    out["write_ratio_indexed"] = round(out["write_s"] / out["write_floor_indexed_s"], 2)
    out["load_events_per_s"] = round(out["events"] / out["load_s"])
    out["write_users_per_s"] = round(out["users"] / out["write_s"])
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, action="append", help="sizes (repeatable)")
    parser.add_argument("--out", type=Path, default=HERE / "datapath_results.json")
    args = parser.parse_args(argv)
    from graphsvc import synth

    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for users in args.users or [100_000]:
        with tempfile.TemporaryDirectory(prefix="graphsvc-datapath-") as tmp:
            work = Path(tmp)
            synth.generate(work / "data", users=users, seed=0)
            figures = {"end_to_end": end_to_end(work / "data", work / "e2e.db")}
            figures["stages"] = stages(work / "data", work)
            figures["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            results[str(users)] = figures
            print(json.dumps({users: figures}, indent=2), flush=True)
            args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
