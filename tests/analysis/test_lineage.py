"""Stable community ids: matching by overlap, splits, merges, lineage, ids never reused."""

from __future__ import annotations

import numpy as np
import pytest

from graphsvc.analysis.lineage import (
    community_id,
    match_partitions,
    previous_labels,
    stable_ids,
)
from graphsvc.model import parse_lineage


def blocks(*sizes: int) -> np.ndarray:
    """Consecutive vertices in blocks of the given sizes (block -1 for size given as <0)."""
    return np.concatenate([np.full(abs(s), i if s > 0 else -1) for i, s in enumerate(sizes)])


def test_identical_partition_keeps_every_id() -> None:
    prev = np.array(["c-0003"] * 5 + ["c-0007"] * 4 + [""] * 2, dtype=object)
    new = blocks(5, 4, -2)
    ids = stable_ids(new, 2, np.full(11, -1), np.empty(0, np.int64), previous_labels(prev), {"": 9})
    assert ids.top_ids == ["c-0003", "c-0007"]
    assert ids.top_derived_from == ["c-0003=1", "c-0007=1"]
    assert ids.counters[""] == 9  # nothing new issued


def test_split_keeps_id_on_largest_part_and_the_rest_gets_a_fresh_one() -> None:
    # c-0001 (100 members) splits 60 / 40.
    prev = np.array(["c-0001"] * 100, dtype=object)
    ids = stable_ids(
        blocks(60, 40), 2, np.full(100, -1), np.empty(0, np.int64), previous_labels(prev), {"": 2}
    )
    assert ids.top_ids == ["c-0001", "c-0002"]
    assert parse_lineage(ids.top_derived_from[1]) == [("c-0001", 1.0)]


def test_merge_keeps_id_of_largest_contributor() -> None:
    # c-0004 (30) and c-0009 (70) merge into one community of 100.
    prev = np.array(["c-0004"] * 30 + ["c-0009"] * 70, dtype=object)
    ids = stable_ids(
        blocks(100), 1, np.full(100, -1), np.empty(0, np.int64), previous_labels(prev), {"": 10}
    )
    assert ids.top_ids == ["c-0009"]
    assert parse_lineage(ids.top_derived_from[0]) == [("c-0009", 0.7), ("c-0004", 0.3)]


def test_fresh_ids_are_never_reused() -> None:
    # c-0002 dissolved in an earlier run; the counter says 5 is next, so 2 is not handed out.
    prev = np.array(["c-0001"] * 10 + [""] * 10, dtype=object)
    ids = stable_ids(
        blocks(10, 10), 2, np.full(20, -1), np.empty(0, np.int64), previous_labels(prev), {"": 5}
    )
    assert ids.top_ids == ["c-0001", "c-0005"]
    assert ids.counters[""] == 6


def test_a_few_members_of_an_old_community_do_not_inherit_its_id() -> None:
    # New block 0 has 3 of c-0001's 100 members among 50 newcomers: neither side's majority.
    prev = np.array(["c-0001"] * 100 + [""] * 50, dtype=object)
    new = np.full(150, -1)
    new[97:150] = 0
    ids = stable_ids(
        new, 1, np.full(150, -1), np.empty(0, np.int64), previous_labels(prev), {"": 2}
    )
    assert ids.top_ids == ["c-0002"]
    assert ids.top_derived_from == [""]  # 3 of 53 members (6%) and 3% of c-0001: no link


def test_sub_communities_match_only_within_their_parent() -> None:
    prev = np.array(["c-0001.01"] * 6 + ["c-0001.02"] * 4 + ["c-0002"] * 5, dtype=object)
    top = blocks(10, 5)
    sub = np.concatenate([np.full(4, 1), np.full(6, 0), np.full(5, -1)])  # swapped order
    ids = stable_ids(top, 2, sub, np.array([0, 0]), previous_labels(prev), {"": 3, "c-0001": 3})
    assert ids.top_ids == ["c-0001", "c-0002"]
    assert ids.sub_ids == ["c-0001.02", "c-0001.01"]


def test_without_previous_run_ids_follow_block_order() -> None:
    sub = np.concatenate([np.full(3, 0), np.full(3, 1), np.full(4, -1)])
    ids = stable_ids(blocks(6, 4), 2, sub, np.array([0, 0]), None, None)
    assert ids.top_ids == ["c-0001", "c-0002"]
    assert ids.sub_ids == ["c-0001.01", "c-0001.02"]
    assert ids.counters == {"": 3, "c-0001": 3}


@pytest.mark.parametrize(
    ("number", "parent", "expected"),
    [(42, None, "c-0042"), (3, "c-0042", "c-0042.03"), (12345, None, "c-12345")],
)
def test_id_format(number: int, parent: str | None, expected: str) -> None:
    assert community_id(number, parent) == expected


def test_match_is_independent_of_vertex_order() -> None:
    rng = np.random.default_rng(3)
    prev = rng.integers(-1, 8, 500)
    new = np.where(rng.random(500) < 0.9, prev, rng.integers(-1, 8, 500))
    first = match_partitions(new, 8, prev, 8)
    perm = rng.permutation(500)
    second = match_partitions(new[perm], 8, prev[perm], 8)
    assert first.kept.tolist() == second.kept.tolist()
    assert first.links == second.links
