"""Run diffs, community names and explanations over real HTTP, on every store."""

from __future__ import annotations

import json

import pytest

from tests.builders import later_run, load_query_graph


@pytest.fixture
def two_runs(served):
    load_query_graph(served.store)
    served.store.ensure_users(["u10"])
    served.store.write_run(later_run("r2"))
    return served


def test_diff_of_the_previous_and_current_run(two_runs):
    response = two_runs.get("/api/v1/runs/diff")
    assert response.status == 200
    diff = response.json
    assert (diff["from_run"], diff["to_run"]) == ("r1", "r2")
    assert diff["users"] == {"before": 10, "after": 11, "new": 1}
    kols = diff["kols"]
    assert (kols["new"], kols["lost"]) == (["u5", "u10"], ["u1"])
    assert (kols["new_count"], kols["lost_count"]) == (2, 1)
    assert diff["tier_moves"] == {
        "counts": {"kol->member": 1, "member->kol": 1},
        "users": {"kol->member": ["u1"], "member->kol": ["u5"]},
    }
    assert diff["owner_changes"] == [{"community_id": "c-a", "from": "u0", "to": "u2"}]
    assert diff["communities"] == {
        "born": ["c-f"],
        "dissolved": ["c-c"],
        "split": [{"community_id": "c-b", "into": ["c-b", "c-e"]}],
        "merged": [],
    }
    assert [(m["user_id"], m["rank_before"], m["rank_after"]) for m in diff["risers"]] == [
        ("u5", 6, 2)
    ]
    assert [(m["user_id"], m["rank_before"], m["rank_after"]) for m in diff["fallers"]] == [
        ("u1", 2, 6)
    ]


def test_diff_of_named_runs_and_errors(two_runs):
    backwards = two_runs.get("/api/v1/runs/diff?from=r2&to=r1").json
    assert (backwards["kols"]["new"], backwards["kols"]["lost"]) == (["u1"], ["u5", "u10"])
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
