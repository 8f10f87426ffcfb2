"""Run diffs, community names and explanations over real HTTP, on every store."""

from __future__ import annotations

import json

import pytest
import schemathesis

from tests.builders import OVERTOOK, later_run, load_query_graph


@pytest.fixture
def two_runs(served):
    load_query_graph(served.store)
    served.store.ensure_users(["u10"])
    served.store.write_run(later_run("r2"))
    return served


def ids(section: dict) -> list[str]:
    return [entry.get("user_id") or entry["community_id"] for entry in section["top"]]


def test_diff_of_the_previous_and_current_run(two_runs):
    response = two_runs.get("/api/v1/runs/diff")
    assert response.status == 200
    diff = response.json
    assert (diff["from_run"], diff["to_run"]) == ("r1", "r2")
    assert diff["users"] == {"before": 10, "after": 11, "new": 1, "gone": 0}
    assert diff["summary"] == {
        "kols_new": 2,
        "kols_lost": 1,
        "tier_moves": 2,
        "owner_changes": 1,
        "communities_born": 1,
        "communities_dissolved": 1,
        "communities_split": 1,
        "communities_merged": 0,
        "stage_changes": 0,
        "risers": 1,
        "fallers": 1,
    }
    assert (ids(diff["kols_new"]), ids(diff["kols_lost"])) == (["u5", "u10"], ["u1"])
    assert diff["tier_moves"]["by_move"] == {"kol->member": 1, "member->kol": 1}
    assert diff["owner_changes"]["top"] == [
        {"community_id": "c-a", "size": 5, "from": "u0", "to": "u2", "reason": OVERTOOK}
    ]
    assert diff["communities_born"]["top"] == [{"community_id": "c-f", "size": 1}]
    assert diff["communities_dissolved"]["top"] == [{"community_id": "c-c", "size": 2}]
    assert diff["communities_split"]["top"] == [
        {"community_id": "c-b", "size": 4, "into": ["c-b", "c-e"]}
    ]
    rises = [(m["user_id"], m["rank_before"], m["rank_after"]) for m in diff["risers"]["top"]]
    falls = [(m["user_id"], m["rank_before"], m["rank_after"]) for m in diff["fallers"]["top"]]
    assert (rises, falls) == ([("u5", 6, 2)], [("u1", 2, 6)])


def test_diff_honours_the_limit_in_every_section_and_is_cached(two_runs):
    first = two_runs.get("/api/v1/runs/diff?limit=1")
    diff = first.json
    assert diff["limit"] == 1
    assert diff["summary"]["kols_new"] == 2
    assert all(len(diff[name]["top"]) <= 1 for name in diff["summary"])
    assert first.headers["X-Cache"] == "miss"
    again = two_runs.get("/api/v1/runs/diff?limit=1")
    assert (again.headers["X-Cache"], again.json) == ("hit", diff)
    two_runs.store.write_run(later_run("r3", started_at=3.0))
    assert two_runs.get("/api/v1/runs/diff?limit=1").json["to_run"] == "r3"


@pytest.mark.parametrize("query", [{}, {"limit": 1}, {"from": "r2", "to": "r1"}])
def test_the_diff_conforms_to_the_openapi_document(two_runs, query):
    schema = schemathesis.openapi.from_url(f"{two_runs.base}/api/v1/openapi.json")
    operation = schema["/api/v1/runs/diff"]["GET"]
    auth = {"Authorization": f"Bearer {two_runs.keys['reader']}"}
    response = operation.Case(query=query).call(base_url=two_runs.base, headers=auth)
    assert response.status_code == 200
    operation.validate_response(response)  # raises on any field the document does not allow


def test_diff_of_named_runs_and_errors(two_runs):
    backwards = two_runs.get("/api/v1/runs/diff?from=r2&to=r1").json
    assert (ids(backwards["kols_new"]), ids(backwards["kols_lost"])) == (["u1"], ["u5", "u10"])
    assert backwards["users"] == {"before": 11, "after": 10, "new": 0, "gone": 1}
    assert two_runs.get("/api/v1/runs/diff?from=nope").status == 404
    assert two_runs.get("/api/v1/runs/diff?limit=0").status == 400
    assert two_runs.get("/api/v1/runs/diff", key=None).status == 401


def test_only_one_run_has_nothing_to_diff(served):
    load_query_graph(served.store)
    response = served.get("/api/v1/runs/diff")
    assert response.status == 404
    assert "no run before r1" in response.json["detail"]


def put_label(served, community_id: str, body: object, key: str = "operator"):
    return served.request(
        "PUT",
        f"/api/v1/communities/{community_id}/label",
        key=key,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


def test_community_names_survive_the_next_run(two_runs):
    named = put_label(two_runs, "c-b", {"label": "母婴团购群A"})
    assert named.status == 200
    assert (named.json["community_id"], named.json["label"]) == ("c-b", "母婴团购群A")
    two_runs.store.write_run(later_run("r3", started_at=3.0))
    detail = two_runs.get("/api/v1/communities/c-b").json
    assert (detail["run_id"], detail["label"]) == ("r3", "母婴团购群A")
    assert detail["derived_from"] == [{"community_id": "c-b", "share": 1.0}]
    listed = {
        c["community_id"]: c["label"] for c in two_runs.get("/api/v1/communities").json["data"]
    }
    assert listed == {"c-a": None, "c-b": "母婴团购群A", "c-e": None, "c-f": None}
    assert put_label(two_runs, "c-b", {"label": None}).json["label"] is None
    assert two_runs.get("/api/v1/communities/c-b").json["label"] is None


@pytest.mark.parametrize(
    ("community_id", "body", "key", "status"),
    [
        ("c-b", {"label": "x"}, "reader", 403),
        ("c-b", {"label": "x"}, None, 401),
        ("c-zz", {"label": "x"}, "operator", 404),
        ("c-b", {"name": "x"}, "operator", 400),
        ("c-b", {"label": 3}, "operator", 400),
        ("c-b", {"label": "   "}, "operator", 422),
        ("c-b", {"label": "x" * 201}, "operator", 422),
    ],
)
def test_bad_label_requests(two_runs, community_id, body, key, status):
    response = put_label(two_runs, community_id, body, key=key)
    assert response.status == status
    assert response.content_type == "application/problem+json"


def test_user_profile_explains_the_ranking(two_runs):
    run = later_run("r4", started_at=4.0)
    columns = run.users.columns
    i = run.users.user_id.tolist().index("u5")
    columns["distinct_engagers"][i], columns["engagers_top_pct"][i] = 412, 0.5
    columns["downline"][i], columns["downline_top_pct"][i] = 30, 2.0
    columns["in_strength"][i], columns["attention_top_pct"][i] = 88.0, 1.0
    columns["main_attention_kind"][i], columns["main_attention_share"][i] = "reply", 0.45
    two_runs.store.write_run(run)
    why = two_runs.get("/api/v1/users/u5").json["why"]
    assert [(s["signal"], s["value"], s["top_pct"]) for s in why] == [
        ("engagers", 412, 0.5),
        ("attention", 88.0, 1.0),
        ("downline", 30, 2.0),
    ]
    assert why[0]["text"] == "412 distinct people engage with them (top 0.5%)"
    assert why[1]["text"] == "88 weighted attention received (top 1%), 45% of it replies"
    assert two_runs.get("/api/v1/users/u6").json["why"] == []
