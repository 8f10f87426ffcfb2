"""Where community detection starts: cold (one seeded Leiden run — Traag, Waltman & van Eck,
Sci. Rep. 9:5233, 2019 — or the consensus of several on small graphs) or warm from the previous
run's communities, the users whose attention did not change held to theirs, checked against a
cold run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphsvc.analysis.communities import Communities, leiden_membership
from graphsvc.analysis.consensus import consensus_membership
from graphsvc.analysis.lineage import PreviousLabels
from graphsvc.model import AnalysisParams, PreviousRun

__all__ = ["start_communities"]


def _warm_membership(labels: PreviousLabels) -> tuple[np.ndarray, np.ndarray]:
    """Leiden's starts: each user's previous community and finest (sub-)community; users
    without one start alone, and so do the leftovers of a split community in the split."""

    def alone_if_none(label: np.ndarray, count: int) -> np.ndarray:
        fresh = label < 0
        out = label.copy()
        out[fresh] = count + np.arange(int(fresh.sum()))
        return out

    return (
        alone_if_none(labels.top, len(labels.top_ids)),
        alone_if_none(np.where(_leftover(labels), -1, labels.leaf), len(labels.leaf_ids)),
    )


def _screened(
    labels: PreviousLabels, previous: PreviousRun, in_strength: np.ndarray, out_strength: np.ndarray
) -> np.ndarray | None:
    """Leiden's fixed groups on a warm start: each user whose received and given attention are
    unchanged keeps to its previous finest community (moves with it); users whose attention
    changed, new users, users without a community and the leftover members of a split
    community (in no sub-community: they need not belong together) move alone (-1). None
    without the previous strengths."""
    if previous.in_strength is None or previous.out_strength is None:
        return None
    same = np.isclose(in_strength, previous.in_strength, rtol=1e-12, atol=0.0)
    same &= np.isclose(out_strength, previous.out_strength, rtol=1e-12, atol=0.0)
    return np.where(same & (labels.leaf >= 0) & ~_leftover(labels), labels.leaf, -1)


def _leftover(labels: PreviousLabels) -> np.ndarray:
    """Users of a split community who were in none of its sub-communities."""
    split = np.bincount(labels.top[labels.sub >= 0], minlength=len(labels.top_ids)) > 0
    split = np.append(split, False)  # users in no community (top -1) read this last entry
    return (labels.sub < 0) & split[labels.top]


def _use_consensus(graph: Any, params: AnalysisParams) -> bool:
    return params.consensus_runs > 1 and graph.ecount() <= params.consensus_max_edges


def _cold_communities(
    detect: Callable[..., Communities], graph: Any, params: AnalysisParams, resolution: float
) -> tuple[Communities, int | None]:
    """A cold run: on graphs up to ``consensus_max_edges`` the consensus of
    ``consensus_runs`` seeded Leiden runs, else one run. Returns it and the consensus rounds."""
    if not _use_consensus(graph, params):
        return detect(iterations=params.leiden_iterations), None
    module, rounds = consensus_membership(
        graph,
        resolution=resolution,
        seed=params.seed,
        iterations=params.leiden_iterations,
        runs=params.consensus_runs,
        threshold=params.consensus_threshold,
    )
    return detect(module=module), rounds


def start_communities(
    detect: Callable[..., Communities],
    graph: Any,
    params: AnalysisParams,
    resolution: float,
    warm: PreviousRun | None,
    labels: PreviousLabels | None,
    strength: tuple[np.ndarray, np.ndarray],
) -> tuple[Communities, dict[str, Any]]:
    """Communities, warm from ``warm`` (the previous run) when given, else cold. A warm start
    is checked against one cold Leiden run when ``graph`` is given, and replaced by a cold run
    when its modularity is lower by more than ``warm_max_modularity_loss`` of the cold one's.
    Returns them and what happened (stats)."""
    report: dict[str, Any] = {"community_start": "cold", "warm_from": None}
    if warm is None:
        comms, report["consensus_rounds"] = _cold_communities(detect, graph, params, resolution)
        return comms, report
    initial, initial_sub = _warm_membership(labels)
    fixed = _screened(labels, warm, *strength)
    comms = detect(
        iterations=params.warm_leiden_iterations,
        initial=initial,
        initial_sub=initial_sub,
        fixed=None if fixed is None else np.where(fixed >= 0, labels.top, -1),
        fixed_sub=fixed,
    )
    report |= {
        "community_start": "warm",
        "warm_from": warm.run_id,
        "warm_free_users": None if fixed is None else int((fixed < 0).sum()),
        "warm_modularity": round(comms.modularity, 6),
    }
    if graph is None:
        return comms, report
    module, _ = leiden_membership(
        graph, resolution=resolution, seed=params.seed, iterations=params.leiden_iterations
    )
    cold = graph.modularity(module.tolist(), weights="weight") if graph.ecount() else 0.0
    report["cold_modularity"] = round(cold, 6)
    loss = (cold - comms.modularity) / abs(cold) if cold else 0.0
    if loss <= params.warm_max_modularity_loss:
        return comms, report
    report["community_start"] = "cold"
    report["warm_fallback"] = (
        f"warm start's modularity {comms.modularity:.4f} was {loss:.1%} below a cold run's "
        f"{cold:.4f} (tolerance {params.warm_max_modularity_loss:.1%}): ran cold"
    )
    if _use_consensus(graph, params):
        comms, report["consensus_rounds"] = _cold_communities(detect, graph, params, resolution)
        return comms, report
    return detect(module=module), report
