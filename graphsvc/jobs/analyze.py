"""The analysis job: snapshot the store, run the pipeline, write one run atomically."""

from __future__ import annotations

import hashlib
import json
import resource
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.pipeline import run_pipeline
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, GraphSnapshot, RunInfo, RunResult
from graphsvc.store.base import GraphStore

__all__ = ["AnalyzeOutcome", "analyze", "snapshot_fingerprint"]


@dataclass(frozen=True)
class AnalyzeOutcome:
    run: RunInfo
    up_to_date: bool  # True: the input was unchanged, nothing was written
    timings: dict[str, float]


def snapshot_fingerprint(snapshot: GraphSnapshot, params: AnalysisParams) -> str:
    """A digest of the analysed input and the parameters: equal digests, equal results."""
    digest = hashlib.sha256(json.dumps(params.as_dict(), sort_keys=True).encode())
    for name in snapshot.__dataclass_fields__:
        column = np.ascontiguousarray(getattr(snapshot, name))
        digest.update(name.encode())
        digest.update(str(column.dtype).encode() + str(column.shape).encode())
        digest.update(column.tobytes())
    return digest.hexdigest()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def analyze(
    store: GraphStore,
    params: AnalysisParams,
    *,
    force: bool = False,
    on_stage: Callable[[str], None] | None = None,
) -> AnalyzeOutcome:
    """Run every analysis on ``store`` and publish the run; skip if the input is unchanged.

    ``on_stage(name)`` is called as each stage starts (read, the pipeline's stages, write).
    """
    stage = on_stage or (lambda name: None)
    started = time.time()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    stage("read")
    snapshot = build_snapshot(store)
    fingerprint = snapshot_fingerprint(snapshot, params)
    lap("read")
    current = store.current_run()
    if current is not None and current.fingerprint == fingerprint and not force:
        return AnalyzeOutcome(current, True, timings)

    output = run_pipeline(snapshot, params, on_stage=stage)
    lap("analysis")
    stage("write")
    run_id = time.strftime("run-%Y%m%dT%H%M%SZ-", time.gmtime(started)) + secrets.token_hex(2)
    stats = {**output.stats, "seconds": dict(timings), "peak_rss_mb": round(_peak_rss_mb(), 1)}
    info = RunInfo(run_id, started, time.time(), params.as_dict(), stats, fingerprint)
    result = RunResult(info, output.users, output.communities, output.groups)
    store.write_run(result)
    lap("write")
    return AnalyzeOutcome(info, False, timings)
