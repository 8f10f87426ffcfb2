"""Community health over time: daily series per group or community, lifecycle stage, alarms.

Operators run a community through a lifecycle — 萌芽 emerging, 成长 growing, 互动 interacting,
衰亡 declining — and act on rates over time: daily joins and quits, the share of members who
interact each day (healthy groups: roughly 15–25%), the share silent for 7 days, quits of a new
group. A *unit* is a group or a community; its members have stays (join and leave days), and
its activity is pair-days (two users interacted on a day, attributed to the unit). Everything
here is numpy over whole arrays: one pass per series, no loop over units or days.
"""

from __future__ import annotations

__all__ = [
    "ALARMS",
    "STAGES",
    "Assessment",
    "PairDays",
    "Series",
    "Tenures",
    "assess",
    "daily_series",
    "distinct",
    "group_pair_days",
    "rising_members",
    "spans",
    "window_figures",
]

from dataclasses import dataclass

import numpy as np

from graphsvc.model import DAY_SECONDS, AnalysisParams

STAGES = ("emerging", "growing", "interacting", "declining")
ALARMS = ("low_interaction", "silent_majority", "early_quits", "leader_quiet")
NEVER = np.iinfo(np.int64).max // 4  # a leave day that never comes; a join day long before


@dataclass(frozen=True)
class Tenures:
    """Memberships with their days: ``unit`` (group or community), ``user`` (vertex), the UTC
    day numbers of joining (``-NEVER``: before anything recorded) and leaving (``NEVER``:
    still a member)."""

    unit: np.ndarray  # int64
    user: np.ndarray  # int64
    join: np.ndarray  # int64 day
    leave: np.ndarray  # int64 day

    @classmethod
    def of_times(
        cls, unit: np.ndarray, user: np.ndarray, joined_at: np.ndarray, left_at: np.ndarray
    ) -> Tenures:
        """From Unix seconds, -1 where unknown (joined) or none (left)."""
        joined_at, left_at = np.asarray(joined_at, np.int64), np.asarray(left_at, np.int64)
        join = np.where(joined_at >= 0, joined_at // DAY_SECONDS, -NEVER)
        leave = np.where(left_at >= 0, left_at // DAY_SECONDS, NEVER)
        return cls(np.asarray(unit, np.int64), np.asarray(user, np.int64), join, leave)

    def per_user(self, label: np.ndarray) -> Tenures:
        """Stays in the units ``label`` gives each user (a community per vertex, -1 none):
        a user joins with their first stay and leaves with their last, if every stay ended.
        Users without stays are members from before anything recorded."""
        n = len(label)
        join = np.full(n, NEVER, np.int64)
        leave = np.full(n, -NEVER, np.int64)
        np.minimum.at(join, self.user, self.join)
        np.maximum.at(leave, self.user, self.leave)
        none = join == NEVER
        join[none], leave[none] = -NEVER, NEVER
        users = np.flatnonzero(label >= 0)
        return Tenures(label[users].astype(np.int64), users, join[users], leave[users])


@dataclass(frozen=True)
class PairDays:
    """Distinct (unit, src, dst, day): two users interacted on that UTC day, in that unit."""

    unit: np.ndarray  # int64
    src: np.ndarray  # int64 vertex
    dst: np.ndarray  # int64 vertex
    day: np.ndarray  # int64

    @classmethod
    def of(cls, unit, src, dst, day) -> PairDays:
        """Distinct rows of the given columns."""
        return cls(*distinct(unit, src, dst, day))


def distinct(*columns: np.ndarray) -> list[np.ndarray]:
    """The distinct rows of integer ``columns``, sorted. Columns are packed into one int64
    key from the left; when the next one no longer fits, the key so far is replaced by its
    rank among its distinct values (order kept). One 1-D unique of the keys, then the columns
    are unpacked from the distinct keys (no gather by index)."""
    columns = [np.asarray(c, np.int64) for c in columns]
    if not len(columns[0]):
        return columns
    key = np.zeros(len(columns[0]), np.int64)
    span, steps = 1, []
    for c in columns:
        low, width = int(c.min()), int(c.max()) - int(c.min()) + 1
        if float(span) * width >= 2.0**62:
            values, key = np.unique(key, return_inverse=True)
            steps.append(values)
            span = len(values)
        key = key * width + (c - low)
        steps.append((low, width))
        span *= width
    key = np.sort(key)  # a sort, then neighbours compared: faster than hashing many keys
    key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    out = []
    for step in reversed(steps):
        if isinstance(step, tuple):
            key, part = np.divmod(key, step[1])
            out.append(part + step[0])
        else:
            key = step[key]
    return out[::-1]


def spans(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The indexes first[i], …, first[i] + count[i] − 1 of every i, concatenated."""
    return np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())


def group_pair_days(
    src: np.ndarray, dst: np.ndarray, day: np.ndarray, group: np.ndarray, stays: Tenures
) -> PairDays:
    """Attribute each pair-day to groups: the group the event names (``group`` ≥ 0), else
    every group both users were members of that day (``stays`` of groups). Stays are looked
    up per user through offsets (users have few), not by search."""
    src, dst, day, group = (np.asarray(a, np.int64) for a in (src, dst, day, group))
    named = group >= 0
    loose = np.flatnonzero(~named)
    order = np.argsort(stays.user, kind="stable")
    s_unit, s_join, s_leave = stays.unit[order], stays.join[order], stays.leave[order]
    n = int(max(stays.user.max(initial=-1), src.max(initial=-1), dst.max(initial=-1))) + 1
    per_user = np.bincount(stays.user, minlength=n)
    offset = np.concatenate([[0], np.cumsum(per_user)])
    # each loose pair-day, once for each group its src was in that day
    count = per_user[src[loose]]
    row = np.repeat(loose, count)
    at = spans(offset[src[loose]], count)
    unit = s_unit[at]
    inside = (s_join[at] <= day[row]) & (day[row] < s_leave[at])
    row, unit = row[inside], unit[inside]
    # ... and dst too: look through dst's few stays
    shared = np.zeros(len(row), dtype=bool)
    reach = per_user[dst[row]]
    for k in range(int(reach.max(initial=0))):
        open_ = np.flatnonzero(~shared & (reach > k))
        at = offset[dst[row[open_]]] + k
        d = day[row[open_]]
        shared[open_] = (s_unit[at] == unit[open_]) & (s_join[at] <= d) & (d < s_leave[at])
    row, unit = row[shared], unit[shared]
    return PairDays.of(
        np.concatenate([group[named], unit]),
        np.concatenate([src[named], src[row]]),
        np.concatenate([dst[named], dst[row]]),
        np.concatenate([day[named], day[row]]),
    )


@dataclass(frozen=True)
class Series:
    """Daily series of ``n`` units over ``days`` days from UTC day ``start``; each (n, days)."""

    start: int
    members: np.ndarray  # members at the end of the day
    joins: np.ndarray
    quits: np.ndarray
    active: np.ndarray  # distinct members who interacted that day
    active_7d: np.ndarray  # ... in the 7 days ending that day
    active_30d: np.ndarray
    interactions: np.ndarray  # interacting pairs that day
    owner_interactions: np.ndarray  # ... with the unit's leader
    referrals: np.ndarray  # new members invited by someone (invitee's referral day)
    leader_active: np.ndarray  # 1 when the leader spoke to someone that day

    NAMES = (
        "members",
        "joins",
        "quits",
        "active",
        "active_7d",
        "active_30d",
        "interactions",
        "owner_interactions",
        "referrals",
        "leader_active",
    )

    @property
    def days(self) -> int:
        return self.members.shape[1]

    def columns(self, unit: int, last: int) -> dict[str, list[int]]:
        """Unit ``unit``'s series over its ``last`` days, as plain lists (for storing)."""
        return {name: getattr(self, name)[unit, -last:].tolist() for name in self.NAMES}

    @classmethod
    def of_columns(cls, start: int, units: list[dict[str, list[int]]]) -> Series:
        """Series of units stored by ``columns`` (all of one length, from UTC day ``start``)."""
        return cls(
            start, *(np.array([u[name] for u in units], np.int32).reshape(len(units), -1)
                     for name in cls.NAMES)
        )  # fmt: skip


def _counts(unit: np.ndarray, index: np.ndarray, n: int, days: int) -> np.ndarray:
    """How many rows fall on each (unit, day index), for indexes inside [0, days)."""
    inside = (index >= 0) & (index < days)
    flat = unit[inside] * days + index[inside]
    return np.bincount(flat, minlength=n * days).reshape(n, days).astype(np.int32)


def _covered(unit: np.ndarray, begin: np.ndarray, end: np.ndarray, n: int, days: int):
    """How many [begin, end) intervals cover each (unit, day index) (clipped to the range)."""
    begin, end = np.clip(begin, 0, days), np.clip(end, 0, days)
    keep = begin < end
    unit, begin, end = unit[keep], begin[keep], end[keep]
    diff = np.bincount(unit * (days + 1) + begin, minlength=n * (days + 1))
    diff -= np.bincount(unit * (days + 1) + end, minlength=n * (days + 1))
    return np.cumsum(diff.reshape(n, days + 1), axis=1)[:, :days].astype(np.int32)


def _active(rows: np.ndarray, n: int, days: int, windows: tuple[int, ...]) -> list[np.ndarray]:
    """Distinct users active in the ``windows`` days ending each day, from sorted distinct
    (unit, user, day index) ``rows``: each active day covers itself and the next window − 1
    days, up to the user's next active day (so no user counts twice)."""
    unit, user, day = rows[:, 0], rows[:, 1], rows[:, 2]
    nxt = np.full(len(day), NEVER, np.int64)
    same = (unit[1:] == unit[:-1]) & (user[1:] == user[:-1])
    nxt[:-1][same] = day[1:][same]
    return [_covered(unit, day, np.minimum(day + w, nxt), n, days) for w in windows]


def active_rows(pairs: PairDays, start: int) -> np.ndarray:
    """Sorted distinct (unit, user, day index from ``start``) of users who interacted."""
    unit, user, day = distinct(
        np.concatenate([pairs.unit, pairs.unit]),
        np.concatenate([pairs.src, pairs.dst]),
        np.concatenate([pairs.day, pairs.day]) - start,
    )
    return np.column_stack([unit, user, day])


def daily_series(
    n: int,
    start: int,
    days: int,
    stays: Tenures,
    pairs: PairDays,
    leader: np.ndarray,
    referral_unit: np.ndarray,
    referral_day: np.ndarray,
) -> Series:
    """Daily series of ``n`` units over ``days`` days from UTC day ``start``. ``leader``: the
    vertex leading each unit (-1 none); referrals: the unit and day of each invitee's
    referral. Members count from the join day up to, not including, the leave day."""
    join, leave = stays.join - start, stays.leave - start
    members = _covered(stays.unit, join, leave, n, days)
    rows = active_rows(pairs, start)
    index = pairs.day - start
    active, active_7d, active_30d = _active(rows, n, days, (1, 7, 30))
    lead = np.asarray(leader, np.int64)[pairs.unit]
    by_leader = (lead >= 0) & ((pairs.src == lead) | (pairs.dst == lead))
    spoke = pairs.src == lead  # the leader spoke (being spoken to is not enough)
    return Series(
        start=start,
        members=members,
        joins=_counts(stays.unit, join, n, days),
        quits=_counts(stays.unit, leave, n, days),
        active=active,
        active_7d=active_7d,
        active_30d=active_30d,
        interactions=_counts(pairs.unit, index, n, days),
        owner_interactions=_counts(pairs.unit[by_leader], index[by_leader], n, days),
        referrals=_counts(
            np.asarray(referral_unit, np.int64), np.asarray(referral_day, np.int64) - start, n, days
        ),
        leader_active=_counts(pairs.unit[spoke], index[spoke], n, days).clip(max=1),
    )


@dataclass(frozen=True)
class Assessment:
    """Each unit's health on one day: figures of the 7 days ending it, stage, alarms."""

    members: np.ndarray  # int64
    age_days: np.ndarray  # int64 days since the first member joined (-1: before the series)
    joins_7d: np.ndarray
    quits_7d: np.ndarray
    active_share_7d: np.ndarray  # members who interacted in the 7 days / members
    silent_share_7d: np.ndarray  # 1 − active_share_7d
    interaction_rate_7d: np.ndarray  # mean daily share of members who interacted
    owner_share_7d: np.ndarray  # share of interacting pairs involving the leader
    referrals_7d: np.ndarray
    leader_quiet_days: np.ndarray  # days since the leader last interacted (-1: no leader)
    stage: np.ndarray  # str, one of STAGES
    stage_reason: np.ndarray  # str
    alarms: np.ndarray  # str: the ALARMS raised, comma-separated
    alarm_reasons: np.ndarray  # str


def _window(a: np.ndarray, t: int, width: int) -> np.ndarray:
    """Sum over the ``width`` days ending day index ``t``."""
    return a[:, max(t - width + 1, 0) : t + 1].sum(axis=1)


WINDOWS = (1, 7, 30)  # the windows active shares are kept for (Series.active, _7d, _30d)


def window_figures(s: Series, t: int, window: int) -> dict[str, np.ndarray]:
    """Every unit's figures over the ``window`` days (one of WINDOWS) ending day index ``t``:
    members (on day t), joins, quits, referrals, active_share (members who interacted in
    the window), silent_share, interaction_rate (mean daily share interacting), leader_share
    (share of interacting pairs involving the leader)."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS} days, not {window}")
    active = {1: s.active, 7: s.active_7d, 30: s.active_30d}[window][:, t]
    members = s.members[:, t].astype(np.int64)
    share = _share(active, members)
    return {
        "members": members,
        "joins": _window(s.joins, t, window).astype(np.int64),
        "quits": _window(s.quits, t, window).astype(np.int64),
        "referrals": _window(s.referrals, t, window).astype(np.int64),
        "active_share": share,
        "silent_share": np.where(members > 0, 1 - share, 0.0),
        "interaction_rate": _daily_rate(s, t, window),
        "leader_share": _share(
            _window(s.owner_interactions, t, window), _window(s.interactions, t, window)
        ),
    }


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    part, whole = np.asarray(part, float), np.asarray(whole, float)
    return np.divide(part, whole, out=np.zeros(len(whole)), where=whole > 0).clip(0, 1)


def _daily_rate(s: Series, t: int, width: int) -> np.ndarray:
    """Mean over the ``width`` days ending day ``t`` of active / members (days with members)."""
    lo = max(t - width + 1, 0)
    members, active = s.members[:, lo : t + 1].astype(float), s.active[:, lo : t + 1]
    rate = np.divide(active, members, out=np.zeros_like(members), where=members > 0).clip(0, 1)
    days = (members > 0).sum(axis=1)
    return np.divide(rate.sum(axis=1), days, out=np.zeros(len(days)), where=days > 0)


def assess(s: Series, t: int, has_leader: np.ndarray, params: AnalysisParams) -> Assessment:
    """Health of every unit on day index ``t`` of ``s`` (``has_leader``: per unit), by the
    documented rules (README
    "Community health over time"), first match wins:

    - **emerging**: the first member joined less than ``health_emerging_days`` ago;
    - **declining**: members fell ``health_decline_share`` below their peak of the last 30
      days, or quits outnumber joins over 7 days while the daily interaction rate halved
      against the 3 weeks before;
    - **growing**: members grew by ``health_growth_rate`` or more in 7 days (net of quits);
    - **interacting**: otherwise (a steady membership);

    "" for a unit without members yet.

    Alarms (groups of at least ``health_min_members``): daily interaction rate below
    ``health_min_interaction_rate``; silent share above ``health_max_silent_share``; a group
    younger than ``health_new_group_days`` losing more than ``health_max_early_quits`` of its
    members in 7 days; the leader silent for ``health_leader_quiet_days`` while others talk.
    """
    n = s.members.shape[0]
    f = window_figures(s, t, 7)
    members, joins, quits = f["members"], f["joins"], f["quits"]
    active_share, rate = f["active_share"], f["interaction_rate"]
    ever = np.cumsum(s.joins, axis=1)[:, t] > 0
    first_join = np.argmax(s.joins > 0, axis=1)
    older = s.members[:, 0] - s.joins[:, 0] + s.quits[:, 0] > 0  # members before day 0
    age = np.where(older | ~ever, -1, t - first_join)
    before = s.members[:, max(t - 7, 0)].astype(float)
    rate_before = _daily_rate(s, t - 7, 21) if t >= 7 else rate
    peak = s.members[:, max(t - 29, 0) : t + 1].max(axis=1)
    growth = np.divide(joins - quits, before, out=np.zeros(n), where=before > 0)
    spoke = s.leader_active[:, : t + 1] > 0
    last_spoke = t - np.argmax(spoke[:, ::-1], axis=1)
    quiet = np.where(spoke.any(axis=1), t - last_spoke, t + 1)
    quiet = np.where(np.asarray(has_leader, bool), quiet, -1)

    p = params
    young = (age >= 0) & (age < p.health_emerging_days)
    fell = members < (1 - p.health_decline_share) * peak
    fading = (quits > joins) & (rate < 0.5 * rate_before) & (rate_before > 0)
    shrinking = fell | fading | ((members == 0) & ever)
    rising = growth >= p.health_growth_rate
    exists = ever | older  # "": no member yet, nothing to assess
    stage = np.select(
        [~exists, young, shrinking, rising],
        ["", "emerging", "declining", "growing"],
        "interacting",
    ).astype(object)
    reason = np.empty(n, dtype=object)
    for i in range(n):  # words per unit (a few thousand); the figures are vectorized above
        reason[i] = _stage_words(
            stage[i], age[i], members[i], peak[i], rate[i], rate_before[i], growth[i]
        )

    big = members >= p.health_min_members
    new = (age >= 0) & (age < p.health_new_group_days)
    raised = {
        "low_interaction": big & (rate < p.health_min_interaction_rate),
        "silent_majority": big & (1 - active_share > p.health_max_silent_share),
        "early_quits": big & new & (quits > p.health_max_early_quits * (before + joins)),
        "leader_quiet": big & (quiet >= p.health_leader_quiet_days) & (s.active_7d[:, t] > 0),
    }
    alarms = np.empty(n, dtype=object)
    words = np.empty(n, dtype=object)
    for i in range(n):
        names = [a for a in ALARMS if raised[a][i]]
        alarms[i] = ",".join(names)
        words[i] = "; ".join(
            _alarm_words(a, rate[i], active_share[i], quits[i], before[i] + joins[i], quiet[i])
            for a in names
        )
    return Assessment(
        members=members,
        age_days=age.astype(np.int64),
        joins_7d=joins,
        quits_7d=quits,
        active_share_7d=active_share,
        silent_share_7d=f["silent_share"],
        interaction_rate_7d=rate,
        owner_share_7d=f["leader_share"],
        referrals_7d=f["referrals"],
        leader_quiet_days=quiet.astype(np.int64),
        stage=stage,
        stage_reason=reason,
        alarms=alarms,
        alarm_reasons=words,
    )


def _stage_words(stage, age, members, peak, rate, rate_before, growth) -> str:
    if stage == "emerging":
        return f"{age} days old"
    if stage == "declining":
        if members < peak:
            return f"members {members}, down {1 - members / peak:.0%} from the peak {peak}"
        return f"more quits than joins; daily interaction {rate:.0%} (was {rate_before:.0%})"
    if stage == "growing":
        return f"members +{growth:.0%} in 7 days"
    return f"members {growth:+.0%} in 7 days; {rate:.0%} interact daily"


def _alarm_words(alarm, rate, active_share, quits, base, quiet) -> str:
    if alarm == "low_interaction":
        return f"{rate:.0%} of members interact daily"
    if alarm == "silent_majority":
        return f"{1 - active_share:.0%} silent for 7 days"
    if alarm == "early_quits":
        return f"{quits} quits in 7 days ({quits / max(base, 1):.0%}) in a new group"
    return f"leader silent for {quiet} days"


def rising_members(
    rows: np.ndarray, t: int, leader: np.ndarray, units: np.ndarray, top: int = 3
) -> dict[int, list[int]]:
    """For each of ``units``, up to ``top`` members (vertices) who spoke on the most days of
    the 7 ending day index ``t``, leader excluded: who could take over (ties: lower vertex
    first). ``rows``: distinct (unit, user, day index) of users who spoke."""
    recent = rows[(rows[:, 2] > t - 7) & (rows[:, 2] <= t) & np.isin(rows[:, 0], units)]
    recent = recent[recent[:, 1] != np.asarray(leader, np.int64)[recent[:, 0]]]
    unit, user = distinct(recent[:, 0], recent[:, 1])  # speakers, then their days spoken
    days = _days_spoken(recent, unit, user)
    order = np.lexsort((user, -days, unit))
    unit, user = unit[order], user[order]
    first = np.concatenate([[True], unit[1:] != unit[:-1]])
    place = np.arange(len(unit)) - np.maximum.accumulate(np.where(first, np.arange(len(unit)), 0))
    out: dict[int, list[int]] = {int(u): [] for u in units}
    for u, v in zip(unit[place < top].tolist(), user[place < top].tolist(), strict=True):
        out[u].append(v)
    return out


def _days_spoken(recent: np.ndarray, unit: np.ndarray, user: np.ndarray) -> np.ndarray:
    """How many of ``recent``'s distinct (unit, user, day) rows each sorted distinct
    (``unit``, ``user``) has."""
    width = int(max(user.max(initial=0), recent[:, 1].max(initial=0))) + 1
    keys = unit * width + user
    return np.bincount(
        np.searchsorted(keys, recent[:, 0] * width + recent[:, 1]), minlength=len(keys)
    )
