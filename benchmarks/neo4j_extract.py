"""Extraction throughput from Neo4j into numpy: ``Neo4jStore.edge_batches`` (whole columns per
relationship id range via ``collect()``) against row streaming (``RETURN a.uid, b.uid, ...``).

``edge_batches_per_s`` reads the columns analysis reads (ANALYSIS_COLUMNS, as snapshots do);
``edge_batches_all_columns_per_s`` adds first_at and last_at.

The graph is bulk-imported (``neo4j-admin database import full``) into a separate Neo4j home on
its own port, so the benchmark leaves the main local server alone and needs no slow load:
``--users`` users, ``--edges`` INTERACTED relationships with all their properties. Prints one
JSON object (medians of ``--repeat`` runs).

    python benchmarks/neo4j_extract.py --users 100000 --edges 1000000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from graphsvc.admin.import_files import write_import_files
from graphsvc.admin.local import LocalInstance
from graphsvc.jobs.snapshot import ANALYSIS_COLUMNS
from graphsvc.model import EdgeKind, Interaction, InteractionKind
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.neo4j.extract import EXTRACT_WORKERS

KINDS = list(InteractionKind)
INTERACTED = EdgeKind.INTERACTED


def events(users: int, edges: int, seed: int):
    """Distinct (src, dst, kind) interactions, one event each (key = position)."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, users, edges)
    dst = (src + rng.integers(1, users, edges)) % users  # never a self-loop
    kind = rng.integers(0, len(KINDS), edges)
    at = rng.integers(1_600_000_000, 1_700_000_000, edges)
    seen = set()
    columns = zip(src.tolist(), dst.tolist(), kind.tolist(), at.tolist(), strict=True)
    for i, (s, d, k, t) in enumerate(columns):
        if (s, d, k) in seen:
            continue
        seen.add((s, d, k))
        yield Interaction(f"u{s:07d}", f"u{d:07d}", KINDS[k], t, 1.0, i)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows-sample", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=7696)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=EXTRACT_WORKERS, help="extraction queries in flight"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="neo4j-extract-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        files = write_import_files(
            root / "csv",
            users=(),
            interactions=events(args.users, args.edges, args.seed),
        )
        files_s = time.perf_counter() - t0
        instance = LocalInstance(root / "home", args.port)
        t0 = time.perf_counter()
        instance.import_files(files)
        import_s = time.perf_counter() - t0
        instance.start()
        try:
            store = Neo4jStore(
                instance.uri, "neo4j", instance.password, extract_workers=args.workers
            )
            store.init_schema()
            n = files.counts["interactions"]
            timings = {"analysis": [], "all": []}
            for _ in range(args.repeat):
                for name, columns in (("analysis", ANALYSIS_COLUMNS[INTERACTED]), ("all", None)):
                    t0 = time.perf_counter()
                    got = 0
                    for batch in store.edge_batches(INTERACTED, args.batch, columns):
                        got += len(batch)
                    timings[name].append(time.perf_counter() - t0)
                    assert got == n, (got, n)
            # Row streaming, the usual way, on a sample (it is slow).
            t0 = time.perf_counter()
            with store._session() as session:
                result = session.run(
                    "MATCH (a:User)-[r:INTERACTED]->(b:User) RETURN a.uid, b.uid, r.kind, "
                    "r.count, r.weight, r.first_at, r.last_at LIMIT $n",
                    n=args.rows_sample,
                )
                rows = [r.values() for r in result]
            rows_s = time.perf_counter() - t0
            store.close()
        finally:
            instance.stop()

    best = statistics.median(timings["analysis"])
    print(
        json.dumps(
            {
                "users": files.counts["users"],
                "edges": n,
                "workers": args.workers,
                "write_import_files_s": round(files_s, 1),
                "neo4j_admin_import_s": round(import_s, 1),
                "import_rels_per_s": round(n / import_s),
                "edge_batches_s": [round(t, 2) for t in timings["analysis"]],
                "edge_batches_per_s": round(n / best),
                "edge_batches_all_columns_per_s": round(n / statistics.median(timings["all"])),
                "row_streaming_per_s": round(len(rows) / rows_s),
                "speedup": round((n / best) / (len(rows) / rows_s), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
