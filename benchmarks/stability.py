"""Continuity after small additions: how much of the answer a plain ``analyze`` moves.

    python -m benchmarks.stability --users 100000 --out benchmarks/out/stability.json

On a generated community-commerce graph: a first (cold) run; then, for +0.3% and +1% new
interaction rows (``benchmarks.refresh.grown``), a plain run from it and a cold one, each
compared with the first run — users keeping their community id, KOLs (core, kol) in and out and
the KOL set's Jaccard index, owners changed among communities of at least 30 members, users
changing tier, communities born, split, merged and died; then ten successive +1% additions, the
last warm run against a cold run on the final data (modularity; NMI with the planted groups);
planted super-user recall; seconds of every run. The comparison uses only run outputs, so the
same code measures any version of the pipeline (one without ``cold`` runs only plain ones).
"""

from __future__ import annotations

__all__ = ["compare", "measure", "nmi_with_groups"]

import argparse
import inspect
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import igraph as ig
import numpy as np

from benchmarks.refresh import grown
from graphsvc import synth
from graphsvc.analysis.churn import KOL_TIERS, community_events
from graphsvc.analysis.pipeline import AnalysisOutput, previous_from_output, run_pipeline
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, GraphSnapshot
from graphsvc.store.sqlite import SqliteStore

LARGE = 30  # owners are compared on communities of at least this many members


def compare(before: AnalysisOutput, after: AnalysisOutput) -> dict[str, Any]:
    """What changed from ``before`` to ``after`` (the same users)."""
    a, b = before.users.columns, after.users.columns
    ids_a, ids_b = a["community_id"].astype(str), b["community_id"].astype(str)
    assigned = ids_a != ""
    kol_a, kol_b = np.isin(a["tier"], KOL_TIERS), np.isin(b["tier"], KOL_TIERS)
    owner = {c.community_id: (c.owner_id, c.size) for c in before.communities}
    large = [
        c
        for c in after.communities
        if c.community_id in owner and min(c.size, owner[c.community_id][1]) >= LARGE
    ]
    return {
        "kept_community": float((ids_a == ids_b)[assigned].mean()),
        "kept_top_community": float(
            (np.char.partition(ids_a, ".")[:, 0] == np.char.partition(ids_b, ".")[:, 0])[
                assigned
            ].mean()
        ),
        "kols_in": int((kol_b & ~kol_a).sum()),
        "kols_out": int((kol_a & ~kol_b).sum()),
        "kol_jaccard": float((kol_a & kol_b).sum() / max((kol_a | kol_b).sum(), 1)),
        "owners_changed_large": sum(owner[c.community_id][0] != c.owner_id for c in large),
        "large_communities": len(large),
        "tier_changed": float((a["tier"] != b["tier"]).mean()),
        "communities": community_events(ids_a, ids_b, 0.2),
    }


def nmi_with_groups(snapshot: GraphSnapshot, out: AnalysisOutput) -> float:
    """Top-level communities against each user's first planted group (assigned users)."""
    user, group = snapshot.membership_user, snapshot.membership_group
    first = np.unique(user, return_index=True)[1]
    planted = np.full(snapshot.n_users, -1)
    planted[user[first]] = group[first]
    top = np.char.partition(out.users.columns["community_id"].astype(str), ".")[:, 0]
    both = (top != "") & (planted >= 0)
    found = np.unique(top[both], return_inverse=True)[1]
    return float(ig.compare_communities(found.tolist(), planted[both].tolist(), method="nmi"))


def _recall(snapshot: GraphSnapshot, out: AnalysisOutput, supers: list[str]) -> float:
    at = np.searchsorted(snapshot.user_ids, supers)
    return float((out.users.columns["tier"][at] == "core").mean())


def _timed(results: dict[str, float], name: str, *args: Any, **kwargs: Any) -> AnalysisOutput:
    clock = time.perf_counter()
    out = run_pipeline(*args, **kwargs)
    results[name] = round(time.perf_counter() - clock, 2)
    return out


def measure(
    snapshot: GraphSnapshot, supers: list[str], params: AnalysisParams, seed: int, steps: int
) -> dict[str, Any]:
    """Every figure of the module docstring, as a JSON-ready dict."""
    can_cold = "cold" in inspect.signature(run_pipeline).parameters
    seconds: dict[str, float] = {}
    first = _timed(seconds, "first", snapshot, params)
    previous = previous_from_output("first", first)
    report: dict[str, Any] = {"seconds": seconds, "recall_first": _recall(snapshot, first, supers)}
    for share in (0.003, 0.01):
        delta = grown(snapshot, share, seed)
        plain = _timed(seconds, f"plain_{share}", delta, params, previous=previous)
        report[f"plain_{share}"] = compare(first, plain)
        if can_cold:
            cold = _timed(seconds, f"cold_{share}", delta, params, previous=previous, cold=True)
            report[f"cold_{share}"] = compare(first, cold)
    out, current, fallbacks = first, snapshot, 0
    for step in range(steps):
        previous = previous_from_output(f"step-{step}", out)
        current = grown(current, 0.01, seed + 100 + step)
        out = _timed(seconds, f"step_{step}", current, params, previous=previous)
        fallbacks += "warm_fallback" in out.stats
    kwargs = {"cold": True} if can_cold else {}
    cold = _timed(seconds, "final_cold", current, params, previous=previous, **kwargs)
    report["successive"] = {
        "steps": steps,
        "modularity_warm": out.stats["modularity"],
        "modularity_cold": cold.stats["modularity"],
        "nmi_groups_warm": nmi_with_groups(current, out),
        "nmi_groups_cold": nmi_with_groups(current, cold),
        "recall_warm": _recall(current, out, supers),
        "recall_cold": _recall(current, cold, supers),
        "fallbacks": fallbacks,
    }
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10, help="successive +1%% additions")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        truth = synth.generate(Path(tmp) / "data", users=args.users, seed=args.seed)
        with SqliteStore(Path(tmp) / "g.db") as store:
            store.init_schema()
            load_files(discover(Path(tmp) / "data"), store)
            snapshot = build_snapshot(store)
    report = measure(snapshot, truth.super_users, AnalysisParams(), args.seed, args.steps)
    report["users"] = args.users
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
