"""The Neo4j transactional load beside its floor, in one run on one server.

    python -m benchmarks.neo4j_datapath --users 100000 --users 1000000

For each size: generate (fixed seed) and start a Neo4j of the benchmark's own (heap and page
cache as given); load users, groups, memberships and referrals (``load_files``, the path of
``graphsvc load``), then the interactions alone, timed from the CSV file to committed
relationships and ledger (events/s and relationships/s); load the interactions again (adds
nothing: the ledger read and compared); then two **floors** on the same relationships (up to
FLOOR_SAMPLE of them, read back with their endpoints' node ids), statements of 50k
relationships in transactions of about as many relationships as the load's, each deleted
after: bare — ``UNWIND … MATCH … WHERE id(a) = … CREATE (a)-[:FLOOR {kind, count,
weight}]->(b)`` — and with the same properties as ours (``SET f = row.properties``), neither
reading, aggregating nor keeping fingerprints. Then extraction (``edge_batches`` of the
columns analysis reads) beside a bare ``MATCH … RETURN`` of the endpoints' node ids, and the
write-back of the full analysis (``write_run``: user results, communities and their links,
groups, published; ``write_workers`` transactions in flight) beside a bare ``UNWIND … CREATE``
of nodes with the same user properties and as many transactions in flight, without an index and
with the same constraint and indexes as the user results, and a bare ``UNWIND … CREATE`` of
the run's ``IN_COMMUNITY`` links by node ids; and the prune of that run.
Figures go to
``benchmarks/neo4j_datapath_results.json``.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.neo4j_bench import neo4j_server
from graphsvc import synth
from graphsvc.analysis.pipeline import run_pipeline
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.snapshot import ANALYSIS_COLUMNS, build_snapshot
from graphsvc.model import (
    USER_RESULT_COLUMNS,
    AnalysisParams,
    EdgeKind,
    Entity,
    RunInfo,
    RunResult,
    UserResults,
)
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.neo4j.runs import RESULT_BATCH, user_result_batches
from graphsvc.store.neo4j.writes import EVENTS_PER_TX, WRITE_CHUNK

HERE = Path(__file__).resolve().parent

FLOOR_SAMPLE = 1_000_000  # relationships the floors create, at most
_ENDPOINTS = """
MATCH (a)-[r:INTERACTED]->(b) WITH a, b, r LIMIT $n
RETURN collect([id(a), id(b), properties(r)])"""
_FLOOR_BARE = """
UNWIND $rows AS row
MATCH (a:User), (b:User) WHERE id(a) = row[0] AND id(b) = row[1]
CREATE (a)-[:FLOOR {kind: row[2].kind, count: 1, weight: 1.0}]->(b)"""
_FLOOR_SAME = """
UNWIND $rows AS row
MATCH (a:User), (b:User) WHERE id(a) = row[0] AND id(b) = row[1]
CREATE (a)-[f:FLOOR]->(b) SET f = row[2]"""
_BARE_EXTRACT = "MATCH (a)-[:INTERACTED]->(b) RETURN collect(id(a)) AS a, collect(id(b)) AS b"
_BARE_EXTRACT_COLUMNS = """
MATCH (a)-[r:INTERACTED]->(b)
RETURN collect(id(a)) AS a, collect(id(b)) AS b, collect(r.kind) AS kind,
       collect(r.count) AS count, collect(r.weight) AS weight, collect(r.days) AS days"""
_BARE_RESULTS = f"""
UNWIND range(0, size($cols.user_id) - 1) AS i
CREATE (:FloorResult {{run_id: $run, user_id: $cols.user_id[i],
                      {", ".join(f"{name}: $cols.{name}[i]" for name in USER_RESULT_COLUMNS)}}})"""
_LINK_PAIRS = """
MATCH (u:User)-[:IN_COMMUNITY]->(c:Community {run_id: $run})
WITH u, c ORDER BY c.community_id
RETURN collect([id(u), id(c)]) AS pairs"""
_BARE_LINKS = """
UNWIND $pairs AS pair
MATCH (u:User), (c:Community) WHERE id(u) = pair[0] AND id(c) = pair[1]
CREATE (u)-[:FLOOR_IN]->(c)"""
_DROP = "MATCH ()-[r:FLOOR]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS"
# the user results' own constraint and indexes (schema.cypher), on the floor's label
_FLOOR_INDEXES = (
    "CREATE CONSTRAINT floor_unique FOR (r:FloorResult) REQUIRE (r.run_id, r.user_id) IS UNIQUE",
    "CREATE INDEX floor_rank FOR (r:FloorResult) ON (r.run_id, r.influence_rank)",
    "CREATE INDEX floor_community FOR (r:FloorResult) ON (r.run_id, r.community_id)",
    "CREATE INDEX floor_tier FOR (r:FloorResult) ON (r.run_id, r.tier)",
)


def measure(data: Path, store: Neo4jStore) -> dict[str, Any]:
    files = discover(data)
    interactions = {Entity.INTERACTIONS: files.pop(Entity.INTERACTIONS)}
    store.init_schema()
    figures: dict[str, Any] = {}
    t0 = time.perf_counter()
    load_files(files, store)
    figures["load_others_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    report = load_files(interactions, store)
    seconds = time.perf_counter() - t0
    counts = store.counts()
    events, rels = counts["interaction_events"], counts["interactions"]
    assert report[Entity.INTERACTIONS].written == events, (report, counts)
    figures |= {
        "events": events,
        "relationships": rels,
        "load_interactions_s": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "relationships_per_s": round(rels / seconds),
        "ledger_nodes": store.session.value("MATCH (l:EventLedger) RETURN count(l)"),
    }
    t0 = time.perf_counter()
    again = load_files(interactions, store)[Entity.INTERACTIONS].written
    figures["reload_s"] = round(time.perf_counter() - t0, 2)
    assert again == 0, again
    assert store.counts() == counts, store.counts()

    rows = store.session.value(_ENDPOINTS, n=FLOOR_SAMPLE)
    per_tx = max(1, round(EVENTS_PER_TX * rels / max(events, 1)))  # the load's transactions
    for name, statement in (("floor_bare", _FLOOR_BARE), ("floor_same_properties", _FLOOR_SAME)):
        rate = _create_rate(store, statement, rows, per_tx)
        figures[f"{name}_relationships_per_s"] = round(rate)
        figures[f"vs_{name}"] = round(figures["relationships_per_s"] / rate, 2)
    figures["floor_sample"] = len(rows)
    return figures | extraction(store) | write_back(store)


def extraction(store: Neo4jStore) -> dict[str, Any]:
    """``edge_batches`` of the columns analysis reads (as ``build_snapshot`` does), beside a
    bare ``MATCH … RETURN`` of the endpoints' node ids as two columns, and of those and the
    same four property columns (one query, one thread, node ids not mapped to uids)."""
    t0 = time.perf_counter()
    edges = sum(
        len(b.src)
        for b in store.edge_batches(
            EdgeKind.INTERACTED, columns=ANALYSIS_COLUMNS[EdgeKind.INTERACTED]
        )
    )
    ours = time.perf_counter() - t0
    figures = {"extract_s": round(ours, 2), "extract_edges_per_s": round(edges / ours)}
    for name, statement in (("ids", _BARE_EXTRACT), ("same_columns", _BARE_EXTRACT_COLUMNS)):
        t0 = time.perf_counter()
        columns = store.session.rows(statement)[0]
        floor = time.perf_counter() - t0
        assert len(columns["a"]) == edges, (len(columns["a"]), edges)
        figures[f"extract_floor_{name}_edges_per_s"] = round(edges / floor)
        figures[f"extract_vs_floor_{name}"] = round(floor / ours, 2)
    return figures


def write_back(store: Neo4jStore) -> dict[str, Any]:
    """``write_run`` of the full analysis, beside a bare ``UNWIND … CREATE`` of nodes with the
    same properties (no community links, no publishing), as many transactions in flight,
    deleted after: without an index, and with the user results' constraint and indexes. Then
    the run is pruned, as the write of a run ``keep_runs`` later prunes it."""
    params = AnalysisParams()
    snapshot = build_snapshot(store)
    output = run_pipeline(snapshot, params)
    now = time.time()
    info = RunInfo("run-datapath", now, now, params.as_dict(), output.stats, "datapath")
    t0 = time.perf_counter()
    store.write_run(RunResult(info, output.users, output.communities, output.groups))
    ours = time.perf_counter() - t0
    users = len(output.users.user_id)
    floor = _bare_results(store, output.users)
    for statement in _FLOOR_INDEXES:
        store.session.autocommit(statement)
    store.session.autocommit("CALL db.awaitIndexes(300)")
    indexed = _bare_results(store, output.users)
    for statement in _FLOOR_INDEXES:
        store.session.autocommit(f"DROP {statement.split()[1]} {statement.split()[2]}")
    links = _bare_links(store, info.run_id)
    t0 = time.perf_counter()
    store._delete_runs([info.run_id])
    prune = time.perf_counter() - t0
    return {
        "write_back_s": round(ours, 2),
        "write_back_users_per_s": round(users / ours),
        "write_workers": store.write_workers,
        "write_back_floor_s": round(floor, 2),
        "write_back_floor_users_per_s": round(users / floor),
        "write_back_vs_floor": round(floor / ours, 2),
        "write_back_floor_indexed_s": round(indexed, 2),
        "write_back_floor_indexed_users_per_s": round(users / indexed),
        "write_back_vs_floor_indexed": round(indexed / ours, 2),
        "links_floor_s": round(links, 2),
        "write_back_vs_floor_indexed_with_links": round((indexed + links) / ours, 2),
        "prune_run_s": round(prune, 2),
    }


def _bare_results(store: Neo4jStore, users: UserResults) -> float:
    """Seconds to create the result nodes by a bare ``UNWIND … CREATE``, then deleted."""
    t0 = time.perf_counter()
    store.session.write_batches(
        _BARE_RESULTS, user_result_batches(users), store.write_workers, run="floor"
    )
    seconds = time.perf_counter() - t0
    store.session.autocommit(
        "MATCH (n:FloorResult) CALL (n) { DELETE n } IN TRANSACTIONS OF 50000 ROWS"
    )
    return seconds


def _bare_links(store: Neo4jStore, run_id: str) -> float:
    """Seconds to create one relationship from each user to its community of ``run_id`` (as
    ``IN_COMMUNITY``) by a bare ``UNWIND … CREATE`` of node-id pairs in community order, as
    many transactions in flight as a run's write, then deleted."""
    pairs = store.session.rows(_LINK_PAIRS, run=run_id)[0]["pairs"]
    batches = (
        {"pairs": pairs[lo : lo + RESULT_BATCH]} for lo in range(0, len(pairs), RESULT_BATCH)
    )
    t0 = time.perf_counter()
    store.session.write_batches(_BARE_LINKS, batches, store.write_workers)
    seconds = time.perf_counter() - t0
    store.session.autocommit(
        "MATCH ()-[r:FLOOR_IN]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS"
    )
    return seconds


def _create_rate(store: Neo4jStore, statement: str, rows: list, per_tx: int) -> float:
    """Relationships per second ``statement`` creates from ``rows``, then deleted."""
    t0 = time.perf_counter()
    for lo in range(0, len(rows), per_tx):
        part = rows[lo : lo + per_tx]

        def create(tx: Any, part: list = part) -> None:
            for at in range(0, len(part), WRITE_CHUNK):
                tx.run(statement, rows=part[at : at + WRITE_CHUNK]).consume()

        store.session.write(create)
    rate = len(rows) / (time.perf_counter() - t0)
    store.session.autocommit(_DROP)
    return rate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, action="append", help="sizes (repeatable)")
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--out", type=Path, default=HERE / "neo4j_datapath_results.json")
    args = parser.parse_args(argv)
    results = {}
    for users in args.users or [100_000]:
        with tempfile.TemporaryDirectory(prefix="neo4j-datapath-") as tmp:
            data = Path(tmp) / "data"
            synth.generate(data, users=users, seed=1)
            with neo4j_server(Path(tmp) / "home", args.heap, args.pagecache) as instance:
                store = Neo4jStore(instance.uri, "neo4j", instance.password)
                try:
                    results[str(users)] = measure(data, store)
                finally:
                    store.close()
        print(json.dumps({users: results[str(users)]}), flush=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
