"""Analysis jobs over real HTTP: 202 with Location, running with stage progress, 409 for a
second one, succeeded with a run that /runs/current serves; records survive a restart."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import neo4j
import pytest

from graphsvc.service.runner import INTERRUPTED
from graphsvc.service.state import JobStatus, ServiceState
from graphsvc.store.sqlite import SqliteStore
from tests.builders import sample_run

USERS = [f"u{i:02d}" for i in range(30)]
INTERACTIONS = "src_id,dst_id,kind\n" + "".join(  # a ring: each replies to the next three
    f"{a},{USERS[(i + k) % 30]},reply\n" for i, a in enumerate(USERS) for k in (1, 2, 3)
)


@contextmanager
def writes_held(request: pytest.FixtureRequest, store) -> Iterator[None]:
    """Block the store's writers (a real lock, taken by another client) until the block ends:
    an analysis started meanwhile stays running until it can write."""
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    server = request.getfixturevalue("neo4j_server")
    auth = (server.user, server.password)
    with neo4j.GraphDatabase.driver(server.uri, auth=auth) as driver, driver.session() as session:
        tx = session.begin_transaction()  # the publish step must update the current run
        tx.run("MATCH (r:AnalysisRun {current: true}) SET r.current = true").consume()
        try:
            yield
        finally:
            tx.rollback()


def wait_for(served, location: str, done, seconds: float = 60.0) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        job = served.get(location).json
        if done(job) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def post_job(served, body: bytes):
    """An operator's ``POST /api/v1/jobs`` with a JSON ``body``."""
    return served.post(
        "/api/v1/jobs", key="operator", body=body, headers={"Content-Type": "application/json"}
    )


@pytest.fixture
def with_graph(served):
    """30 users with reply edges (loaded over the API) and a first run, r0."""
    response = served.post(
        "/api/v1/ingest/interactions",
        key="operator",
        body=INTERACTIONS.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status == 200, response.text
    served.store.write_run(sample_run("r0", 1.0, {u: i + 1 for i, u in enumerate(USERS)}))
    return served


def test_job_lifecycle(request, with_graph):
    served = with_graph
    with writes_held(request, served.store):
        started = post_job(served, b'{"params": {"seed": 3}}')
        assert started.status == 202, started.text
        location = started.headers["Location"]
        assert location == f"/api/v1/jobs/{started.json['job_id']}"
        running = wait_for(served, location, lambda j: j["progress"]["stage"] is not None)
        assert running["status"] == "running"
        assert running["progress"]["stages"][0] == "read"
        assert running["params"] == {"seed": 3, "force": False, "cold": False, "refresh": False}
        second = served.post("/api/v1/jobs", key="admin")
        assert (second.status, second.content_type) == (409, "application/problem+json")
        assert started.json["job_id"] in second.json["detail"]
    done = wait_for(served, location, lambda j: j["status"] not in ("queued", "running"))
    assert done["status"] == "succeeded", done
    assert done["progress"]["stages"][-1] == "write"
    assert len(done["progress"]["stages"]) > 3
    current = served.get("/api/v1/runs/current").json
    assert current["run_id"] == done["run_id"] != "r0"
    assert current["params"]["seed"] == 3
    assert served.get("/api/v1/kols?limit=1").json["run_id"] == done["run_id"]
    metrics = served.get("/metrics").text
    assert 'graphsvc_job_duration_seconds_count{kind="analyze",status="succeeded"} 1' in metrics

    served.restart()
    assert served.get(location).json == done
    assert served.post("/api/v1/jobs", key="operator").status == 202  # nothing is running now


def test_a_cold_job_and_the_churn_in_the_runs_api(with_graph):
    served = with_graph
    started = post_job(served, b'{"cold": true}')
    assert started.status == 202, started.text
    done = wait_for(served, started.headers["Location"], lambda j: j["status"] == "succeeded")
    stats = served.get("/api/v1/runs/current").json["stats"]
    assert stats["community_start"] == "cold"
    assert stats["previous_run"] == "r0"
    churn = stats["churn"]
    assert churn["users_compared"] == len(USERS)
    assert 0 <= churn["kept_tier"] <= 1
    assert set(churn["communities"]) == {"born", "split", "merged", "died"}
    runs = served.get("/api/v1/runs").json["data"]
    assert runs[0]["run_id"] == done["run_id"]
    assert runs[0]["stats"]["churn"] == churn


def test_a_job_running_when_its_process_died_is_failed_at_restart(served):
    state = ServiceState(served.settings.state)
    job = state.create_job("analyze", {})
    state.update_job(job.job_id, status=JobStatus.RUNNING)
    state.close()
    served.restart()
    record = served.get(f"/api/v1/jobs/{job.job_id}").json
    assert (record["status"], record["error"]) == ("failed", INTERRUPTED)


def test_a_failed_analysis_is_a_failed_job_and_changes_nothing(served_sqlite):
    served = served_sqlite
    served.store.write_run(sample_run("r0", 1.0, {"a": 1, "b": 2}))
    with sqlite3.connect(served.store.path) as conn:  # a damaged store: writing runs fails
        conn.execute("DROP TABLE group_results")
    started = post_job(served, b'{"force": true}')
    assert started.status == 202
    done = wait_for(served, started.headers["Location"], lambda j: j["status"] == "failed")
    assert (done["status"], done["run_id"]) == ("failed", None)
    assert "see the log" in done["error"]
    assert "Traceback" not in done["error"]
    assert served.get("/api/v1/runs/current").json["run_id"] == "r0"


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"kind": "export"}',
        b'{"params": {"bogus": 1}}',
        b'{"params": {"seed": "x"}}',
        b'{"force": "yes"}',
        b'{"cold": true, "refresh": true}',
        b"not json",
    ],
)
def test_bad_job_requests_are_400(served, body):
    response = served.post(
        "/api/v1/jobs", key="operator", body=body, headers={"Content-Type": "application/json"}
    )
    assert (response.status, response.content_type) == (400, "application/problem+json")


def test_unknown_job_is_404(served):
    assert served.get("/api/v1/jobs/job-nope").status == 404


def test_a_job_over_a_window_of_time(with_graph):
    served = with_graph
    started = post_job(served, b'{"params": {"since": 0, "until": 1800000000}}')
    assert started.status == 202, started.text
    done = wait_for(
        served, started.headers["Location"], lambda j: j["status"] not in ("queued", "running")
    )
    assert done["status"] == "succeeded", done
    params = served.get("/api/v1/runs/current").json["params"]
    assert (params["since"], params["until"]) == (0, 1800000000)
    refused = post_job(served, b'{"params": {"until": -5}}')
    assert refused.status == 400
    assert "until" in refused.json["detail"]
