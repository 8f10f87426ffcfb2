"""Refresh after a small delta: a cold run and a warm-started refresh on the same grown graph.

The delta adds ``share`` (default 1%) new interaction rows to the snapshot in memory: half repeat
an existing pair on a new day, half join random users (new ties). Both runs inherit ids from
the run on the original snapshot; the report gives their times, the speed-up, the agreement of
the refresh's communities with the cold run's (NMI) and how many users kept their community id.
"""

from __future__ import annotations

__all__ = ["grown", "measure_refresh"]

import dataclasses

import igraph as ig
import numpy as np

from benchmarks.suite import Bench
from graphsvc.analysis.pipeline import AnalysisOutput, previous_from_output, run_pipeline
from graphsvc.model import GraphSnapshot


def grown(snapshot: GraphSnapshot, share: float, seed: int) -> GraphSnapshot:
    """``snapshot`` with ``share`` more interaction rows (see the module docstring), in the
    canonical (src, dst, kind) order that ``build_snapshot`` gives."""
    rng = np.random.default_rng(seed)
    m, n = len(snapshot.interaction_src), snapshot.n_users
    k = max(1, int(m * share))
    pick = rng.integers(0, m, k)
    src, dst = snapshot.interaction_src[pick].copy(), snapshot.interaction_dst[pick].copy()
    fresh = np.arange(k) % 2 == 1
    src[fresh], dst[fresh] = (
        rng.integers(0, n, int(fresh.sum())),
        rng.integers(0, n, int(fresh.sum())),
    )
    columns = {
        "interaction_src": src,
        "interaction_dst": dst,
        "interaction_kind": snapshot.interaction_kind[pick],
        "interaction_count": np.ones(k, dtype=np.int64),
        "interaction_weight": snapshot.interaction_weight[pick]
        / np.maximum(snapshot.interaction_count[pick], 1),
        "interaction_days": np.ones(k, dtype=np.int64),
    }
    joined = {
        name: np.concatenate([getattr(snapshot, name), extra]) for name, extra in columns.items()
    }
    order = np.lexsort(
        (joined["interaction_kind"], joined["interaction_dst"], joined["interaction_src"])
    )
    return dataclasses.replace(snapshot, **{name: col[order] for name, col in joined.items()})


def _labels(ids: np.ndarray, top: bool) -> list[int]:
    ids = ids.astype(str)
    return np.unique(np.char.partition(ids, ".")[:, 0] if top else ids, return_inverse=True)[
        1
    ].tolist()


def nmi(a: AnalysisOutput, b: AnalysisOutput, *, top: bool = False) -> float:
    """NMI of two runs' communities: finest (the users' community_id) or top-level."""
    x, y = a.users.columns["community_id"], b.users.columns["community_id"]
    return ig.compare_communities(_labels(x, top), _labels(y, top), method="nmi")


def measure_refresh(
    bench: Bench, snapshot: GraphSnapshot, first: AnalysisOutput, share: float = 0.01
) -> AnalysisOutput:
    """Stages ``refresh.cold`` and ``refresh.warm`` on the grown snapshot, and facts: NMI of
    the refresh with the cold run, and, for scale, of two cold runs that differ only in seed.
    Returns the cold run (the diff benchmark compares it with ``first``)."""
    previous = previous_from_output("before-delta", first)
    delta = grown(snapshot, share, bench.seed)
    cold = bench.timed(
        "refresh.cold",
        lambda: run_pipeline(delta, bench.params, previous=previous, cold=True),
        heavy=True,
    )
    warm = bench.timed(
        "refresh.warm",
        lambda: run_pipeline(delta, bench.params, previous=previous, refresh=True),
        heavy=True,
    )
    reseeded = dataclasses.replace(bench.params, seed=bench.params.seed + 1)
    other = run_pipeline(delta, reseeded, previous=previous, cold=True)
    cold_ids, warm_ids = cold.users.columns["community_id"], warm.users.columns["community_id"]
    before = first.users.columns["community_id"]
    assigned = before != ""
    facts = {
        "delta_rows": len(delta.interaction_src) - len(snapshot.interaction_src),
        "nmi_refresh_vs_cold": nmi(cold, warm),
        "nmi_top_refresh_vs_cold": nmi(cold, warm, top=True),
        "nmi_cold_vs_cold_other_seed": nmi(cold, other),
        "nmi_top_cold_vs_cold_other_seed": nmi(cold, other, top=True),
        "kept_id_refresh": float((warm_ids[assigned] == before[assigned]).mean()),
        "kept_id_cold": float((cold_ids[assigned] == before[assigned]).mean()),
        "influence_max_abs_diff": float(
            np.abs(cold.users.columns["influence"] - warm.users.columns["influence"]).max()
        ),
        "refresh_free_users": warm.stats["warm_free_users"],
        "modularity_refresh": warm.stats["modularity"],
        "modularity_cold": cold.stats["modularity"],
        "cold_stage_seconds": cold.stats["stage_seconds"],
        "warm_stage_seconds": warm.stats["stage_seconds"],
    }
    bench.results.put(bench.users, "facts", "refresh", facts)
    return cold
