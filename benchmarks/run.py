"""Benchmark graphsvc end to end on generated data, with its baselines in the same run.

    python -m benchmarks.run --sizes 10k,100k,1m --repeat 3 --out benchmarks/out

Per size (users): generate (fixed seed), load into SQLite and into a Neo4j of the benchmark's
own (GDS plugin on), extract, every analysis stage, write-back, API latency under load;
baselines: networkx, naive per-edge Cypher, Neo4j GDS. Figures go to OUT/results.json after
every stage (a crash keeps them); the report (REPORT.md and plots/) is rendered from it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TypeVar

from benchmarks.api_load import ApiLoad, measure_api
from benchmarks.diff import measure_diff
from benchmarks.embedded import analyse, extract, generate, load_embedded, write_back
from benchmarks.neo4j_bench import gds_compare, load_neo4j, naive_load, neo4j_server
from benchmarks.nx_baseline import networkx_baseline
from benchmarks.refresh import measure_refresh
from benchmarks.report import render
from benchmarks.results import Results
from benchmarks.seeds import measure_seeds
from benchmarks.suite import Bench
from graphsvc.admin.local import LocalInstance
from graphsvc.model import AnalysisParams
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.sqlite import SqliteStore

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
NEO4J_STEPS = ("naive_cypher", "load.neo4j", "extract.neo4j", "write.neo4j", "gds")


def size(text: str) -> int:
    """``2k``, ``100k``, ``1m`` or a plain number of users."""
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10k,100k", help="users per size, e.g. 10k,100k,1m")
    p.add_argument("--repeat", type=int, default=3, help="runs per stage (medians reported)")
    p.add_argument("--heavy-repeat", type=int, default=1, help="runs of the minute-long stages")
    p.add_argument("--heavy-from", type=size, default=size("100k"), help="…from this size on")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--report", type=Path, default=HERE / "REPORT.md", help="plots/ beside it")
    p.add_argument("--no-neo4j", dest="neo4j", action="store_false", help="embedded store only")
    p.add_argument("--neo4j-max", type=size, default=size("1m"), help="largest size on Neo4j")
    p.add_argument("--neo4j-heap", default="4g")
    p.add_argument("--neo4j-pagecache", default="2g")
    p.add_argument("--naive-sample", type=int, default=500, help="edges loaded one by one")
    p.add_argument("--networkx-max", type=size, default=size("100k"), help="largest nx size")
    p.add_argument("--networkx-sources", type=int, default=20, help="nx betweenness k cap")
    p.add_argument("--networkx-exact-max", type=size, default=5000, help="exact nx betweenness")
    p.add_argument("--seeds-sample", type=int, default=3000, help="users CELF seeds")
    p.add_argument("--seeds-celf-runs", type=int, default=1000, help="simulations per gain")
    p.add_argument("--api-clients", type=int, default=8)
    p.add_argument("--api-requests", type=int, default=2000)
    p.add_argument("--api-seconds", type=float, default=20.0)
    return p.parse_args(argv)


def guarded(results: Results, users: int, name: str, step: Callable[[], T]) -> T | None:
    """Run an optional step and return its value; a failure is recorded as the reason it was
    not measured (and gives None)."""
    try:
        return step()
    except Exception as err:  # a failed baseline must not lose the rest of the run
        traceback.print_exc()
        results.skip(users, name, f"failed: {type(err).__name__}: {err}"[:500])
        return None


def _plan(
    args: argparse.Namespace, results: Results, users: int, neo: LocalInstance | None
) -> tuple[bool, bool]:
    """Whether networkx and the Neo4j steps run at this size; the reasons when not are recorded
    first, so that a run stopped midway still says why."""
    run_nx = users <= args.networkx_max
    if not run_nx:
        results.skip(
            users,
            "networkx",
            f"not run above {args.networkx_max:,} users (over ~10 min and ~1 kB of RAM per "
            "edge): the ratios of the largest measured size apply",
        )
    reason = None
    if neo is None:
        reason = "--no-neo4j" if not args.neo4j else "the Neo4j server did not start"
    elif users > args.neo4j_max:
        reason = f"above --neo4j-max ({args.neo4j_max:,} users)"
    for name in NEO4J_STEPS if reason else ():
        results.skip(users, name, reason)
    return run_nx, reason is None


def run_size(
    args: argparse.Namespace, results: Results, users: int, neo: LocalInstance | None
) -> None:
    """Every stage and baseline of one size; optional steps are ``guarded``."""
    work = args.out / "work" / str(users)
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(
        results,
        users,
        args.seed,
        args.repeat,
        args.heavy_repeat,
        users >= args.heavy_from,
        work,
        AnalysisParams(seed=args.seed),
    )
    run_nx, run_neo4j = _plan(args, results, users, neo)
    data = generate(bench)
    store = load_embedded(bench, data)
    snapshot = extract(bench, store, "embedded")
    ours = analyse(bench, snapshot)
    later = guarded(
        results, users, "refresh", partial(measure_refresh, bench, snapshot, ours.output)
    )
    seeds = partial(
        measure_seeds,
        bench,
        snapshot,
        sample=args.seeds_sample,
        celf_runs=args.seeds_celf_runs,
        neo4j_uri=neo.uri if neo is not None and run_neo4j else None,
        neo4j_password=neo.password if neo is not None else "",
    )
    guarded(results, users, "seeds", seeds)
    write_back(bench, store, "embedded", snapshot, ours.output)
    store.close()
    load = ApiLoad(args.api_clients, args.api_requests, args.api_seconds)
    uri = f"sqlite:///{(work / 'graphsvc.db').resolve()}"
    guarded(results, users, "api", partial(measure_api, bench, uri, load))
    if later is not None:  # after the API, which serves the first run
        with SqliteStore(work / "graphsvc.db") as store:
            guarded(results, users, "diff", partial(measure_diff, bench, store, snapshot, later))

    if run_nx:
        sources, exact_max = args.networkx_sources, args.networkx_exact_max
        step = partial(networkx_baseline, bench, ours, sources, exact_max)
        guarded(results, users, "networkx", step)
    if not run_neo4j or neo is None:
        return
    with Neo4jStore(neo.uri, "neo4j", neo.password) as nstore:
        steps = {
            "naive_cypher": partial(naive_load, bench, nstore, args.naive_sample, 20_000),
            "load.neo4j": partial(load_neo4j, bench, nstore, data),
            "extract.neo4j": partial(extract, bench, nstore, "neo4j"),
            "write.neo4j": partial(write_back, bench, nstore, "neo4j", snapshot, ours.output),
            "gds": partial(gds_compare, bench, neo, ours),
        }
        for name, step in steps.items():
            guarded(results, users, name, step)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # unwinds: the Neo4j server is stopped, the results are kept


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = [size(s) for s in args.sizes.split(",")]
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    results = Results(args.out / "results.json", {**config, "argv": sys.argv[1:]})
    with ExitStack() as stack:
        neo = None
        if args.neo4j:
            try:
                home = args.out / "work" / "neo4j-home"
                neo = stack.enter_context(
                    neo4j_server(home.resolve(), args.neo4j_heap, args.neo4j_pagecache)
                )
            except Exception:  # the embedded figures are still worth having
                traceback.print_exc()
        for users in sizes:
            print(f"benchmarks: {users:,} users", file=sys.stderr, flush=True)
            run_size(args, results, users, neo)
    render(results.data, args.report)
    print(f"benchmarks: results in {results.path}, report in {args.report}", file=sys.stderr)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    main()
