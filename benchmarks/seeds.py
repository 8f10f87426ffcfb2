"""Campaign seeding: IMM at scale, against CELF on a sample it can finish and against Neo4j GDS
CELF (``gds.influenceMaximization.celf``), each baseline measured in the same run.

    python -m benchmarks.seeds --users 280000 --repeat 3 --results benchmarks/results.json

Stages (medians of ``--repeat``): ``seeds.imm`` and ``seeds.imm_lt`` (k = 50 on the whole
attention graph, independent cascade with weighted-cascade probabilities, and linear
threshold); on a snowball sample of ``--sample`` users: ``seeds.celf_sample`` (CyNetDiff's
simulations, ``--celf-runs`` per gain) and ``seeds.imm_sample``, both seed sets then simulated
10,000 times; and with a Neo4j (``--neo4j-uri``, GDS on) ``seeds.gds_celf`` against
``seeds.imm_uniform`` under the one model GDS has (uniform p).
"""

from __future__ import annotations

__all__ = ["measure_seeds", "snowball"]

import argparse
import os
import time
from pathlib import Path
from typing import Any

import igraph as ig
import neo4j
import numpy as np

from benchmarks.suite import Bench
from graphsvc.analysis.graphs import EdgeList, attention_graph
from graphsvc.analysis.influence import imm, influence_graph
from graphsvc.analysis.influence.celf import celf
from graphsvc.analysis.influence.graph import InfluenceGraph
from graphsvc.analysis.influence.simulate import simulate_spread
from graphsvc.model import GraphSnapshot

K = 50
SIMULATIONS = 10_000


def snowball(attention: EdgeList, size: int, seed: int) -> EdgeList:
    """The attention graph induced on ``size`` users met breadth-first (both directions) from
    a random one: a connected piece with the graph's local structure."""
    graph = ig.Graph(n=attention.n, edges=np.column_stack((attention.src, attention.dst)))
    root = int(np.random.default_rng(seed).integers(attention.n))
    order = np.asarray(graph.bfs(root, mode="all")[0])[:size]
    position = np.full(attention.n, -1)
    position[order] = np.arange(len(order))
    keep = (position[attention.src] >= 0) & (position[attention.dst] >= 0)
    return EdgeList.build(
        len(order),
        position[attention.src[keep]],
        position[attention.dst[keep]],
        attention.weight[keep],
    )


def _spread(graph: InfluenceGraph, seeds: np.ndarray, model: str = "ic") -> float:
    return simulate_spread(graph, seeds, model, SIMULATIONS, seed=7).mean


def _gds_celf(uri: str, password: str, graph: InfluenceGraph, p: float, runs: int, bench: Bench):
    """GDS CELF on ``graph`` loaded as (:SeedBench)-[:INFLUENCES]->(:SeedBench); returns
    seconds per run (projection apart), its seeds and the server's compute time."""
    driver = neo4j.GraphDatabase.driver(uri, auth=("neo4j", password))
    wipe = "MATCH (n:SeedBench) CALL (n) { DETACH DELETE n } IN TRANSACTIONS"
    try:
        with driver.session() as session:  # IN TRANSACTIONS needs an auto-commit transaction
            session.run(wipe).consume()
        driver.execute_query("UNWIND range(0, $n - 1) AS i CREATE (:SeedBench {i: i})", n=graph.n)
        driver.execute_query("CREATE INDEX seedbench IF NOT EXISTS FOR (n:SeedBench) ON (n.i)")
        rows = [[int(a), int(b)] for a, b in zip(graph.src, graph.dst, strict=True)]
        for lo in range(0, len(rows), 50_000):
            driver.execute_query(
                "UNWIND $rows AS r MATCH (a:SeedBench {i: r[0]}), (b:SeedBench {i: r[1]}) "
                "CREATE (a)-[:INFLUENCES]->(b)",
                rows=rows[lo : lo + 50_000],
            )
        driver.execute_query("CALL gds.graph.drop('seedbench', false)")
        driver.execute_query("CALL gds.graph.project('seedbench', 'SeedBench', 'INFLUENCES')")
        config = {
            "seedSetSize": K,
            "monteCarloSimulations": runs,
            "propagationProbability": p,
            "randomSeed": bench.seed,
            "concurrency": 1,
        }
        seconds, seeds = [], np.zeros(0)
        for _ in range(bench.times(heavy=True)):
            started = time.perf_counter()
            records = driver.execute_query(
                "CALL gds.influenceMaximization.celf.stream('seedbench', $config) "
                "YIELD nodeId, spread RETURN gds.util.asNode(nodeId).i AS i, spread",
                config=config,
            ).records
            seconds.append(time.perf_counter() - started)
            seeds = np.array([r["i"] for r in records], dtype=np.int64)
        driver.execute_query("CALL gds.graph.drop('seedbench', false)")
        with driver.session() as session:
            session.run(wipe).consume()
        return seconds, seeds
    finally:
        driver.close()


def measure_seeds(
    bench: Bench,
    snapshot: GraphSnapshot,
    *,
    sample: int = 3000,
    celf_runs: int = 1000,
    neo4j_uri: str | None = None,
    neo4j_password: str = "graphsvc-dev",
) -> None:
    """Every ``seeds.*`` stage and the facts comparing them (see the module docstring)."""
    attention = attention_graph(snapshot, bench.params)
    graph = influence_graph(attention)
    ours = bench.timed(
        "seeds.imm", lambda: imm(graph, K, seed=bench.seed), items=lambda r: K, unit="seeds"
    )
    lt = bench.timed("seeds.imm_lt", lambda: imm(graph, K, model="lt", seed=bench.seed))
    facts: dict[str, Any] = {
        "edges": graph.m,
        "users": graph.n,
        "imm": {
            "theta": ours.theta,
            "rr_sets": ours.sampled,
            "epsilon": ours.epsilon,
            "lower_bound": ours.lower_bound,
            "estimated_spread": ours.spread.spread[-1],
            "simulated_spread": _spread(graph, ours.seeds),
        },
        "imm_lt": {
            "theta": lt.theta,
            "estimated_spread": lt.spread.spread[-1],
            "simulated_spread": _spread(graph, lt.seeds, "lt"),
        },
    }
    small = influence_graph(snowball(attention, sample, bench.seed))
    ref = bench.timed(
        "seeds.celf_sample", lambda: celf(small, K, runs=celf_runs, seed=bench.seed), heavy=True
    )
    fast = bench.timed("seeds.imm_sample", lambda: imm(small, K, seed=bench.seed))
    stages = bench.results.data["sizes"][str(bench.users)]["stages"]
    median = {name: stages[name]["seconds"]["median"] for name in stages}
    facts["sample"] = {
        "users": small.n,
        "edges": small.m,
        "celf_runs": celf_runs,
        "celf_evaluations": ref.evaluations,
        "celf_spread": _spread(small, ref.seeds),
        "imm_spread": _spread(small, fast.seeds),
        "speedup": median["seeds.celf_sample"] / median["seeds.imm_sample"],
    }
    facts["sample"]["spread_ratio"] = facts["sample"]["imm_spread"] / facts["sample"]["celf_spread"]
    if neo4j_uri:
        p = 0.05
        uniform = influence_graph(snowball(attention, sample, bench.seed), "uniform", p=p)
        mine = bench.timed("seeds.imm_uniform", lambda: imm(uniform, K, seed=bench.seed))
        seconds, theirs = _gds_celf(neo4j_uri, neo4j_password, uniform, p, 100, bench)
        bench.results.put(bench.users, "baselines", "gds_celf", {"seconds": seconds})
        ours_s = bench.results.data["sizes"][str(bench.users)]["stages"]["seeds.imm_uniform"]
        facts["gds"] = {
            "p": p,
            "monte_carlo": 100,
            "gds_seconds_median": float(np.median(seconds)),
            "speedup": float(np.median(seconds)) / ours_s["seconds"]["median"],
            "gds_spread": _spread(uniform, theirs),
            "imm_spread": _spread(uniform, mine.seeds),
        }
    bench.results.put(bench.users, "facts", "seeds", facts)


def main() -> None:
    from benchmarks.results import Results
    from graphsvc import synth
    from graphsvc.ingest import discover, load_files
    from graphsvc.jobs.snapshot import build_snapshot
    from graphsvc.model import AnalysisParams
    from graphsvc.store.sqlite import SqliteStore

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=280_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sample", type=int, default=3000)
    p.add_argument("--celf-runs", type=int, default=1000)
    p.add_argument("--work", type=Path, default=Path("benchmarks/out/work/seeds"))
    p.add_argument("--results", type=Path, default=Path("benchmarks/out/results.json"))
    p.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI"))
    p.add_argument("--neo4j-password", default=os.environ.get("NEO4J_PASSWORD", "graphsvc-dev"))
    args = p.parse_args()
    work = args.work / str(args.users)
    db = work / "g.db"
    if not db.exists():  # generated and loaded once; later runs measure on the same file
        synth.generate(work / "data", users=args.users, seed=args.seed)
        with SqliteStore(db) as store:
            store.init_schema()
            load_files(discover(work / "data"), store)
    with SqliteStore(db) as store:
        snapshot = build_snapshot(store)
    results = Results(args.results)
    bench = Bench(
        results, args.users, args.seed, args.repeat, 1, True, work, AnalysisParams(seed=args.seed)
    )
    measure_seeds(
        bench,
        snapshot,
        sample=args.sample,
        celf_runs=args.celf_runs,
        neo4j_uri=args.neo4j_uri,
        neo4j_password=args.neo4j_password,
    )
    print(results.data["sizes"][str(args.users)]["facts"]["seeds"])


if __name__ == "__main__":
    main()
