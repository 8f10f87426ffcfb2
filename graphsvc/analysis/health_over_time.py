"""Health over time for a run: groups and top-level communities assessed on the as-of day,
their daily series kept, and rising members named where a leader went quiet."""

from __future__ import annotations

__all__ = ["UnitHealth", "as_of_day", "health_over_time", "iso_day"]

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.lifecycle import (
    Assessment,
    PairDays,
    Series,
    Tenures,
    assess,
    daily_series,
    distinct,
    group_pair_days,
    rising_members,
    spans,
)
from graphsvc.model import DAY_SECONDS, AnalysisParams, GraphSnapshot, HealthSeries


@dataclass(frozen=True)
class UnitHealth:
    """The groups' or communities' lifecycle (aligned with their index) and series."""

    unit: str  # "group" | "community"
    assessment: Assessment
    successors: dict[int, list[int]]  # unit -> rising member vertices (leader quiet)
    series: Series

    def lifecycle(self, i: int, user_ids: np.ndarray) -> dict:
        """Unit ``i``'s Lifecycle fields."""
        a = self.assessment
        return {
            "stage": str(a.stage[i]),
            "stage_reason": str(a.stage_reason[i]),
            "alarms": str(a.alarms[i]),
            "alarm_reasons": str(a.alarm_reasons[i]),
            "members": int(a.members[i]),
            "joins_7d": int(a.joins_7d[i]),
            "quits_7d": int(a.quits_7d[i]),
            "active_share_7d": round(float(a.active_share_7d[i]), 4),
            "silent_share_7d": round(float(a.silent_share_7d[i]), 4),
            "interaction_rate_7d": round(float(a.interaction_rate_7d[i]), 4),
            "leader_share_7d": round(float(a.owner_share_7d[i]), 4),
            "referrals_7d": int(a.referrals_7d[i]),
            "leader_quiet_days": int(a.leader_quiet_days[i]),
            "successors": ",".join(str(user_ids[v]) for v in self.successors.get(i, [])),
        }

    def kept(self, ids: list[str], days: int) -> list[HealthSeries]:
        """The last ``days`` of every unit's series, to store with the run."""
        days = min(days, self.series.days)
        start = iso_day(self.series.start + self.series.days - days)
        return [
            HealthSeries(self.unit, unit_id, start, self.series.columns(i, days))
            for i, unit_id in enumerate(ids)
        ]


def iso_day(day: int) -> str:
    """A UTC day number as YYYY-MM-DD."""
    return str(np.datetime64(int(day), "D"))


def as_of_day(snapshot: GraphSnapshot, params: AnalysisParams) -> int | None:
    """The UTC day assessed: ``params.as_of``, else ``params.until``, else the latest dated
    event, join or leave; None when nothing is dated."""
    if params.as_of >= 0 or params.until >= 0:
        return (params.as_of if params.as_of >= 0 else params.until) // DAY_SECONDS
    days = []
    if snapshot.activity is not None and len(snapshot.activity.day):
        days.append(int(snapshot.activity.day.max()))
    if snapshot.stays is not None:
        times = np.concatenate([snapshot.stays.joined_at, snapshot.stays.left_at])
        if (times >= 0).any():
            days.append(int(times.max()) // DAY_SECONDS)
    return max(days) if days else None


def health_over_time(
    snapshot: GraphSnapshot,
    group_leader: np.ndarray,
    community: np.ndarray,
    n_communities: int,
    community_leader: np.ndarray,
    params: AnalysisParams,
) -> tuple[int, UnitHealth, UnitHealth] | None:
    """(as-of day, groups' health, communities' health) on the as-of day, from the daily
    series of the ``health_series_days`` days ending it; None without dated data."""
    today = as_of_day(snapshot, params)
    if today is None or snapshot.stays is None or snapshot.activity is None:
        return None
    days = params.health_series_days
    start = today - days + 1
    stays, act = snapshot.stays, snapshot.activity
    recent = (act.day >= start - 30) & (act.day <= today)  # 30: the widest rolling window
    src, dst, day, group = (a[recent] for a in (act.src, act.dst, act.day, act.group))
    tenures = Tenures.of_times(stays.group, stays.user, stays.joined_at, stays.left_at)
    tenures = _until(tenures, today)

    n_groups = len(snapshot.group_ids)
    group_pairs = group_pair_days(src, dst, day, group, tenures)
    ref_unit, ref_day = _group_referrals(snapshot, tenures)
    groups = _unit_health(
        "group", n_groups, start, days, tenures, group_pairs, group_leader, ref_unit, ref_day,
        params,
    )  # fmt: skip

    label = np.asarray(community, np.int64)
    same = (label[src] >= 0) & (label[src] == label[dst])
    community_pairs = PairDays.of(label[src][same], src[same], dst[same], day[same])
    members = tenures.per_user(label)
    ref_unit, ref_day = _community_referrals(snapshot, label)
    communities = _unit_health(
        "community", n_communities, start, days, members, community_pairs, community_leader,
        ref_unit, ref_day, params,
    )  # fmt: skip
    return today, groups, communities


def _until(tenures: Tenures, today: int) -> Tenures:
    """What was known on ``today``: stays begun by then, leaves after it not yet."""
    begun = tenures.join <= today
    leave = np.where(tenures.leave > today, np.iinfo(np.int64).max // 4, tenures.leave)
    return Tenures(tenures.unit[begun], tenures.user[begun], tenures.join[begun], leave[begun])


def _unit_health(
    unit: str,
    n: int,
    start: int,
    days: int,
    tenures: Tenures,
    pairs: PairDays,
    leader: np.ndarray,
    ref_unit: np.ndarray,
    ref_day: np.ndarray,
    params: AnalysisParams,
) -> UnitHealth:
    leader = np.asarray(leader, np.int64)
    series = daily_series(n, start, days, tenures, pairs, leader, ref_unit, ref_day)
    t = days - 1
    assessment = assess(series, t, leader >= 0, params)
    quiet = np.flatnonzero(np.char.find(assessment.alarms.astype(str), "leader_quiet") >= 0)
    recent = np.isin(pairs.unit, quiet) & (pairs.day > start + t - 7)
    spoke = distinct(pairs.unit[recent], pairs.src[recent], pairs.day[recent] - start)
    successors = rising_members(np.column_stack(spoke), t, leader, quiet)
    return UnitHealth(unit, assessment, successors, series)


def _referral_days(snapshot: GraphSnapshot) -> tuple[np.ndarray, np.ndarray]:
    """(invitee vertex, UTC day) of the dated referrals."""
    referred = snapshot.referral_at
    if referred is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    dated = referred >= 0
    return snapshot.referral_invitee[dated], referred[dated] // DAY_SECONDS


def _group_referrals(snapshot: GraphSnapshot, tenures: Tenures):
    """A referral counts in each group its invitee has a stay in."""
    invitee, day = _referral_days(snapshot)
    order = np.argsort(tenures.user, kind="stable")
    users = tenures.user[order]
    first = np.searchsorted(users, invitee, "left")
    count = np.searchsorted(users, invitee, "right") - first
    at = spans(first, count)
    return tenures.unit[order][at], np.repeat(day, count)


def _community_referrals(snapshot: GraphSnapshot, label: np.ndarray):
    """A referral counts in its invitee's community."""
    invitee, day = _referral_days(snapshot)
    inside = label[invitee] >= 0
    return label[invitee][inside], day[inside]
