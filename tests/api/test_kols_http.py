"""GET /api/v1/kols over real HTTP: filters, sorts, cursors within one run, bad parameters."""

from __future__ import annotations

import pytest

from graphsvc.api.deps import encode_cursor
from graphsvc.model import Membership
from tests.builders import load_query_graph, ranked_run, sample_run, split_run


@pytest.fixture
def ranked(served):
    served.store.ensure_users([f"u{i}" for i in range(10)])
    served.store.write_run(ranked_run("r1"))
    return served


def pages(served, query: str) -> tuple[list[str], set[str]]:
    """User ids over every page of ``query``, and the run ids the pages named."""
    seen, runs, cursor = [], set(), None
    while True:
        response = served.get(f"/api/v1/kols?{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status == 200, response.text
        body = response.json
        seen += [row["user_id"] for row in body["data"]]
        runs.add(body["run_id"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, runs


def test_kols_without_a_run_is_a_404_problem(served):
    response = served.get("/api/v1/kols")
    assert (response.status, response.content_type) == (404, "application/problem+json")
    assert "POST /api/v1/jobs" in response.json["detail"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=3", [f"u{i}" for i in range(10)]),
        ("limit=4&sort=betweenness", ["u1", "u4", "u0", "u2", "u6", "u9", "u5", "u7", "u3", "u8"]),
        ("limit=2&sort=coreness", ["u0", "u1", "u3", "u9", "u2", "u5", "u6", "u4", "u8", "u7"]),
        ("limit=1&sort=downline&tier=member", ["u3", "u4", "u5", "u6", "u7", "u8"]),
        ("limit=2&community=c-b&role=peripheral", ["u3", "u5", "u7", "u9"]),
        ("min_score=0.3&limit=1", ["u0", "u1", "u2"]),
        ("tier=lurker", ["u9"]),
    ],
)
def test_kols_filter_sort_and_page_within_one_run(ranked, query, expected):
    assert pages(ranked, query) == (expected, {"r1"})


def test_group_filter_uses_explicit_memberships(ranked):
    ranked.store.ensure_groups(["g1"])
    ranked.store.upsert_memberships([Membership("u7", "g1"), Membership("u2", "g1")])
    assert pages(ranked, "group=g1") == (["u2", "u7"], {"r1"})


def test_a_cursor_stays_in_its_run_after_a_new_run_is_published(ranked):
    first = ranked.get("/api/v1/kols?limit=5").json
    ids = [f"u{i}" for i in range(10)]
    ranked.store.write_run(sample_run("r2", 2.0, {u: 10 - i for i, u in enumerate(ids)}))
    rest = ranked.get(f"/api/v1/kols?limit=5&cursor={first['next_cursor']}").json
    assert (rest["run_id"], [r["user_id"] for r in rest["data"]]) == ("r1", ids[5:])
    fresh = ranked.get("/api/v1/kols?limit=1").json
    assert (fresh["run_id"], fresh["data"][0]["user_id"]) == ("r2", "u9")


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
        ("tier=gold", "tier"),
        ("role=boss", "role"),
        ("sort=fame", "sort"),
        ("min_score=abc", "min_score"),
        ("min_score=nan", "min_score"),
        ("cursor=@@", "cursor"),
        ("min_level=-1", "min_level"),
        ("max_level=x", "max_level"),
    ],
)
def test_bad_parameters_are_400_problems_naming_the_parameter(ranked, query, needle):
    response = ranked.get(f"/api/v1/kols?{query}")
    assert (response.status, response.content_type) == (400, "application/problem+json")
    assert needle in response.json["detail"]


def test_a_cursor_of_another_sort_or_a_deleted_run_is_a_400(ranked):
    cursor = ranked.get("/api/v1/kols?limit=2&sort=coreness").json["next_cursor"]
    assert ranked.get(f"/api/v1/kols?cursor={cursor}").status == 400
    assert ranked.get(f"/api/v1/kols?sort=coreness&cursor={cursor}").status == 200
    gone = encode_cursor("r-gone", "influence", 0.5, 2)
    response = ranked.get(f"/api/v1/kols?cursor={gone}")
    assert response.status == 400
    assert "no longer exists" in response.json["detail"]


@pytest.fixture
def split(served):
    load_query_graph(served.store)
    served.store.write_run(split_run("r2"))
    return served


def test_a_split_community_answers_for_all_its_members(split):
    rows = split.get("/api/v1/kols?community=c-a").json["data"]
    assert [(r["user_id"], r["community_id"]) for r in rows] == [
        ("u0", "c-a.01"),
        ("u2", "c-a.02"),
        ("u4", "c-a.01"),
        ("u6", "c-a"),
    ]
    parent = split.get("/api/v1/communities/c-a").json
    assert [m["user_id"] for m in parent["top_members"]] == ["u0", "u2", "u4", "u6"]
    sub = split.get("/api/v1/communities/c-a.01").json
    assert (sub["parent_id"], [m["user_id"] for m in sub["top_members"]]) == ("c-a", ["u0", "u4"])
    assert pages(split, "community=c-a.02") == (["u2"], {"r2"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=2&sort=in_strength", ["u1", "u5", "u8", "u0", "u2", "u9", "u4", "u6", "u7", "u3"]),
        ("limit=3&sort=pagerank", [f"u{i}" for i in range(10)]),
        ("limit=1&sort=downline&min_level=1", ["u1", "u3", "u2", "u4", "u5", "u6"]),
        ("limit=1&sort=betweenness&max_level=1", ["u1", "u0", "u2"]),
        ("limit=1&min_level=2&max_level=3&community=c-a", ["u4", "u6"]),
        ("limit=1&sort=in_strength&group=g1&role=peripheral", ["u9", "u3"]),
    ],
)
def test_sorts_and_filters_page_stably(split, query, expected):
    assert pages(split, query) == (expected, {"r2"})


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("community=c-9999", "no community 'c-9999' in run r2"),
        ("community=c-9999&tier=kol", "no community 'c-9999' in run r2"),
        ("group=g-nope", "no group 'g-nope' in run r2"),
    ],
)
def test_unknown_filter_ids_are_404_problems(split, query, detail):
    response = split.get(f"/api/v1/kols?{query}")
    assert (response.status, response.content_type) == (404, "application/problem+json")
    assert response.json["detail"] == detail


def test_a_known_filter_matching_nobody_is_an_empty_page(split):
    body = split.get("/api/v1/kols?community=c-a0&tier=core").json
    assert (body["data"], body["next_cursor"]) == ([], None)
