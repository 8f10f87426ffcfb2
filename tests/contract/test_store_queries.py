"""The store contract, API reads: filtered and sorted user pages with keyset cursors, a user's
groups, referral upline and downline, community pages, one community or group."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from graphsvc.errors import NotFoundError
from graphsvc.store.base import COMMUNITY_SORTS, USER_SORTS, CommunityQuery, UserQuery
from tests.builders import load_query_graph, ranked_run

RUN = ranked_run()
COLUMNS = RUN.users.columns


@pytest.fixture
def loaded(store):
    load_query_graph(store)
    return store


def expected_order(sort: str, keep=lambda i: True) -> list[str]:
    """User ids by sort value descending (missing as -1), ties by influence rank."""
    rank = COLUMNS["influence_rank"]
    values = [-1 if math.isnan(v) else v for v in np.asarray(COLUMNS[sort], dtype=float)]
    order = sorted(
        range(10), key=lambda i: (rank[i] if sort == "influence" else -values[i], rank[i])
    )
    return [f"u{i}" for i in order if keep(i)]


def walk(store, query: UserQuery, size: int) -> list[str]:
    """Every page of ``size`` rows, following the keyset of each page's last row."""
    seen, after = [], None
    while True:
        rows = store.user_page("r1", UserQuery(**{**query.__dict__, "after": after, "limit": size}))
        seen += [r["user_id"] for r in rows]
        if len(rows) < size:
            return seen
        last = rows[-1]
        value = last[query.sort]
        after = (-1 if value is None or value != value else value, last["influence_rank"])


@pytest.mark.parametrize("sort", USER_SORTS)
def test_user_pages_sort_descending_with_ties_by_rank(loaded, sort):
    rows = loaded.user_page("r1", UserQuery(sort=sort, limit=100))
    assert [r["user_id"] for r in rows] == expected_order(sort)
    assert {r["name"] for r in rows} == {None}
    assert set(rows[0]) >= {"user_id", "influence_rank", "betweenness", "tier"}


@pytest.mark.parametrize("sort", USER_SORTS)
@pytest.mark.parametrize("size", [1, 3, 4])
def test_keyset_pages_cover_every_user_once_in_order(loaded, sort, size):
    assert walk(loaded, UserQuery(sort=sort), size) == expected_order(sort)


def test_user_filters_combine(loaded):
    def ids(**where):
        return [r["user_id"] for r in loaded.user_page("r1", UserQuery(limit=100, **where))]

    assert ids(tier="kol") == ["u1", "u2"]
    assert ids(role="connector_hub") == ["u0"]
    assert ids(community_id="c-b") == ["u1", "u3", "u5", "u7", "u9"]
    assert ids(min_influence=0.25) == ["u0", "u1", "u2", "u3"]  # influence = 1 / rank
    assert ids(min_quality=0.75) == ["u0", "u1", "u4"]  # no audience (NaN): never
    assert ids(min_shill_score=0.5) == ["u3", "u5"]
    assert ids(sort="shill_score", min_shill_score=0.5) == ["u3", "u5"]
    assert ids(group_id="g1") == ["u0", "u3", "u9"]
    assert ids(group_id="g1", tier="member") == ["u3"]
    assert ids(group_id="nope") == []
    assert ids(sort="coreness", community_id="c-b") == ["u1", "u3", "u9", "u5", "u7"]


def test_user_page_of_an_unknown_run_is_not_found(loaded):
    with pytest.raises(NotFoundError):
        loaded.user_page("nope", UserQuery())


def test_missing_values_read_back_as_none_never_nan(loaded):
    rows = [*loaded.user_page("r1", UserQuery(limit=10)), loaded.user_result("r1", "u3")]
    assert [r["betweenness"] for r in rows[:10]].count(None) == 2
    assert rows[-1]["betweenness"] is None
    assert not [v for r in rows for v in r.values() if isinstance(v, float) and math.isnan(v)]


def test_user_profile_is_the_result_with_inviter_and_groups(loaded):
    for user in ("u0", "u3", "u9"):
        inviter = loaded.referral_tree(user, "up", 1, 1)
        assert loaded.user_profile("r1", user) == {
            **loaded.user_result("r1", user),
            "inviter_id": inviter[0]["user_id"] if inviter else None,
            "groups": loaded.user_groups(user),
        }
    assert loaded.user_profile("r1", "u3")["inviter_id"] == "u1"
    assert loaded.user_profile("r1", "nobody") is None
    with pytest.raises(NotFoundError):
        loaded.user_profile("nope", "u3")


def test_score_column_holds_every_users_value(loaded):
    got = loaded.score_column("r1", "betweenness")
    want = np.asarray(COLUMNS["betweenness"], dtype=float)
    assert np.isnan(got).sum() == 2
    assert sorted(got[~np.isnan(got)]) == sorted(want[~np.isnan(want)])
    assert sorted(loaded.score_column("r1", "coreness")) == sorted(COLUMNS["coreness"])


def test_user_groups_with_member_roles(loaded):
    assert loaded.user_groups("u0") == [
        {"group_id": "g1", "name": "团购群", "role": "admin"},
        {"group_id": "g2", "name": "fans", "role": "member"},
    ]
    assert loaded.user_groups("u7") == []


def test_referral_downline_by_depth(loaded):
    def down(user, depth, limit=100):
        return [
            (r["user_id"], r["inviter_id"], r["depth"])
            for r in loaded.referral_tree(user, "down", depth, limit)
        ]

    assert down("u0", 1) == [("u1", "u0", 1), ("u2", "u0", 1)]
    assert down("u0", 3) == [
        ("u1", "u0", 1),
        ("u2", "u0", 1),
        ("u3", "u1", 2),
        ("u6", "u2", 2),
        ("u4", "u3", 3),
        ("u5", "u3", 3),
    ]
    assert down("u0", 3, limit=3) == [("u1", "u0", 1), ("u2", "u0", 1), ("u3", "u1", 2)]
    assert down("u4", 5) == []
    assert down("nobody", 2) == []


def test_referral_upline_by_depth(loaded):
    def up(user, depth):
        return [
            (r["user_id"], r["inviter_id"], r["depth"])
            for r in loaded.referral_tree(user, "up", depth, 100)
        ]

    assert up("u5", 1) == [("u3", "u1", 1)]
    assert up("u5", 10) == [("u3", "u1", 1), ("u1", "u0", 2), ("u0", None, 3)]
    assert up("u0", 3) == []


def community_walk(store, query: CommunityQuery, size: int) -> list[str]:
    seen, after = [], None
    while True:
        found = store.community_page("r1", CommunityQuery(query.shape, query.sort, after, size))
        seen += [c.community_id for c in found]
        if len(found) < size:
            return seen
        last = found[-1]
        after = (last.size if query.sort == "size" else last.health_score or 0.0, last.community_id)


@pytest.mark.parametrize("size", [1, 2, 10])
def test_community_pages_by_size_and_health(loaded, size):
    assert community_walk(loaded, CommunityQuery(sort="size"), size) == ["c-d", "c-a", "c-b", "c-c"]
    # health = reciprocity × (1 − centralization): c-a .72, c-c .72, c-b .005, c-d 0
    assert community_walk(loaded, CommunityQuery(sort="health"), size) == [
        "c-a",
        "c-c",
        "c-b",
        "c-d",
    ]
    assert community_walk(loaded, CommunityQuery(shape="star"), size) == ["c-b"]
    assert community_walk(loaded, CommunityQuery(shape="mesh", sort="health"), size) == [
        "c-a",
        "c-c",
        "c-d",
    ]


def test_community_page_rows_round_trip(loaded):
    found = loaded.community_page("r1", CommunityQuery(sort="size", limit=10))
    assert {c.community_id: c for c in found} == {c.community_id: c for c in RUN.communities}
    assert set(COMMUNITY_SORTS) == {"size", "health"}


def test_one_community_and_one_group(loaded):
    assert loaded.community_result("r1", "c-d") == RUN.communities[3]
    assert loaded.community_result("r1", "nope") is None
    assert loaded.group_result("r1", "g2") == RUN.groups[1]
    assert loaded.group_result("r1", "nope") is None
    assert loaded.groups_led_by("r1", "u0") == [RUN.groups[0], RUN.groups[2]]
    assert loaded.groups_led_by("r1", "u5") == []
    with pytest.raises(NotFoundError):
        loaded.community_result("nope", "c-a")


def test_result_columns_are_aligned_with_their_stand_ins(loaded):
    cols = loaded.result_columns("r1", ["community_id", "betweenness", "coreness"])
    assert set(cols) == {"user_id", "community_id", "betweenness", "coreness"}
    by_user = {
        u: (c, b, k)
        for u, c, b, k in zip(
            cols["user_id"].tolist(),
            cols["community_id"].tolist(),
            cols["betweenness"].tolist(),
            cols["coreness"].tolist(),
            strict=True,
        )
    }
    assert len(by_user) == 10
    for i, user in enumerate(RUN.users.user_id.tolist()):
        community, between, core = by_user[user]
        assert community == COLUMNS["community_id"][i]
        assert core == COLUMNS["coreness"][i]
        expected = COLUMNS["betweenness"][i]
        assert (math.isnan(between) and math.isnan(expected)) or between == expected
    assert cols["coreness"].dtype == np.int64
    assert cols["betweenness"].dtype == np.float64
    with pytest.raises(NotFoundError):
        loaded.result_columns("nope", ["tier"])
    with pytest.raises(KeyError):
        loaded.result_columns("r1", ["no_such_column"])


def test_community_labels_are_kept_apart_from_runs(loaded):
    assert loaded.community_labels() == {}
    loaded.set_community_label("c-a", "母婴团购群A")
    loaded.set_community_label("c-b", "first")
    loaded.set_community_label("c-b", "renamed")
    assert loaded.community_labels() == {"c-a": "母婴团购群A", "c-b": "renamed"}
    loaded.write_run(ranked_run("r2"))
    assert loaded.community_labels() == {"c-a": "母婴团购群A", "c-b": "renamed"}
    loaded.set_community_label("c-a", None)
    loaded.set_community_label("c-zz", None)  # removing a missing name is a no-op
    assert loaded.community_labels() == {"c-b": "renamed"}


def test_community_lineage_round_trips(loaded):
    run = ranked_run("r2")
    lineage = [
        dataclasses.replace(c, derived_from=f"{c.community_id}=0.75") for c in RUN.communities
    ]
    loaded.write_run(dataclasses.replace(run, communities=lineage))
    stored = {c.community_id: c.derived_from for c in loaded.community_results("r2")}
    assert stored == {c.community_id: f"{c.community_id}=0.75" for c in RUN.communities}
    assert {c.derived_from for c in loaded.community_results("r1")} == {""}
