"""Run diffs on their own (no store): a summary and a bounded top per section, linear time,
independent of the order users come in."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from graphsvc.cli.runs import DIFF_SECTIONS
from graphsvc.model import CommunityResult, GroupResult, RunResult
from graphsvc.runs.diff import COLUMNS, SECTIONS, RunView, diff_runs
from tests.builders import OVERTOOK, later_run, ranked_run


def view(run: RunResult, order: np.ndarray | None = None) -> RunView:
    """A run's users as a diff sees them, in ``order`` (default: as built)."""
    users = run.users
    pick = np.arange(len(users.user_id)) if order is None else order
    columns = {k: users.columns[k][pick] for k in COLUMNS}
    return RunView(run.info.run_id, users.user_id[pick], columns, run.communities)


def two_owner_changes() -> RunResult:
    """``later_run`` where c-b's owner changed too (u1 -> u3), so two owners changed."""
    run = later_run()
    communities = [
        dataclasses.replace(c, owner_id="u3") if c.community_id == "c-b" else c
        for c in run.communities
    ]
    return dataclasses.replace(run, communities=communities)


def test_a_summary_then_each_section_bounded_by_the_limit():
    diff = diff_runs(view(ranked_run()), view(two_owner_changes()), limit=1)
    assert list(diff) == ["from_run", "to_run", "limit", "users", "summary", *SECTIONS]
    assert list(DIFF_SECTIONS) == list(SECTIONS)  # the table shows every section
    assert diff["summary"] == {name: diff[name]["count"] for name in SECTIONS}
    assert diff["summary"]["owner_changes"] == 2
    assert diff["owner_changes"]["top"] == [
        {"community_id": "c-a", "size": 5, "from": "u0", "to": "u2", "reason": OVERTOOK}
    ]
    assert diff["summary"]["kols_new"] == 2
    assert [u["user_id"] for u in diff["kols_new"]["top"]] == ["u5"]  # the higher rank
    for name in SECTIONS:
        assert len(diff[name]["top"]) <= 1, name
        assert diff[name]["count"] >= len(diff[name]["top"]), name


def test_entries_show_both_runs():
    diff = diff_runs(view(ranked_run()), view(later_run()), limit=5)
    assert diff["users"] == {"before": 10, "after": 11, "new": 1, "gone": 0}
    newcomer = diff["kols_new"]["top"][1]
    assert newcomer == {
        "user_id": "u10",
        "tier_before": None,
        "rank_before": None,
        "influence_before": None,
        "tier_after": "kol",
        "rank_after": 11,
        "influence_after": pytest.approx(1 / 11),
    }
    assert diff["tier_moves"]["by_move"] == {"kol->member": 1, "member->kol": 1}


def test_the_order_users_come_in_changes_nothing():
    a, b = ranked_run(), later_run()
    rng = np.random.default_rng(3)
    shuffled = diff_runs(
        view(a, rng.permutation(len(a.users.user_id))),
        view(b, rng.permutation(len(b.users.user_id))),
    )
    assert shuffled == diff_runs(view(a), view(b))


def synthetic(run_id: str, n: int, seed: int) -> RunView:
    """``n`` users with random ranks, tiers and communities (every 10th split in two)."""
    rng = np.random.default_rng(seed)
    tiers = np.array(["core", "kol", "active", "member", "peripheral"], dtype=object)
    community = rng.integers(0, n // 100, n)
    ids = np.array([f"c-{c:04d}" for c in community], dtype=object)
    sub = (community % 10 == 0) & (rng.random(n) < 0.5)
    ids[sub] = [f"{c}.01" for c in ids[sub]]
    communities = [
        CommunityResult(f"c-{c:04d}", 100, f"u{c}", 0.5, None, 0.1, 0.1, 0.1, 0.1, "mesh")
        for c in range(n // 100)
    ]
    rank = rng.permutation(n) + 1
    columns = {
        "tier": tiers[rng.integers(0, 5, n)],
        "influence": 1.0 / rank,
        "influence_rank": rank,
        "community_id": ids,
    }
    user_id = np.array([f"u{i:07d}" for i in range(n)], dtype=object)
    return RunView(run_id, user_id, columns, communities)


def test_a_diff_of_fifty_thousand_users_takes_well_under_a_second():
    """The quadratic diff took ~40 s here (a copy of every column per user)."""
    a, b = synthetic("a", 50_000, 1), synthetic("b", 50_000, 2)
    started = time.perf_counter()
    diff = diff_runs(a, b, limit=10)
    assert time.perf_counter() - started < 5
    assert diff["summary"]["risers"] + diff["summary"]["fallers"] > 40_000
    assert len(diff["risers"]["top"]) == 10


def test_groups_whose_lifecycle_stage_changed():
    before, after = view(ranked_run()), view(later_run())
    group = GroupResult("g1", 9, None, "u0", 0.5, False)
    before = dataclasses.replace(
        before,
        groups=[
            dataclasses.replace(group, stage="growing", members=8),
            dataclasses.replace(group, group_id="g2", stage="interacting", members=30),
            dataclasses.replace(group, group_id="g3"),  # not assessed then
        ],
    )
    reason = "members 6, down 25% from the peak 8"
    after = dataclasses.replace(
        after,
        groups=[
            dataclasses.replace(group, stage="declining", members=6, stage_reason=reason),
            dataclasses.replace(group, group_id="g2", stage="interacting", members=31),
            dataclasses.replace(group, group_id="g3", stage="emerging", members=4),
        ],
    )
    diff = diff_runs(before, after)
    assert diff["summary"]["stage_changes"] == 1
    assert diff["stage_changes"]["top"] == [
        {"group_id": "g1", "size": 6, "from": "growing", "to": "declining", "reason": reason}
    ]
