"""Shills and audience quality over real HTTP, on every store: the review list, the quality
filter on the rankings, and the notes on a profile."""

from __future__ import annotations

import pytest

from tests.builders import load_query_graph


@pytest.fixture
def loaded(served):
    load_query_graph(served.store)  # shill scores: u3 0.9, u5 0.6, u8 0.2; the rest 0 or none
    return served


def ids(response) -> list[str]:
    assert response.status == 200, response.text
    return [row["user_id"] for row in response.json["data"]]


def test_shills_are_listed_by_score_from_the_runs_threshold(loaded):
    response = loaded.get("/api/v1/shills")
    assert ids(response) == ["u3", "u5"]  # the run's threshold: the default 0.5
    assert response.json["data"][0]["shill_score"] == 0.9
    assert ids(loaded.get("/api/v1/shills?min_score=0.7")) == ["u3"]
    assert ids(loaded.get("/api/v1/shills?min_score=0.1")) == ["u3", "u5", "u8"]


def test_shill_pages_follow_the_cursor(loaded):
    first = loaded.get("/api/v1/shills?limit=1")
    assert ids(first) == ["u3"]
    cursor = first.json["next_cursor"]
    second = loaded.get(f"/api/v1/shills?limit=1&cursor={cursor}")
    assert ids(second) == ["u5"]
    assert second.json["next_cursor"] is None


def test_kols_filter_by_audience_quality(loaded):
    assert ids(loaded.get("/api/v1/kols?min_quality=0.75")) == ["u0", "u1", "u4"]
    sorted_by_quality = ids(loaded.get("/api/v1/kols?sort=audience_quality&limit=3"))
    assert sorted_by_quality == ["u4", "u0", "u1"]
    bad = loaded.get("/api/v1/kols?min_quality=lots")
    assert bad.status == 400
    assert "min_quality" in bad.json["detail"]


def test_a_profile_carries_the_quality_figures_and_notes(loaded):
    user = loaded.get("/api/v1/users/u3").json
    assert user["shill_score"] == 0.9
    assert user["audience_quality"] == 0.1
    assert user["notes"][0].startswith("suspected shill (score 0.90)")
    assert loaded.get("/api/v1/users/u0").json["notes"][-1] == (
        "2 of 3 direct invites look fake (invitees who never act)"
    )
