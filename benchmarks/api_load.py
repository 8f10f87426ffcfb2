"""API latency and throughput: ``graphsvc serve`` in a subprocess on a free loopback port,
driven by a bounded thread pool of keep-alive HTTP clients walking /api/v1/kols pages."""

from __future__ import annotations

__all__ = ["ApiLoad", "measure_api"]

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

from benchmarks.measure import summarize
from benchmarks.suite import Bench

HOST = "127.0.0.1"  # loopback only, always
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ApiLoad:
    """Bounds of one round: ``clients`` threads, each walking ``pages`` pages of ``limit``
    KOLs (first page, then ``cursor=next_cursor``), until ``requests`` are sent or ``seconds``
    have passed."""

    clients: int = 8
    requests: int = 2000
    seconds: float = 20.0
    pages: int = 5
    limit: int = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def serving(store_uri: str) -> Iterator[tuple[int, psutil.Process]]:
    """``graphsvc serve`` on ``store_uri``; yields its port and process once /healthz answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "graphsvc.cli", "--store", store_uri, "serve"]
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    with subprocess.Popen(
        [*cmd, "--host", HOST, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    ) as proc:
        try:
            deadline = time.monotonic() + 60
            while not _healthy(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    stderr = proc.communicate()[1].decode(errors="replace")[-1000:]
                    raise RuntimeError(f"graphsvc serve did not answer on port {port}: {stderr}")
                time.sleep(0.1)
            yield port, psutil.Process(proc.pid)
        finally:
            proc.terminate()
            proc.communicate(timeout=10)


def _round(port: int, load: ApiLoad) -> dict[str, float]:
    """One bounded round; latencies of successful requests, errors counted."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + load.seconds

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
        cursor = None
        page = 0
        while take():
            path = f"/api/v1/kols?limit={load.limit}" + (f"&cursor={cursor}" if cursor else "")
            t0 = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - t0
            with lock:
                if response.status == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1
            page += 1
            cursor = json.loads(body).get("next_cursor") if response.status == 200 else None
            if page >= load.pages or cursor is None:
                cursor, page = None, 0
        conn.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(load.clients) as pool:
        for future in [pool.submit(client) for _ in range(load.clients)]:
            future.result()
    wall = time.perf_counter() - t0
    ms = np.asarray(latencies) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "requests_per_s": len(ms) / wall,
        "requests": len(ms),
        "errors": errors,
    }


def measure_api(bench: Bench, store_uri: str, load: ApiLoad) -> None:
    """Stage ``api``: ``bench.repeat`` rounds against one server; medians and spread of p50,
    p99 and throughput, plus the server's RSS after the rounds."""
    with serving(store_uri) as (port, server):
        rounds = [_round(port, load) for _ in range(bench.repeat)]
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
