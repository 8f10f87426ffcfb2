"""POST /api/v1/campaigns/seeds and GET /api/v1/campaigns/seeds/{id} on a real server over
every store: inline on a small graph, as a job on request, validation."""

from __future__ import annotations

import json

import pytest

from tests.api import test_jobs_http
from tests.api.test_jobs_http import wait_for

# 30 users replying to the next three, and a run r0
ring = pytest.fixture(test_jobs_http.with_graph.__wrapped__, name="ring")

JSON = {"Content-Type": "application/json"}


def post(served, body: dict, key: str = "operator"):
    return served.post(
        "/api/v1/campaigns/seeds", key=key, body=json.dumps(body).encode(), headers=JSON
    )


def test_small_graph_is_seeded_inline_and_stored(ring):
    response = post(ring, {"k": 3, "exclude": ["u00"], "include": ["u05"], "seed": 2})
    assert response.status == 201, response.text
    body = response.json
    assert body["run_id"] == "r0"
    assert [row["rank"] for row in body["data"]] == [1, 2, 3]
    assert body["data"][0]["user_id"] == "u05"
    assert "u00" not in {row["user_id"] for row in body["data"]}
    assert body["params"]["model"] == "ic"
    assert body["params"]["probabilities"] == "wc"
    spreads = [row["expected_spread"] for row in body["data"]]
    assert spreads == sorted(spreads)
    assert ring.get(response.headers["Location"]).json == body


def test_background_seeding_is_a_job_whose_id_names_the_seeds(ring):
    started = post(ring, {"k": 2, "model": "lt", "background": True})
    assert started.status == 202, started.text
    assert started.json["kind"] == "seeds"
    done = wait_for(
        ring, started.headers["Location"], lambda j: j["status"] not in ("queued", "running")
    )
    assert done["status"] == "succeeded", done
    assert done["run_id"] == "r0"
    assert "spread" in done["progress"]["stages"] or "imm" in done["progress"]["stages"]
    seeds = ring.get(f"/api/v1/campaigns/seeds/{done['job_id']}").json
    assert len(seeds["data"]) == 2
    assert seeds["params"]["model"] == "lt"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"k": 0}, 400, "k must be"),
        ({"kk": 3}, 400, "unknown fields kk"),
        ({"prices": {"vip": 3}}, 400, "prices must be"),
        ({"method": "personalized"}, 400, "personalized needs people"),
        ({"include": ["nobody"]}, 422, "unknown user 'nobody'"),
        ({"k": 1, "include": ["u01", "u02"]}, 422, "k is 1"),
    ],
)
def test_bad_requests(ring, body, status, words):
    response = post(ring, body)
    assert (response.status, response.content_type) == (status, "application/problem+json")
    assert words in response.json["detail"]


def test_readers_may_read_but_not_seed(ring):
    assert post(ring, {"k": 1}, key="reader").status == 403
    assert ring.get("/api/v1/campaigns/seeds/nope").status == 404


def test_no_run_is_404(served):
    assert post(served, {"k": 1}).status == 404
