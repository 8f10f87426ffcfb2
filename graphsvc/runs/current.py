"""The run readers look at: the store's current run, or NoRunError (in neutral words: the CLI
and the API each say how to start one)."""

from __future__ import annotations

from graphsvc.errors import NoRunError
from graphsvc.model import AnalysisParams, RunInfo
from graphsvc.store.base import GraphStore

__all__ = ["current_run", "run_or_current", "shill_threshold"]


def current_run(store: GraphStore) -> RunInfo:
    """The store's current (last published) run; NoRunError when there is none."""
    run = store.current_run()
    if run is None:
        raise NoRunError()
    return run


def run_or_current(store: GraphStore, run_id: str | None) -> str:
    """``run_id`` when given, else the current run's id."""
    return run_id or current_run(store).run_id


def shill_threshold(store: GraphStore, run_id: str) -> float:
    """The shill threshold run ``run_id`` was analysed with (runs before shills: the default)."""
    params = next((run.params for run in store.runs() if run.run_id == run_id), {})
    return float(params.get("shill_threshold", AnalysisParams().shill_threshold))
