"""API latency and throughput: ``graphsvc serve`` in a subprocess on a free loopback port,
driven by a bounded thread pool of keep-alive HTTP clients (with a reader API key) walking
/api/v1/kols pages or fetching /api/v1/users/{id}. Responses carry ``X-Cache: hit|miss`` (the
server's response cache), so latencies are reported for hits and misses apart as well; the
``kols_miss`` and ``users`` mixes ask for (nearly) distinct requests, so they measure misses.

``python -m benchmarks.api_load --users 1000000`` measures both stores on a synthetic run of
that many users, written with ``store.write_run`` (columns drawn from skewed distributions:
scores, tiers, roles, ~20 users per community); ``--stores sqlite`` for the embedded one only;
``--results benchmarks/results.json`` adds the figures to the report's results file.
"""

from __future__ import annotations

__all__ = ["ApiLoad", "free_port", "measure_api", "serving", "synthetic_run"]

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from benchmarks.measure import summarize
from benchmarks.results import Results
from benchmarks.suite import Bench
from graphsvc.model import (
    USER_RESULT_COLUMNS,
    CommunityResult,
    Role,
    RunInfo,
    RunResult,
    Tier,
    UserResults,
)
from graphsvc.service.state import KeyRole, ServiceState
from graphsvc.store import open_store

HOST = "127.0.0.1"  # loopback only, always
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ApiLoad:
    """Bounds of one round: ``clients`` threads sending until ``requests`` are sent or
    ``seconds`` have passed. KOL clients walk ``pages`` pages of ``limit`` (first page, then
    ``cursor=next_cursor``)."""

    clients: int = 8
    requests: int = 2000
    seconds: float = 20.0
    pages: int = 5
    limit: int = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def serving(store_uri: str, threads: int = 8) -> Iterator[tuple[int, psutil.Process, str]]:
    """``graphsvc serve`` on ``store_uri`` with a state file of its own; yields its port,
    process and a reader API key once /healthz answers."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="graphsvc-api-load-") as work:
        state_path = str(Path(work) / "state.db")
        state = ServiceState(state_path)
        key = state.create_key(KeyRole.READER, "api_load")[1]
        state.close()
        cmd = [sys.executable, "-m", "graphsvc.cli", "--store", store_uri, "serve"]
        proc = subprocess.Popen(
            [*cmd, "--host", HOST, "--port", str(port), "--workers", str(threads)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={
                **os.environ,
                "GRAPHSVC_STATE": state_path,
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
        )
        try:
            _await_health(proc, port)
            yield port, psutil.Process(proc.pid), key
        finally:
            proc.terminate()
            proc.communicate(timeout=10)


def _await_health(proc: subprocess.Popen, port: int, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"graphsvc serve exited: {proc.stderr.read().decode()[-500:]}")
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            conn.close()


# A client's next path, given the body of its previous response (None at first).
NextPath = Callable[[bytes | None], str]


def kol_pages(load: ApiLoad) -> NextPath:
    """/api/v1/kols: the first page, then ``load.pages - 1`` more by cursor, again."""
    page, cursor = 0, None

    def next_path(body: bytes | None) -> str:
        nonlocal page, cursor
        cursor = json.loads(body).get("next_cursor") if body else None
        page = page + 1 if body else 0
        if page >= load.pages or cursor is None:
            page, cursor = 0, None
        return f"/api/v1/kols?limit={load.limit}" + (f"&cursor={cursor}" if cursor else "")

    return next_path


def kol_filters(n: int, seed: int) -> Callable[[], NextPath]:
    """/api/v1/kols first pages by influence with a random ``min_score`` (about the influence
    of the median user) and often a role: every request is new to the server's cache. (Other
    sorts read the whole run on Neo4j, which has no index for them: see README.)"""
    seeds = iter(range(seed, seed + 1_000_000))
    roles = ["", *(f"&role={r.value}" for r in Role)]

    def client() -> NextPath:
        rng = random.Random(next(seeds))
        return lambda body: (
            f"/api/v1/kols?limit=50&min_score={rng.uniform(0.5, 2) / n:.6e}{rng.choice(roles)}"
        )

    return client


def user_lookups(user_ids: list[str], seed: int) -> Callable[[], NextPath]:
    """/api/v1/users/{id} for ids drawn at random (each client its own generator)."""
    seeds = iter(range(seed, seed + 1_000_000))

    def client() -> NextPath:
        rng = random.Random(next(seeds))
        return lambda body: f"/api/v1/users/{rng.choice(user_ids)}"

    return client


def _round(port: int, key: str, load: ApiLoad, paths: Callable[[], NextPath]) -> dict[str, float]:
    """One bounded round; latencies of successful requests, errors counted."""
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"hit": [], "miss": [], "uncached": []}
    errors = 0
    sent = 0
    deadline = time.monotonic() + load.seconds
    headers = {"Authorization": f"Bearer {key}"}

    def take() -> bool:
        nonlocal sent
        with lock:
            if sent >= load.requests or time.monotonic() > deadline:
                return False
            sent += 1
            return True

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        next_path, body = paths(), None
        try:
            while take():
                path = next_path(body)
                t0 = time.perf_counter()
                conn.request("GET", path, headers=headers)
                with conn.getresponse() as response:
                    data = response.read()
                elapsed = time.perf_counter() - t0
                ok = response.status == 200
                outcome = response.getheader("X-Cache", "uncached")
                with lock:
                    if ok:
                        latencies[outcome].append(elapsed)
                    else:
                        errors += 1
                body = data if ok else None
        finally:
            conn.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(load.clients) as pool:
        for future in [pool.submit(client) for _ in range(load.clients)]:
            future.result()
    wall = time.perf_counter() - t0
    every = [t for times in latencies.values() for t in times]
    return {
        **_latency(every),
        "requests_per_s": len(every) / wall,
        "errors": errors,
        **{outcome: _latency(times) for outcome, times in latencies.items() if times},
    }


def _latency(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "requests": len(ms),
    }


def measure_api(bench: Bench, store_uri: str, load: ApiLoad) -> None:
    """Stage ``api``: ``bench.repeat`` rounds of KOL pages against one server; medians and
    spread of p50, p99 and throughput, plus the server's RSS after the rounds."""
    with serving(store_uri) as (port, server, key):
        rounds = [_round(port, key, load, lambda: kol_pages(load)) for _ in range(bench.repeat)]
        server_rss = server.memory_info().rss / 2**20
    entry = {
        key: summarize([r[key] for r in rounds]) for key in ("p50_ms", "p99_ms", "requests_per_s")
    }
    entry.update(
        requests=sum(r["requests"] for r in rounds),
        errors=sum(r["errors"] for r in rounds),
        server_rss_mb=server_rss,
        load=load.__dict__,
    )
    bench.results.put(bench.users, "stages", "api", entry)


# -- the 1M-user benchmark (python -m benchmarks.api_load) ----------------------------------


def synthetic_run(n: int, seed: int = 0, run_id: str = "run-api-load") -> RunResult:
    """A complete run of ``n`` users u0000000…: Pareto influence (rank 1 = highest), ~20 users
    per community, tiers by rank, roles, betweenness (5% missing), coreness, downline."""
    rng = np.random.default_rng(seed)
    user_ids = np.array([f"u{i:07d}" for i in range(n)], dtype=object)
    influence = np.sort(rng.pareto(1.5, n) + 1)[::-1] / n
    rank = np.arange(1, n + 1, dtype=np.int64)
    n_communities = max(1, n // 20)
    tier_names = np.array([t.value for t in Tier], dtype=object)
    tier_of = np.searchsorted(np.array([0.01, 0.05, 0.3, 0.8]) * n, rank, side="left")
    betweenness = rng.exponential(1e-4, n)
    betweenness[rng.random(n) < 0.05] = np.nan
    columns = {
        name: (
            np.full(n, "", dtype=object)
            if kind == "str"
            else np.zeros(n)
            if kind == "float"
            else np.full(n, -1, dtype=np.int64)
        )
        for name, kind in USER_RESULT_COLUMNS.items()
    }
    columns |= {
        "community_id": np.array(
            [f"c-{c:06d}" for c in rng.integers(0, n_communities, n)], dtype=object
        ),
        "tier": tier_names[tier_of],
        "role": np.array([r.value for r in Role], dtype=object)[rng.integers(0, len(Role), n)],
        "influence": influence,
        "influence_rank": rank,
        "in_strength": rng.exponential(3.0, n),
        "betweenness": betweenness,
        "coreness": rng.integers(1, 30, n),
        "referral_level": rng.integers(0, 6, n),
        "direct_referrals": rng.poisson(0.8, n),
        "downline": rng.geometric(0.3, n) - 1,
    }
    communities = [
        CommunityResult(
            f"c-{c:06d}",
            20,
            f"u{c:07d}",
            0.3,
            None,
            0.2,
            0.5,
            0.3,
            0.4,
            "star" if c % 7 == 0 else "mesh",
        )
        for c in range(n_communities)
    ]
    info = RunInfo(run_id, time.time(), time.time(), {"seed": seed}, {"n_users": n}, "synthetic")
    return RunResult(info, UserResults(user_ids, columns), communities, [])


def prepare(store_uri: str, n: int) -> list[str]:
    """Users and a synthetic run of ``n`` users in the store (skipped if already current)."""
    store = open_store(store_uri, create=True)
    try:
        run = store.current_run()
        if run is None or run.stats.get("n_users") != n or run.fingerprint != "synthetic":
            result = synthetic_run(n)
            ids = result.users.user_id.tolist()
            for lo in range(0, n, 50_000):
                store.ensure_users(ids[lo : lo + 50_000])
            store.write_run(result)
        return [f"u{i:07d}" for i in range(n)]
    finally:
        store.close()


def measure_store(
    store_uri: str, user_ids: list[str], load: ApiLoad, threads: int
) -> dict[str, Any]:
    """The first user profile of the run (cold: it loads the run's score columns), then per
    endpoint a warm-up and one bounded round, against one server."""
    out: dict[str, Any] = {}
    with serving(store_uri, threads) as (port, server, key):
        out["first_user_s"] = _first_request(port, key, f"/api/v1/users/{user_ids[0]}")
        warm = ApiLoad(load.clients, 200, 30.0)
        endpoints = {
            "kols": lambda: kol_pages(load),
            "kols_miss": kol_filters(len(user_ids), seed=1),
            "users": user_lookups(user_ids, seed=1),
        }
        for name, paths in endpoints.items():
            _round(port, key, warm, paths)  # caches, connections, score columns (new requests)
            out[name] = _round(port, key, load, paths)
        out["server_rss_mb"] = server.memory_info().rss / 2**20
    return out


def _first_request(port: int, key: str, path: str) -> float:
    """Seconds to answer ``path``, without the round's client timeout."""
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        with conn.getresponse() as response:
            response.read()
        return time.perf_counter() - t0
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--stores", default="sqlite,neo4j")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out/api_load"))
    parser.add_argument("--neo4j", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"))
    parser.add_argument(
        "--results", type=Path, help="also record the figures in this results file (the report's)"
    )
    args = parser.parse_args()
    load = ApiLoad(args.clients, args.requests, args.seconds)
    uris = {
        "sqlite": f"sqlite:///{(args.work / f'api-{args.users}.db').resolve()}",
        "neo4j": args.neo4j,
    }
    report = {}
    for name in args.stores.split(","):
        started = time.perf_counter()
        user_ids = prepare(uris[name], args.users)
        prepared = time.perf_counter() - started
        report[name] = {
            "prepare_s": round(prepared, 1),
            **measure_store(uris[name], user_ids, load, args.threads),
        }
        print(json.dumps({name: report[name]}, indent=1), flush=True)
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / f"api-load-{args.users}.json").write_text(json.dumps(report, indent=1))
    if args.results:
        report["load"] = load.__dict__
        Results(args.results).put(args.users, "stages", "api_endpoints", report)


if __name__ == "__main__":
    main()
