"""The run diff stays O(n log n): the changes page and GET /api/v1/runs/diff load it for whole
runs (100k users took 148 s when each mover re-indexed the whole run)."""

from __future__ import annotations

import time

import numpy as np

from graphsvc.runs.diff import RunView, diff_runs


def run_view(run_id: str, n: int, seed: int) -> RunView:
    rng = np.random.default_rng(seed)
    user_id = np.array([f"u{i:07d}" for i in range(n)], dtype=str)
    rank = rng.permutation(n) + 1
    columns = {
        "tier": np.where(rank <= n // 50, "kol", "member").astype(object),
        "influence": 1.0 / rank,
        "influence_rank": rank.astype(np.int64),
        "community_id": np.array([f"c-{i % 500:04d}" for i in range(n)], dtype=object),
    }
    return RunView(run_id, user_id, columns, [])


def test_diff_of_big_runs_is_quick_and_lists_only_the_top_movers():
    a, b = run_view("r1", 40_000, 1), run_view("r2", 40_000, 2)
    started = time.perf_counter()
    diff = diff_runs(a, b, limit=5)
    assert time.perf_counter() - started < 5  # quadratic: ~25 s here
    risers, fallers = diff["risers"]["top"], diff["fallers"]["top"]
    assert len(risers) == len(fallers) == 5
    gains = [r["rank_before"] - r["rank_after"] for r in risers]
    assert gains == sorted(gains, reverse=True)
    assert gains[0] == max(a.columns["influence_rank"] - b.columns["influence_rank"])
    drops = [f["rank_after"] - f["rank_before"] for f in fallers]
    assert drops == sorted(drops, reverse=True)
    top = risers[0]
    i = int(np.flatnonzero(a.user_id == top["user_id"])[0])
    assert top["influence_before"] == a.columns["influence"][i]
    assert top["influence_after"] == b.columns["influence"][i]
