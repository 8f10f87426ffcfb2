"""Load throughput into Neo4j: one statement per edge, batched UNWIND…MERGE (Neo4jStore), and
the first load by bulk import (``graphsvc db import``), on the same graph in the same run.

All loads run in the same process against the same server — a Neo4j home of its own on
``--port`` (started with ``scripts/neo4j``, heap 1g, page cache 512m, like the dev server, and
stopped at the end; ``--uri`` uses a running server instead, wipes it, and skips the bulk
import) — on a random interaction graph: ``--users`` users, ``--edges`` events between
distinct (src, dst, kind) triples, so every event makes one INTERACTED relationship. The naive
load (one auto-commit statement per edge, the same MERGE and event-key bookkeeping) runs on a
sample of ``--naive-sample`` edges, the batched load on the rest. The bulk import then loads
the whole graph again from input files (users.csv, interactions.csv), end to end — read and
validate, write the import files, stop the server, import, start, schema — replacing the
database, and its stages are reported apart. Prints one JSON object.

    python benchmarks/neo4j_load.py --users 100000 --edges 1000000 --port 7704
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from graphsvc.admin.bulk_import import bulk_import
from graphsvc.admin.local import LocalInstance
from graphsvc.model import Entity, Interaction, InteractionKind, event_key
from graphsvc.store.neo4j import Neo4jStore, open_neo4j

KINDS = list(InteractionKind)

NAIVE = """
MATCH (a:User {user_id: $s})
MATCH (b:User {user_id: $d})
MERGE (a)-[r:INTERACTED {kind: $k}]->(b)
  ON CREATE SET r.count = 0, r.weight = 0.0, r.event_keys = []
WITH r WHERE NOT $key IN r.event_keys
SET r.count = r.count + 1, r.weight = r.weight + $w,
    r.first_at = CASE WHEN r.first_at IS NULL OR $at < r.first_at THEN $at ELSE r.first_at END,
    r.last_at = CASE WHEN r.last_at IS NULL OR $at > r.last_at THEN $at ELSE r.last_at END,
    r.event_keys = r.event_keys + $key"""


CEILING = """
UNWIND $rows AS row
MATCH (a:User {user_id: row.s})
MATCH (b:User {user_id: row.d})
CREATE (a)-[:BENCH_CREATE {kind: row.k, count: 1, weight: 1.0}]->(b)"""


def make_events(users: int, edges: int, seed: int) -> tuple[list[str], list[Interaction]]:
    rng = np.random.default_rng(seed)
    ids = [f"u{i:07d}" for i in range(users)]
    # Distinct (src, dst, kind) triples, drawn with replacement and deduplicated.
    triples = np.unique(
        np.stack(
            [
                rng.integers(0, users, int(edges * 1.05)),
                rng.integers(0, users, int(edges * 1.05)),
                rng.integers(0, len(KINDS), int(edges * 1.05)),
            ],
            axis=1,
        ),
        axis=0,
    )
    triples = triples[triples[:, 0] != triples[:, 1]]
    triples = triples[rng.permutation(len(triples))[:edges]]
    times = rng.integers(1_600_000_000, 1_700_000_000, len(triples))
    events = []
    for (s, d, k), t in zip(triples.tolist(), times.tolist(), strict=True):
        kind = KINDS[k]
        events.append(
            Interaction(ids[s], ids[d], kind, t, 1.0, event_key(ids[s], ids[d], kind, t, 0))
        )
    return ids, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", help="a running server to use (it is wiped!)")
    parser.add_argument("--port", type=int, default=7695)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--naive-sample", type=int, default=5_000)
    parser.add_argument("--ceiling-sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ids, events = make_events(args.users, args.edges, args.seed)
    with tempfile.TemporaryDirectory(prefix="neo4j-load-") as tmp:
        instance = None
        if args.uri:
            store: Neo4jStore = open_neo4j(args.uri)
        else:
            instance = LocalInstance(Path(tmp) / "home", args.port)
            instance.start()
            store = Neo4jStore(instance.uri, "neo4j", instance.password)
        try:
            report = measure(store, ids, events, args)
            if instance is not None:
                report |= measure_bulk(store, instance, ids, events, Path(tmp))
        finally:
            store.close()
            if instance is not None:
                instance.stop()
    print(json.dumps(report, indent=2))


def measure(store: Neo4jStore, ids: list[str], events: list[Interaction], args) -> dict:
    store.wipe()
    store.init_schema()
    t0 = time.perf_counter()
    for lo in range(0, len(ids), args.batch):
        store.ensure_users(ids[lo : lo + args.batch])
    users_s = time.perf_counter() - t0

    # Naive: one auto-commit statement per edge, on the first sample of edges.
    sample, rest = events[: args.naive_sample], events[args.naive_sample :]
    t0 = time.perf_counter()
    with store.session.session(database=store.database) as session:
        for e in sample:
            session.run(
                NAIVE,
                s=e.src_id,
                d=e.dst_id,
                k=e.kind.code,
                key=e.key,
                w=e.weight,
                at=e.occurred_at,
            ).consume()
    naive_s = time.perf_counter() - t0

    # Batched: the store's own path (what `graphsvc load` does), one transaction per batch.
    t0 = time.perf_counter()
    added = 0
    for lo in range(0, len(rest), args.batch):
        added += store.add_interactions(rest[lo : lo + args.batch])
    batched_s = time.perf_counter() - t0

    # Reloading the same events adds nothing (event keys), and is measured too.
    t0 = time.perf_counter()
    again = sum(
        store.add_interactions(rest[lo : lo + args.batch])
        for lo in range(0, min(len(rest), 200_000), args.batch)
    )
    reload_s = time.perf_counter() - t0
    # Context: the bare UNWIND…CREATE ceiling (no MERGE, no event keys) on a sample.
    ceiling = rest[: args.ceiling_sample]
    rows = [{"s": e.src_id, "d": e.dst_id, "k": e.kind.code} for e in ceiling]
    t0 = time.perf_counter()
    with store.session.session(database=store.database) as session:
        for lo in range(0, len(rows), args.batch):
            chunk = rows[lo : lo + args.batch]
            session.execute_write(lambda tx, chunk=chunk: tx.run(CEILING, rows=chunk).consume())
    ceiling_s = time.perf_counter() - t0
    store.session.autocommit(
        "MATCH ()-[r:BENCH_CREATE]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS"
    )
    counts = store.counts()
    assert added == len(rest), added
    assert again == 0, again
    assert counts["interactions"] == len(events), counts

    naive_rate = len(sample) / naive_s
    batched_rate = len(rest) / batched_s
    return {
        "users": len(ids),
        "users_per_s": round(len(ids) / users_s),
        "naive_edges": len(sample),
        "naive_rels_per_s": round(naive_rate),
        "batched_edges": len(rest),
        "batch_size": args.batch,
        "batched_rels_per_s": round(batched_rate),
        "speedup": round(batched_rate / naive_rate, 1),
        "reload_known_events_per_s": round(min(len(rest), 200_000) / reload_s),
        "bare_create_rels_per_s": round(len(ceiling) / ceiling_s),
    }


def write_inputs(directory: Path, ids: list[str], events: list[Interaction]) -> dict[Entity, Path]:
    """The graph as graphsvc input files: users.csv and interactions.csv."""
    users, interactions = directory / "users.csv", directory / "interactions.csv"
    with users.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["user_id"], *([i] for i in ids)])
    with interactions.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["src_id", "dst_id", "kind", "occurred_at", "weight"])
        out.writerows((e.src_id, e.dst_id, e.kind, e.occurred_at, e.weight) for e in events)
    return {Entity.USERS: users, Entity.INTERACTIONS: interactions}


def measure_bulk(
    store: Neo4jStore,
    instance: LocalInstance,
    ids: list[str],
    events: list[Interaction],
    directory: Path,
) -> dict:
    """The first load by bulk import, end to end from input files: the job of ``graphsvc db
    import --overwrite``, replacing what the transactional loads wrote."""
    files = write_inputs(directory, ids, events)
    report = bulk_import(files, store, instance, overwrite=True)
    counts = store.counts()
    assert counts["users"] == len(ids), counts
    assert counts["interactions"] == counts["interaction_events"] == len(events), counts
    # Incremental loads after the import stay idempotent: the imported events are known.
    sample = events[:100_000]
    again = sum(
        store.add_interactions(sample[lo : lo + 50_000]) for lo in range(0, len(sample), 50_000)
    )
    assert again == 0, again
    seconds, rels = report.seconds, report.relationships
    return {
        "bulk_relationships": rels,
        "bulk_seconds": round(seconds, 1),
        "bulk_rels_per_s": round(rels / seconds),
        "bulk_stages_s": {name: round(s, 1) for name, s in report.stages.items()},
        "bulk_import_stage_rels_per_s": round(rels / report.stages["import"]),
    }


if __name__ == "__main__":
    main()
