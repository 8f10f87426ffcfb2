"""The Neo4j path and its baselines: naive per-edge Cypher (``neo4j_load.measure``), the store's
batched load, extraction and write-back, and Neo4j GDS PageRank/Leiden/Louvain on the same
graph, projection included, compared by rank and modularity with igraph's results."""

from __future__ import annotations

__all__ = [
    "GDS_GRAPH",
    "PROJECT_ATTENTION",
    "gds_compare",
    "load_neo4j",
    "naive_load",
    "neo4j_server",
]

import argparse
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import psutil

from benchmarks import neo4j_load
from benchmarks.api_load import free_port
from benchmarks.compare import rank_agreement
from benchmarks.embedded import Analysis
from benchmarks.measure import summarize
from benchmarks.suite import Bench
from graphsvc.admin.local import LocalInstance
from graphsvc.ingest import discover, load_files
from graphsvc.model import DEFAULT_KIND_WEIGHTS, InteractionKind
from graphsvc.store.neo4j import Neo4jStore

GDS_GRAPH = "graphsvc_bench"

# The attention graph of DESIGN §4 (linear count transform): an interaction weighs its kind's
# weight ($kinds by kind code) × its summed event weight; a referral points from the invitee
# to the inviter.
PROJECT_ATTENTION = """
MATCH (a:User)-[r:INTERACTED|REFERRED]->(b:User)
WITH type(r) = 'REFERRED' AS ref, a, b, r
WITH CASE WHEN ref THEN b ELSE a END AS s, CASE WHEN ref THEN a ELSE b END AS t,
     CASE WHEN ref THEN $referral ELSE $kinds[r.kind] * r.weight END AS w
WITH gds.graph.project($name, s, t, {relationshipProperties: {w: w}}, $config) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS rels"""
_PAGERANK = """
CALL gds.pageRank.write($name, {relationshipWeightProperty: 'w', dampingFactor: $damping,
  maxIterations: 1000, tolerance: 1e-7, concurrency: 1, writeProperty: 'gds_pagerank'})
YIELD ranIterations, didConverge, computeMillis, writeMillis
RETURN ranIterations, didConverge, computeMillis, writeMillis"""
_LEIDEN = """
CALL gds.leiden.write($name, {relationshipWeightProperty: 'w', gamma: $resolution,
  randomSeed: $seed, concurrency: 1, writeProperty: 'gds_leiden'})
YIELD modularity, communityCount, ranLevels, computeMillis, writeMillis
RETURN modularity, communityCount, ranLevels, computeMillis, writeMillis"""
_LOUVAIN = """
CALL gds.louvain.stats($name, {relationshipWeightProperty: 'w', concurrency: 1})
YIELD modularity, communityCount, computeMillis
RETURN modularity, communityCount, computeMillis"""


@contextmanager
def neo4j_server(home: Path, heap: str, pagecache: str) -> Iterator[LocalInstance]:
    """A Neo4j home of the benchmark's own (GDS on, free Bolt port), stopped at the end."""
    os.environ["NEO4J_HEAP"], os.environ["NEO4J_PAGECACHE"] = heap, pagecache
    instance = LocalInstance(home, free_port(), gds=True)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def server_facts(instance: LocalInstance) -> dict[str, Any]:
    """Versions of the server and GDS, and the JVM's resident memory now."""
    with _driver(instance) as driver:
        rows, _, _ = driver.execute_query(
            "CALL dbms.components() YIELD versions, edition "
            "RETURN versions[0] AS neo4j, edition, gds.version() AS gds"
        )
    pid = int((instance.home / "run/neo4j.pid").read_text().split()[0])
    return {**rows[0].data(), "jvm_rss_mb": psutil.Process(pid).memory_info().rss / 2**20}


def _driver(instance: LocalInstance) -> neo4j.Driver:
    return neo4j.GraphDatabase.driver(instance.uri, auth=("neo4j", instance.password))


def naive_load(bench: Bench, store: Neo4jStore, sample: int, batched: int) -> None:
    """Baseline ``naive_cypher``: neo4j_load.measure (one auto-commit statement per edge on
    ``sample`` edges, against the store's batched path on ``batched`` more), on its random
    graph over as many users as this size. Wipes the database."""
    args = argparse.Namespace(batch=50_000, naive_sample=sample, ceiling_sample=batched)
    runs = []
    for _ in range(bench.times(heavy=True)):
        ids, events = neo4j_load.make_events(bench.users, sample + batched, bench.seed)
        runs.append(neo4j_load.measure(store, ids, events, args))
    keys = ("naive_rels_per_s", "batched_rels_per_s", "speedup")
    value = {key: summarize([float(r[key]) for r in runs]) for key in keys}
    bench.results.put(bench.users, "baselines", "naive_cypher", {**value, "runs": runs})


def load_neo4j(bench: Bench, store: Neo4jStore, data: Path) -> None:
    """Stage ``load.neo4j``: ``load_files`` into the wiped database (batched UNWIND
    transactions, the path of ``graphsvc load``); rate in interaction events/s."""

    def load() -> dict[str, int]:
        store.wipe()
        store.init_schema()
        load_files(discover(data), store)
        return store.counts()

    bench.timed(
        "load.neo4j", load, heavy=True, items=lambda c: c["interaction_events"], unit="events"
    )


def _call(session: neo4j.Session, query: str, **params: Any) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    row = session.run(query, **params).single()
    return time.perf_counter() - t0, row.data() if row else {}


def _gds_round(session: neo4j.Session, bench: Bench) -> dict[str, tuple[float, dict]]:
    p = bench.params
    kinds = [p.kind_weights.get(k.value, DEFAULT_KIND_WEIGHTS[k.value]) for k in InteractionKind]
    weights = {"kinds": kinds, "referral": float(p.referral_weight)}
    out = {}
    for name, config in (("directed", {}), ("undirected", {"undirectedRelationshipTypes": ["*"]})):
        session.run("CALL gds.graph.drop($name, false) YIELD graphName", name=name).consume()
        out[f"project_{name}"] = _call(
            session, PROJECT_ATTENTION, name=name, config=config, **weights
        )
    out["pagerank_write"] = _call(session, _PAGERANK, name="directed", damping=p.damping)
    out["leiden_write"] = _call(
        session, _LEIDEN, name="undirected", resolution=p.resolution, seed=p.seed
    )
    out["louvain_stats"] = _call(session, _LOUVAIN, name="undirected")
    for name in ("directed", "undirected"):
        session.run("CALL gds.graph.drop($name, false) YIELD graphName", name=name).consume()
    return out


def gds_compare(bench: Bench, instance: LocalInstance, ours: Analysis) -> None:
    """Baseline ``gds``: Cypher projections of the attention graph (directed for PageRank,
    UNDIRECTED for Leiden/Louvain), ``gds.pageRank.write``, ``gds.leiden.write``,
    ``gds.louvain.stats``, all at concurrency 1, ``bench.repeat`` times; then GDS PageRank
    ranks against ours (top-20 overlap, Spearman over the users GDS projected) and modularity.
    """
    with _driver(instance) as driver, driver.session() as session:
        rounds = [_gds_round(session, bench) for _ in range(bench.repeat)]
        row = session.run(
            "MATCH (u:User) WHERE u.gds_pagerank IS NOT NULL "
            "RETURN collect(u.user_id) AS ids, collect(u.gds_pagerank) AS pr"
        ).single()
    user_ids = np.asarray(ours.output.users.user_id).astype(str)
    pos = np.searchsorted(user_ids, np.asarray(row["ids"], dtype=str))
    last = rounds[-1]
    value: dict[str, Any] = {
        step: {
            "seconds": summarize([r[step][0] for r in rounds]),
            "compute_ms": summarize([float(r[step][1].get("computeMillis", 0)) for r in rounds]),
        }
        for step in last
    }
    value.update(
        projected_nodes=last["project_directed"][1]["nodes"],
        projected_rels=last["project_directed"][1]["rels"],
        pagerank=last["pagerank_write"][1],
        leiden=last["leiden_write"][1],
        louvain=last["louvain_stats"][1],
        rank_agreement=rank_agreement(ours.influence[pos], np.asarray(row["pr"], dtype=float)),
        server=server_facts(instance),
    )
    bench.results.put(bench.users, "baselines", "gds", value)
