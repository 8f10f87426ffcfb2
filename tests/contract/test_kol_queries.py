"""The store contract, KOL queries a marketer asks: a community split over Dunbar's number
answers for all its members, referral level bounds, every sort with stable keyset pages, and
unknown ids told apart from empty answers."""

from __future__ import annotations

import pytest

from graphsvc.errors import NotFoundError
from graphsvc.store.base import USER_SORTS, UserQuery, require_filters
from tests.builders import load_query_graph, split_run


@pytest.fixture
def split(store):
    load_query_graph(store)
    store.write_run(split_run("r2"))
    return store


def ids(store, **where) -> list[str]:
    return [r["user_id"] for r in store.user_page("r2", UserQuery(limit=100, **where))]


def test_a_split_community_answers_for_all_its_members(split):
    rows = split.user_page("r2", UserQuery(community_id="c-a", limit=100))
    assert [(r["user_id"], r["community_id"]) for r in rows] == [
        ("u0", "c-a.01"),
        ("u2", "c-a.02"),
        ("u4", "c-a.01"),
        ("u6", "c-a"),
    ]
    assert ids(split, community_id="c-a.01") == ["u0", "u4"]
    assert ids(split, community_id="c-a0") == ["u8"]  # not a sub-community of c-a
    assert ids(split, community_id="c-a", sort="in_strength") == ["u0", "u2", "u4", "u6"]
    assert ids(split, community_id="c-a", tier="member") == ["u4", "u6"]
    listed = split.user_results("r2", community_id="c-a")
    assert [r["user_id"] for r in listed] == ["u0", "u2", "u4", "u6"]


def test_referral_level_bounds_leave_out_users_in_no_tree(split):
    assert ids(split, min_level=1) == ["u1", "u2", "u3", "u4", "u5", "u6"]
    assert ids(split, max_level=1) == ["u0", "u1", "u2"]
    assert ids(split, min_level=2, max_level=2) == ["u3", "u6"]
    assert ids(split, min_level=0) == ["u0", "u1", "u2", "u3", "u4", "u5", "u6"]
    assert ids(split, min_level=3, community_id="c-a") == ["u4"]


def test_in_strength_sorts_with_missing_values_last(split):
    # in_strength 2, 5, 2, NaN, 1, 5, .5, 0, 3, 2: ties by influence rank, NaN as -1
    expected = ["u1", "u5", "u8", "u0", "u2", "u9", "u4", "u6", "u7", "u3"]
    assert ids(split, sort="in_strength") == expected


@pytest.mark.parametrize("sort", USER_SORTS)
@pytest.mark.parametrize(
    "where", [{}, {"community_id": "c-a"}, {"max_level": 2}, {"role": "peripheral"}]
)
def test_keyset_pages_of_every_sort_and_filter_match_one_page(split, sort, where):
    whole = ids(split, sort=sort, **where)
    seen, after = [], None
    while True:
        query = UserQuery(sort=sort, after=after, limit=2, **where)
        rows = split.user_page("r2", query)
        seen += [r["user_id"] for r in rows]
        if len(rows) < 2:
            break
        value = rows[-1][sort]
        after = (-1 if value is None else value, rows[-1]["influence_rank"])
    assert seen == whole
    assert whole


def test_unknown_community_or_group_is_not_found(split):
    require_filters(split, "r2", UserQuery(community_id="c-a", group_id="g1"))
    with pytest.raises(NotFoundError, match="no community 'c-9999' in run r2"):
        require_filters(split, "r2", UserQuery(community_id="c-9999"))
    with pytest.raises(NotFoundError, match="no group 'g-nope' in run r2"):
        require_filters(split, "r2", UserQuery(group_id="g-nope"))
