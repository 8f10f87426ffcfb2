"""Dashboard page loads: ``graphsvc serve`` on a generated graph (real communities, ties and
referral trees, two runs), one client loading each page as a marketer would, one after another;
seconds to the whole HTML page, p50 / p95 / max per page.

``python -m benchmarks.dashboard_load --users 100000`` generates the graph (``graphsvc.synth``,
seed 1), loads it into SQLite, analyses it twice (the second run at resolution 1.5, so the
changes page has a diff) and measures, with anonymous reads on (signing in costs one key lookup
per page). Targets are distinct per load, so the community pictures (cached per store revision)
and the run diff (cached per run pair) are measured cold; the first /changes load is reported
apart. Files go to ``--work``; the figures to ``--results`` if given.
"""

from __future__ import annotations

__all__ = ["PAGES", "measure_pages", "prepare"]

import argparse
import http.client
import json
import os
import random
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.api_load import HOST, serving
from benchmarks.results import Results
from graphsvc.ingest.load import discover, load_files
from graphsvc.jobs.analyze import analyze
from graphsvc.model import AnalysisParams
from graphsvc.store import open_store
from graphsvc.synth import generate


def prepare(store_uri: str, data: Path, users: int) -> dict[str, float]:
    """The generated graph, loaded and analysed twice (each step skipped when done)."""
    took: dict[str, float] = {}
    if not (data / "users.csv").exists():
        t0 = time.perf_counter()
        generate(data, users=users, seed=1)
        took["generate_s"] = time.perf_counter() - t0
    store = open_store(store_uri, create=True)
    try:
        if not store.counts()["users"]:
            t0 = time.perf_counter()
            load_files(discover(data), store)
            took["load_s"] = time.perf_counter() - t0
        for resolution in (1.0, 1.5)[len(store.runs()) :]:
            t0 = time.perf_counter()
            analyze(store, replace(AnalysisParams(), resolution=resolution), force=True)
            took[f"analyze_{resolution}_s"] = time.perf_counter() - t0
    finally:
        store.close()
    return took


PAGES = (
    "kols",
    "kols_community",
    "kols_search",
    "person",
    "community",
    "communities",
    "changes",
    "runs",
)


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[float, bytes]:
    """Seconds to the whole body of ``path``, and the body; anything but 200 is an error."""
    t0 = time.perf_counter()
    conn.request("GET", path)
    with conn.getresponse() as response:
        body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
    return time.perf_counter() - t0, body


def _stats(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    at = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "max": ordered[-1]}


def measure_pages(port: int, loads: int, seed: int = 0) -> dict[str, Any]:
    """Per page, ``loads`` loads of distinct targets (where the page has them)."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        users = [r["user_id"] for r in json.loads(_get(conn, "/api/v1/kols?limit=1000")[1])["data"]]
        biggest = json.loads(_get(conn, "/api/v1/communities?limit=1000")[1])["data"]
        communities = [c["community_id"] for c in biggest]
        tiers = ("core", "kol", "active", "member")
        sorts = ("influence", "betweenness", "coreness", "downline")
        targets = {
            "kols": lambda i: f"/kols?tier={rng.choice(tiers)}&sort={rng.choice(sorts)}",
            "kols_community": lambda i: f"/kols?community={rng.choice(communities)}",
            "kols_search": lambda i: f"/kols?q=u{rng.randrange(100):02d}",
            "person": lambda i: f"/users/{rng.choice(users)}",
            "community": lambda i: f"/communities/{communities[i % len(communities)]}",
            "communities": lambda i: f"/communities?sort={rng.choice(('size', 'health'))}",
            "changes": lambda i: "/changes",
            "runs": lambda i: "/runs",
        }
        first_changes = _get(conn, "/changes")[0]
        out: dict[str, Any] = {"changes_first_load_s": first_changes}
        assert tuple(targets) == PAGES
        for name, path_of in targets.items():
            seconds = []
            for i in range(loads):
                seconds.append(_get(conn, path_of(i))[0])
            out[name] = _stats(seconds)
            print(name, json.dumps(out[name]), flush=True)
        return out
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=40, help="loads per page")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out/dashboard"))
    parser.add_argument("--results", type=Path, help="also record the figures in this file")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    store_uri = f"sqlite:///{(args.work / f'dashboard-{args.users}.db').resolve()}"
    report: dict[str, Any] = {
        "prepare": prepare(store_uri, args.work / f"data-{args.users}", args.users)
    }
    os.environ["GRAPHSVC_ANONYMOUS_READS"] = "true"
    with serving(store_uri) as (port, server, _key):
        report["pages"] = measure_pages(port, args.loads)
        report["server_rss_mb"] = server.memory_info().rss / 2**20
    print(json.dumps(report, indent=1))
    (args.work / f"dashboard-load-{args.users}.json").write_text(json.dumps(report, indent=1))
    if args.results:
        Results(args.results).put(args.users, "stages", "dashboard_pages", report)


if __name__ == "__main__":
    main()
