"""Health over time: daily series against a day-by-day count, group attribution, stage and
alarm rules, and planted lifecycles (generated groups that grow, peak and decay on known days)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from graphsvc.analysis.lifecycle import (
    NEVER,
    PairDays,
    Tenures,
    assess,
    daily_series,
    distinct,
    group_pair_days,
    window_figures,
)
from graphsvc.analysis.pipeline import run_pipeline
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import DAY_SECONDS, AnalysisParams, pack_series, unpack_series
from graphsvc.store.sqlite import SqliteStore
from graphsvc.synth.lifecycles import PLANTED_ALARMS, planted_stage, write_lifecycles


def _random_history(seed: int, n_units=4, n_users=30, days=40):
    rng = np.random.default_rng(seed)
    m = 60
    unit = rng.integers(0, n_units, m)
    user = rng.integers(0, n_users, m)
    unit, user = distinct(unit, user)  # one stay per (unit, user)
    m = len(unit)
    join = rng.integers(-5, days, m)
    join[rng.random(m) < 0.2] = -NEVER
    leave = np.where(rng.random(m) < 0.4, join + rng.integers(1, 30, m), NEVER)
    leave[join == -NEVER] = np.where(rng.random((join == -NEVER).sum()) < 0.5, 10, NEVER)
    k = 400
    pairs = PairDays.of(
        rng.integers(0, n_units, k),
        rng.integers(0, n_users, k),
        rng.integers(0, n_users, k),
        rng.integers(-35, days, k),
    )
    leader = rng.integers(-1, n_users, n_units)
    ref_unit, ref_day = rng.integers(0, n_units, 50), rng.integers(-3, days + 3, 50)
    return Tenures(unit, user, join, leave), pairs, leader, ref_unit, ref_day


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_daily_series_equal_a_day_by_day_count(seed):
    n_units, days, start = 4, 40, 20_000
    tenures, pairs, leader, ref_unit, ref_day = _random_history(seed, n_units, days=days)
    shifted = Tenures(
        tenures.unit,
        tenures.user,
        np.where(tenures.join == -NEVER, -NEVER, tenures.join + start),
        np.where(tenures.leave == NEVER, NEVER, tenures.leave + start),
    )
    moved = replace(pairs, day=pairs.day + start)
    s = daily_series(n_units, start, days, shifted, moved, leader, ref_unit, ref_day + start)
    for u in range(n_units):
        mine = tenures.unit == u
        here = pairs.unit == u
        for d in range(days):
            members = ((tenures.join[mine] <= d) & (d < tenures.leave[mine])).sum()
            assert s.members[u, d] == members
            assert s.joins[u, d] == (tenures.join[mine] == d).sum()
            assert s.quits[u, d] == (tenures.leave[mine] == d).sum()

            def active(width, u=u, d=d, here=here):
                on = here & (pairs.day > d - width) & (pairs.day <= d)
                return len(set(pairs.src[on]) | set(pairs.dst[on]))

            assert (s.active[u, d], s.active_7d[u, d], s.active_30d[u, d]) == (
                active(1),
                active(7),
                active(30),
            )
            today = here & (pairs.day == d)
            assert s.interactions[u, d] == today.sum()
            lead = leader[u]
            touches = (pairs.src[today] == lead) | (pairs.dst[today] == lead)
            assert s.owner_interactions[u, d] == (touches.sum() if lead >= 0 else 0)
            assert s.leader_active[u, d] == int(lead >= 0 and (pairs.src[today] == lead).any())
            assert s.referrals[u, d] == ((ref_unit == u) & (ref_day == d)).sum()


def test_distinct_rows_sorted_whether_packed_or_not():
    rng = np.random.default_rng(3)
    small = [rng.integers(0, 5, 200) for _ in range(3)]
    wide = [rng.integers(0, 5, 200), rng.integers(0, 2**40, 200), rng.integers(0, 2**40, 200)]
    wide[1][:100] = wide[1][100:]  # repeats
    wide[2][:100] = wide[2][100:]
    wide[0][:100] = wide[0][100:]
    for columns in (small, wide):
        expected = sorted(set(zip(*(c.tolist() for c in columns), strict=True)))
        got = list(zip(*(c.tolist() for c in distinct(*columns)), strict=True))
        assert got == expected


def test_events_count_in_the_group_they_name_else_in_groups_shared_that_day():
    # users 0, 1 share groups 0 (from day 10) and 1 (days 0-20); user 2 is only in group 1
    tenures = Tenures(
        unit=np.array([0, 0, 1, 1, 1]),
        user=np.array([0, 1, 0, 1, 2]),
        join=np.array([10, 0, 0, 0, 0]),
        leave=np.array([NEVER, NEVER, 20, 20, NEVER]),
    )
    pairs = group_pair_days(
        src=np.array([0, 0, 0, 0, 0]),
        dst=np.array([1, 1, 1, 2, 1]),
        day=np.array([5, 15, 25, 5, 7]),
        group=np.array([-1, -1, -1, -1, 3]),
        stays=tenures,
    )
    columns = (pairs.unit, pairs.src, pairs.dst, pairs.day)
    got = set(zip(*(c.tolist() for c in columns), strict=True))
    assert got == {
        (1, 0, 1, 5),  # only group 1 is shared on day 5
        (0, 0, 1, 15),  # both on day 15
        (1, 0, 1, 15),
        # day 25: user 0 left group 1, group 0 still shared
        (0, 0, 1, 25),
        # user 2 and 0 share group 1 on day 5
        (1, 0, 2, 5),
        (3, 0, 1, 7),  # the group the event names
    }


def test_window_figures_and_rules_on_a_hand_made_group():
    # 10 members join on day 0; 3 quit on day 20; 2 interact every day until day 25
    n_days, start = 30, 0
    user = np.arange(10)
    leave = np.where(user >= 7, 20, NEVER)
    tenures = Tenures(np.zeros(10, np.int64), user, np.zeros(10, np.int64), leave)
    days = np.arange(0, 26)
    pairs = PairDays.of(np.zeros(len(days)), np.zeros(len(days)), np.ones(len(days)), days)
    s = daily_series(1, start, n_days, tenures, pairs, np.array([0]), np.array([]), np.array([]))
    f = window_figures(s, 22, 7)
    assert (f["members"][0], f["joins"][0], f["quits"][0]) == (7, 0, 3)
    assert f["active_share"][0] == pytest.approx(2 / 7)
    assert f["interaction_rate"][0] == pytest.approx(np.mean([2 / 10] * 4 + [2 / 7] * 3))
    assert f["leader_share"][0] == 1.0
    params = AnalysisParams()
    a = assess(s, 22, np.array([True]), params)
    assert a.stage[0] == "declining"
    assert "down 30% from the peak 10" in a.stage_reason[0]
    late = assess(s, 29, np.array([True]), params)
    assert late.leader_quiet_days[0] == 4  # last spoke on day 25
    assert "silent_majority" in late.alarms[0].split(",")  # 5 of 7 silent in days 23-29
    early = assess(s, 5, np.array([True]), params)
    assert early.stage[0] == "emerging"
    assert early.age_days[0] == 5


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    out = tmp_path_factory.mktemp("lifecycles")
    truth = write_lifecycles(out / "files", groups=30, seed=0)
    store = SqliteStore(out / "store.db")
    store.init_schema()
    load_files(discover(out / "files"), store)
    snapshot = build_snapshot(store)
    yield truth, snapshot
    store.close()


def _groups_on(snapshot, day: int) -> dict[str, object]:
    params = AnalysisParams(as_of=day * DAY_SECONDS + DAY_SECONDS - 1)
    output = run_pipeline(snapshot, params)
    return {g.group_id: g for g in output.groups}


def test_planted_lifecycle_stages_are_found(planted):
    truth, snapshot = planted
    right = total = 0
    for index in (30, 60, 90, 120, truth.days - 1):
        found = _groups_on(snapshot, truth.start_day + index)
        for group in truth.groups:
            expected = planted_stage(group, index)
            if expected is None:
                continue
            total += 1
            right += found[group.group_id].stage == expected
    assert total >= 100
    assert right / total >= 0.9, f"stage accuracy {right}/{total}"


def test_planted_alarms_are_raised_and_healthy_groups_raise_none(planted):
    truth, snapshot = planted
    found = _groups_on(snapshot, truth.start_day + truth.days - 1)
    for group in truth.groups:
        alarms = set(filter(None, found[group.group_id].alarms.split(",")))
        if group.trouble:
            assert PLANTED_ALARMS[group.trouble] in alarms, (group, alarms)
        elif group.decline is None:
            assert not alarms, (group, alarms)
    quiet = [g for g in truth.groups if g.trouble == "quiet_leader"]
    assert quiet
    for group in quiet:
        result = found[group.group_id]
        assert result.effective_owner_id == group.owner
        assert result.leader_quiet_days >= 10
        assert set(result.successors.split(",")) == set(group.rising)


def test_members_who_left_are_not_members_of_the_group_now(planted):
    _, snapshot = planted
    left = snapshot.stays.left_at >= 0
    assert left.any()
    now = set(
        zip(snapshot.membership_user.tolist(), snapshot.membership_group.tolist(), strict=True)
    )
    stays = snapshot.stays
    gone = set(zip(stays.user[left].tolist(), stays.group[left].tolist(), strict=True))
    assert not now & gone


def test_series_pack_into_runs_and_back():
    rng = np.random.default_rng(4)
    values = {
        "members": np.repeat(rng.integers(0, 90, 12), rng.integers(1, 30, 12)).tolist(),
        "joins": (rng.random(180) < 0.05).astype(int).tolist(),
        "active": rng.integers(0, 40, 180).tolist(),
        "none": [],
    }
    text = pack_series(values)
    assert unpack_series(text) == values
    assert len(text) < len(json.dumps(values)) / 2
