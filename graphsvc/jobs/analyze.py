"""The analysis job: snapshot the store, run the pipeline, write one run atomically."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import resource
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphsvc.analysis.engine import IGRAPH, GraphEngine
from graphsvc.analysis.graphs import find_sorted
from graphsvc.analysis.pipeline import owner_vertices, run_pipeline
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, GraphSnapshot, PreviousRun, RunInfo, RunResult
from graphsvc.store.base import GraphStore

__all__ = [
    "JOB_PARAMS",
    "AnalyzeOutcome",
    "analyze",
    "previous_run",
    "process_peak_rss_mb",
    "snapshot_fingerprint",
]

# Analysis parameters an API job may override; their types and bounds are the analysis's own
# (model.AnalysisParams, model.param_bound), checked by config.check_analysis.
JOB_PARAMS = ("resolution", "seed", "damping", "min_community_size", "auto_resolution")
JOB_PARAMS += ("since", "until", "as_of")  # Unix seconds: a window of time, the health day


@dataclass(frozen=True)
class AnalyzeOutcome:
    run: RunInfo
    up_to_date: bool  # True: the input was unchanged, nothing was written
    timings: dict[str, float]
    peak_rss_mb: float = 0.0  # the process's peak resident memory so far, the write included


def snapshot_fingerprint(
    snapshot: GraphSnapshot, params: AnalysisParams, engine: str = IGRAPH.name
) -> str:
    """A digest of the analysed input, the parameters and the engine (other than igraph):
    equal digests, equal results."""
    digest = hashlib.sha256(json.dumps(params.as_dict(), sort_keys=True).encode())
    if engine != IGRAPH.name:
        digest.update(f"engine={engine}".encode())
    for name, column in snapshot_columns(snapshot):
        column = np.ascontiguousarray(column)
        digest.update(name.encode())
        digest.update(str(column.dtype).encode() + str(column.shape).encode())
        digest.update(column.tobytes())
    return digest.hexdigest()


def snapshot_columns(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(name, array) of every field of a dataclass of arrays (a GraphSnapshot), nested ones
    by dotted name."""
    for name in value.__dataclass_fields__:
        field = getattr(value, name)
        if dataclasses.is_dataclass(field):
            yield from snapshot_columns(field, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def history_days(params: AnalysisParams) -> int | None:
    """How far back health over time reads interaction days: its series and the widest
    rolling window before them (None: an as-of day of its own, anywhere)."""
    return None if params.as_of >= 0 else params.health_series_days + 31


def _counters_from_ids(ids: np.ndarray) -> dict[str, int]:
    """Next numbers after the ids in use, for a run written before counters were recorded."""
    counters: dict[str, int] = {}
    for cid in set(ids.tolist()) - {""}:
        parent, _, sub = cid.partition(".")
        key, number = (parent, sub) if sub else ("", parent.removeprefix("c-"))
        if number.isdigit():  # ids of another form (written by hand) reserve no number
            counters[key] = max(counters.get(key, 1), int(number) + 1)
    return counters


def previous_run(store: GraphStore, snapshot: GraphSnapshot) -> PreviousRun | None:
    """The store's current run as a new run inherits from it, aligned with ``snapshot``."""
    run = store.current_run()
    if run is None:
        return None
    names = ["community_id", "influence", "betweenness", "in_strength", "out_strength", "tier"]
    cols = store.result_columns(run.run_id, [*names, "community_score", "subcommunity_score"])
    at = find_sorted(snapshot.user_ids, np.asarray(cols["user_id"], dtype=str))
    found = at >= 0

    def aligned(name: str, missing: object) -> np.ndarray:
        out = np.full(snapshot.n_users, missing, dtype=cols[name].dtype)
        out[at[found]] = cols[name][found]
        return out

    counters = run.stats.get("community_counters") or _counters_from_ids(cols["community_id"])
    communities, groups = store.community_results(run.run_id), store.group_results(run.run_id)
    return PreviousRun(
        run.run_id,
        aligned("community_id", ""),
        aligned("influence", np.nan),
        aligned("betweenness", np.nan),
        counters,
        aligned("in_strength", np.nan),
        aligned("out_strength", np.nan),
        aligned("community_score", np.nan),
        aligned("subcommunity_score", np.nan),
        aligned("tier", ""),
        owner_vertices(
            snapshot.user_ids,
            [c.community_id for c in communities],
            [c.owner_id for c in communities],
        ),
        owner_vertices(
            snapshot.user_ids, [g.group_id for g in groups], [g.effective_owner_id for g in groups]
        ),
    )


def process_peak_rss_mb() -> float:
    """The peak resident memory of this process so far (ru_maxrss), in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # bytes, or KiB


def analyze(
    store: GraphStore,
    params: AnalysisParams,
    *,
    force: bool = False,
    cold: bool = False,
    refresh: bool = False,
    on_stage: Callable[[str], None] | None = None,
    engine: GraphEngine | None = None,
) -> AnalyzeOutcome:
    """Run every analysis on ``store`` and publish the run; skip if the input is unchanged.
    The run starts warm from the current run unless ``cold``; ``refresh`` also carries its
    betweenness over and skips the cold check (see ``run_pipeline``; a refresh without a
    current run is a plain one).

    ``on_stage(name)`` is called as each stage starts (read, the pipeline's stages, write).
    ``engine`` runs the graph-scale stages (``analysis.engine``; default igraph, here).
    """
    store.check_writable()  # before the work, not after it
    stage = on_stage or (lambda name: None)
    engine = engine or IGRAPH
    started = time.time()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    stage("read")
    snapshot = build_snapshot(
        store, since=params.since, until=params.until, history_days=history_days(params)
    )
    fingerprint = snapshot_fingerprint(snapshot, params, engine.name)
    lap("read")
    current = store.current_run()
    if current is not None and current.fingerprint == fingerprint and not force:
        return AnalyzeOutcome(current, True, timings)

    previous = previous_run(store, snapshot)
    output = run_pipeline(
        snapshot,
        params,
        previous=previous,
        cold=cold,
        refresh=refresh and previous is not None,
        on_stage=stage,
        engine=engine,
    )
    lap("analysis")
    stage("write")
    run_id = time.strftime("run-%Y%m%dT%H%M%SZ-", time.gmtime(started)) + secrets.token_hex(4)
    # the run records the peak before its own write; the outcome, the peak after it
    stats = {**output.stats, "seconds": dict(timings), "peak_rss_mb": process_peak_rss_mb()}
    info = RunInfo(run_id, started, time.time(), params.as_dict(), stats, fingerprint)
    result = RunResult(info, output.users, output.communities, output.groups, output.series)
    store.write_run(result)
    lap("write")
    return AnalyzeOutcome(info, False, timings, process_peak_rss_mb())
