"""Users, referrals, communities, groups and runs over real HTTP, on every store."""

from __future__ import annotations

import pytest

from tests.builders import load_query_graph


@pytest.fixture
def loaded(served):
    load_query_graph(served.store)
    return served


def test_user_profile_has_scores_ranks_groups_and_referral_position(loaded):
    response = loaded.get("/api/v1/users/u3")
    assert response.status == 200
    user = response.json
    assert (user["run_id"], user["user_id"], user["community_id"]) == ("r1", "u3", "c-b")
    assert (user["tier"], user["role"], user["inviter_id"]) == ("member", "peripheral", "u1")
    assert user["downline"] == 2
    assert user["groups"] == [{"group_id": "g1", "name": "团购群", "role": "member"}]
    assert "团购群" in response.text  # UTF-8 as is, not \u escapes
    assert list(user)[:3] == ["run_id", "user_id", "name"]  # fields in their documented order
    scores = user["scores"]
    assert scores["influence"] == {"value": 0.25, "rank": 4, "percentile": 60.0}
    assert scores["coreness"] == {"value": 3, "rank": 1, "percentile": 60.0}  # 4 users tie at 3
    assert scores["betweenness"] == {"value": None, "rank": None, "percentile": None}  # NaN


def test_unknown_user_is_a_404_problem(loaded):
    for path in ("/api/v1/users/nobody", "/api/v1/users/nobody/referrals"):
        response = loaded.get(path)
        assert (response.status, response.content_type) == (404, "application/problem+json")
        assert "nobody" in response.json["detail"]


def test_a_huge_id_is_cut_in_the_404_detail(loaded):
    huge = "u" * 100_000
    for path in (
        f"/api/v1/users/{huge}",
        f"/api/v1/communities/{huge}",
        f"/api/v1/kols?cursor={huge}",
    ):
        response = loaded.get(path)
        assert response.status in (400, 404)
        detail = response.json["detail"]
        assert f"'{'u' * 80}'…(100,000 chars)" in detail
        assert len(detail) < 300


@pytest.mark.parametrize(
    ("query", "expected", "truncated"),
    [
        ("", [("u1", "u0", 1), ("u2", "u0", 1)], False),
        ("depth=2&limit=3", [("u1", "u0", 1), ("u2", "u0", 1), ("u3", "u1", 2)], True),
    ],
)
def test_referral_downline(loaded, query, expected, truncated):
    body = loaded.get(f"/api/v1/users/u0/referrals?{query}").json
    assert [(r["user_id"], r["inviter_id"], r["depth"]) for r in body["data"]] == expected
    assert (body["run_id"], body["truncated"]) == ("r1", truncated)


def test_referral_upline(loaded):
    body = loaded.get("/api/v1/users/u5/referrals?direction=up&depth=10").json
    assert [r["user_id"] for r in body["data"]] == ["u3", "u1", "u0"]


@pytest.mark.parametrize("query", ["direction=sideways", "depth=0", "depth=11", "limit=5000"])
def test_bad_referral_parameters_are_400(loaded, query):
    assert loaded.get(f"/api/v1/users/u0/referrals?{query}").status == 400


def test_communities_sort_filter_and_page(loaded):
    def walk(query):
        ids, cursor = [], ""
        while cursor is not None:
            body = loaded.get(f"/api/v1/communities?limit=1&{query}{cursor}").json
            assert body["run_id"] == "r1"
            ids += [c["community_id"] for c in body["data"]]
            cursor = body["next_cursor"] and f"&cursor={body['next_cursor']}"
        return ids

    assert walk("") == ["c-d", "c-a", "c-b", "c-c"]
    assert walk("sort=health") == ["c-a", "c-c", "c-b", "c-d"]
    assert walk("shape=star") == ["c-b"]
    assert loaded.get("/api/v1/communities?shape=ring").status == 400


def test_community_detail_names_owner_declared_owners_health_and_members(loaded):
    body = loaded.get("/api/v1/communities/c-a").json
    assert body["owner"] == {"user_id": "u0", "confidence": 0.5, "runner_up_id": "u2"}
    assert body["declared_owners"] == [
        {"group_id": "g1", "declared_owner_id": "u9"},
        {"group_id": "g3", "declared_owner_id": None},
    ]
    assert body["health"]["shape"] == "mesh"
    assert body["health"]["score"] == pytest.approx(0.8 * 0.9)
    assert [m["user_id"] for m in body["top_members"]] == ["u0", "u2", "u4", "u6", "u8"]
    assert loaded.get("/api/v1/communities/nope").status == 404


def test_group_detail_has_declared_and_effective_owner_and_top_members(loaded):
    body = loaded.get("/api/v1/groups/g1").json
    assert (body["declared_owner_id"], body["effective_owner_id"]) == ("u9", "u0")
    assert body["owner_mismatch"] is True
    assert [m["user_id"] for m in body["top_members"]] == ["u0", "u3", "u9"]
    assert loaded.get("/api/v1/groups/nope").status == 404


def test_runs_and_current_run(served):
    assert served.get("/api/v1/runs").json == {"current_run_id": None, "data": []}
    assert served.get("/api/v1/runs/current").status == 404
    load_query_graph(served.store)
    runs = served.get("/api/v1/runs").json
    assert runs["current_run_id"] == "r1"
    assert [(r["run_id"], r["current"]) for r in runs["data"]] == [("r1", True)]
    current = served.get("/api/v1/runs/current").json
    assert (current["run_id"], current["stats"]) == ("r1", {"n_users": 10})
