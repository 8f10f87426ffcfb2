"""Health over time: a group's lifecycle with its daily series, and the alarms of a run."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint

from graphsvc.api.auth import requires
from graphsvc.api.cache import cached
from graphsvc.api.deps import arg, choice, current_run, store
from graphsvc.runs.health import UNITS, HealthQuery, health_rows, parse_window
from graphsvc.service.state import KeyRole

__all__ = ["bp"]

bp = Blueprint("lifecycle", __name__)
_WINDOW = " (1d, 7d or 30d)"


@bp.get("/groups/<group_id>/health")
@requires(KeyRole.READER)
@cached
def group_health(group_id: str) -> dict[str, Any]:
    """A group's stage, figures over ``window`` days (7d), alarms and reasons on the run's
    as-of day (or ``as_of``), with its daily series over the window."""
    window = arg("window", parse_window, 7, _WINDOW)
    as_of = arg("as_of", date.fromisoformat, None, " (YYYY-MM-DD)")
    run = current_run()
    query = HealthQuery(unit_id=group_id, as_of=as_of, window=window)
    row = health_rows(store(), run, query)[0]
    kept = store().health_series(run.run_id, "group", [group_id])
    series: dict[str, Any] = {}
    if kept:
        day = date.fromisoformat(row["as_of"]).toordinal()
        first = date.fromisoformat(kept[0].start).toordinal()
        end = day - first + 1
        lo = max(end - window, 0)
        series = {
            "start": date.fromordinal(first + lo).isoformat(),
            **{name: values[lo:end] for name, values in kept[0].values.items()},
        }
    return {"run_id": run.run_id, "window": f"{window}d", **row, "series": series}


@bp.get("/alarms")
@requires(KeyRole.READER)
@cached
def alarms() -> dict[str, Any]:
    """Groups (or ``unit=community``) with an alarm in the current run, and why."""
    unit = arg("unit", choice(UNITS), "group", " (group or community)")
    run = current_run()
    rows = health_rows(store(), run, HealthQuery(unit=unit, alarms_only=True))
    return {"run_id": run.run_id, "unit": unit, "items": rows}
