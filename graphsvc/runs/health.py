"""Health over time of a stored run, as rows: groups or communities with stage, window
figures, alarms and reasons, on the run's as-of day or another day its series cover (for
`graphsvc health`, the API and the dashboard)."""

from __future__ import annotations

__all__ = ["UNITS", "HealthQuery", "health_rows", "parse_window"]

import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from graphsvc.analysis.lifecycle import WINDOWS, Series, assess, window_figures
from graphsvc.errors import InputError, NotFoundError, shown
from graphsvc.model import DAY_SECONDS, AnalysisParams, CommunityResult, GroupResult, RunInfo
from graphsvc.store.base import GraphStore

UNITS = ("group", "community")


def parse_window(text: str) -> int:
    """``"7d"`` → 7; one of WINDOWS days, else ValueError."""
    match = re.fullmatch(r"(\d+)d?", text.strip())
    if not match or int(match.group(1)) not in WINDOWS:
        choices = ", ".join(f"{w}d" for w in WINDOWS)
        raise ValueError(f"window {shown(text)} is not one of {choices}")
    return int(match.group(1))


@dataclass(frozen=True)
class HealthQuery:
    unit: str = "group"  # one of UNITS
    unit_id: str | None = None  # one group or community, else all assessed
    as_of: date | None = None  # None: the run's as-of day
    window: int = 7  # days of the figures (WINDOWS)
    alarms_only: bool = False


def health_rows(store: GraphStore, run: RunInfo, query: HealthQuery) -> list[dict[str, Any]]:
    """One row per group or community the run assessed (``query.unit_id``: that one only,
    NotFoundError if the run has no health for it), only those with an alarm when
    ``alarms_only``."""
    run_day = run.stats.get("health_as_of")
    if run_day is None:
        raise NotFoundError(
            f"run {run.run_id} has no health over time (written by an earlier version, or "
            "nothing in its data is dated): run graphsvc analyze"
        )
    results = _results(store, run, query)
    as_of = query.as_of or date.fromisoformat(run_day)
    own_day = as_of == date.fromisoformat(run_day)  # successors are named on that day only
    if own_day and query.window == 7:
        rows = [_stored_row(query.unit, r) for r in results]
    else:
        rows = _assessed_rows(store, run, query, results, as_of, own_day)
    for row in rows:
        row["as_of"] = as_of.isoformat()
    if query.alarms_only:
        rows = [r for r in rows if r["alarms"]]
    return rows


def _results(
    store: GraphStore, run: RunInfo, query: HealthQuery
) -> list[GroupResult] | list[CommunityResult]:
    if query.unit not in UNITS:
        raise InputError(f"unit {shown(query.unit)} is not one of {', '.join(UNITS)}")
    if query.unit == "group":
        found = (
            [store.group_result(run.run_id, query.unit_id)]
            if query.unit_id is not None
            else store.group_results(run.run_id)
        )
    elif query.unit_id is not None:
        found = [store.community_result(run.run_id, query.unit_id)]
    else:
        found = store.community_results(run.run_id)
    assessed = [r for r in found if r is not None and r.stage]
    if query.unit_id is not None and not assessed:
        raise NotFoundError(
            f"{query.unit} {shown(query.unit_id)} has no health in run {run.run_id}"
        )
    return assessed


def _unit_id(unit: str, r: GroupResult | CommunityResult) -> str:
    return r.group_id if unit == "group" else r.community_id


def _leader(unit: str, r: GroupResult | CommunityResult) -> str | None:
    return r.effective_owner_id if isinstance(r, GroupResult) else r.owner_id


def _stored_row(unit: str, r: GroupResult | CommunityResult) -> dict[str, Any]:
    return {
        f"{unit}_id": _unit_id(unit, r),
        "stage": r.stage,
        "members": r.members,
        "joins_7d": r.joins_7d,
        "quits_7d": r.quits_7d,
        "active_share_7d": r.active_share_7d,
        "silent_share_7d": r.silent_share_7d,
        "interaction_rate_7d": r.interaction_rate_7d,
        "leader_share_7d": r.leader_share_7d,
        "referrals_7d": r.referrals_7d,
        "leader_id": _leader(unit, r),
        "leader_quiet_days": r.leader_quiet_days,
        "successors": r.successors,
        "alarms": r.alarms,
        "reasons": "; ".join(x for x in (r.stage_reason, r.alarm_reasons) if x),
    }


def _assessed_rows(
    store: GraphStore,
    run: RunInfo,
    query: HealthQuery,
    results: list[GroupResult] | list[CommunityResult],
    as_of: date,
    own_day: bool,
) -> list[dict[str, Any]]:
    """Stage, alarms and window figures on ``as_of`` from the series the run kept."""
    ids = [_unit_id(query.unit, r) for r in results]
    kept = store.health_series(run.run_id, query.unit, ids)
    if len(kept) < len(ids):
        raise NotFoundError(f"run {run.run_id} kept no daily series for some {query.unit}s")
    by_id = {h.unit_id: h for h in kept}
    start = date.fromisoformat(kept[0].start) if kept else as_of
    series = Series.of_columns(_day(start), [by_id[i].values for i in ids])
    t = (as_of - start).days
    if not 0 <= t < series.days:
        last = date.fromordinal(start.toordinal() + series.days - 1)
        raise InputError(
            f"as-of {as_of} is outside the days run {run.run_id} kept ({start}…{last})"
        )
    has_leader = np.array([_leader(query.unit, r) is not None for r in results], dtype=bool)
    a = assess(series, t, has_leader, _params(run))
    f = window_figures(series, t, query.window)
    w = f"_{query.window}d"
    rows = []
    for i, r in enumerate(results):
        if not a.stage[i]:
            continue  # no member yet on that day
        rows.append(
            {
                f"{query.unit}_id": ids[i],
                "stage": str(a.stage[i]),
                "members": int(f["members"][i]),
                **{f"{name}{w}": _plain(f[name][i]) for name in _FIGURES},
                "leader_id": _leader(query.unit, r),
                "leader_quiet_days": int(a.leader_quiet_days[i]),
                "successors": r.successors if own_day else "",
                "alarms": str(a.alarms[i]),
                "reasons": "; ".join(x for x in (a.stage_reason[i], a.alarm_reasons[i]) if x),
            }
        )
    return rows


_FIGURES = (
    "joins",
    "quits",
    "active_share",
    "silent_share",
    "interaction_rate",
    "leader_share",
    "referrals",
)


def _plain(value: Any) -> int | float:
    return int(value) if isinstance(value, np.integer) else round(float(value), 4)


def _day(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) // DAY_SECONDS


def _params(run: RunInfo) -> AnalysisParams:
    """The run's analysis parameters (those this version knows)."""
    known = {f.name for f in fields(AnalysisParams)} - {"kind_weights"}
    return AnalysisParams(**{k: v for k, v in run.params.items() if k in known})
