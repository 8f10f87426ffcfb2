"""Operations over real HTTP: liveness, readiness, metrics, the OpenAPI document and its HTML
page, and problem+json for unknown routes, wrong methods and server errors."""

from __future__ import annotations

import random
import re
import sqlite3
import string

import pytest
from openapi_spec_validator import validate

from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.sqlite import SqliteStore
from tests.api.conftest import serving
from tests.builders import load_query_graph


def test_healthz_and_readyz(served):
    assert (served.get("/healthz", key=None).status, served.get("/healthz").json) == (
        200,
        {"status": "ok"},
    )
    ready = served.get("/readyz", key=None)
    assert (ready.status, ready.json) == (200, {"status": "ready", "current_run_id": None})


@pytest.mark.parametrize(
    "unreachable",
    [
        lambda: SqliteStore("/proc/no-such-dir/graph.db"),
        lambda: Neo4jStore("bolt://127.0.0.1:1", retry_seconds=0),
    ],
    ids=["sqlite", "neo4j"],
)
def test_readyz_is_a_503_problem_when_the_store_is_unreachable(tmp_path, unreachable, caplog):
    store = unreachable()
    try:
        with serving(store, tmp_path) as served:
            response = served.get("/readyz", key=None)
            assert (response.status, response.content_type) == (503, "application/problem+json")
            assert response.json["title"] == "Store unavailable"
            assert response.json["detail"] == "not ready: the store does not answer"
            assert served.get("/healthz", key=None).status == 200
    finally:
        store.close()
    for internal in ("127.0.0.1", "/proc/", "scripts/neo4j"):  # to the log, not to anyone
        assert internal not in response.text
    assert "not ready: " in caplog.text
    assert "127.0.0.1:1" in caplog.text or "/proc/no-such-dir" in caplog.text


def test_metrics_count_requests_per_route_and_status(served):
    load_query_graph(served.store)
    for _ in range(3):
        served.get("/api/v1/users/u1")
    served.get("/api/v1/users/nobody")
    served.get("/api/v1/kols", key=None)
    response = served.get("/metrics")
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.text
    route = 'method="GET",route="/api/v1/users/<user_id>"'
    assert f'graphsvc_http_requests_total{{{route},status="200"}} 3' in text
    assert f'graphsvc_http_requests_total{{{route},status="404"}} 1' in text
    assert 'route="/api/v1/kols",status="401"} 1' in text
    assert re.search(
        rf'graphsvc_http_request_duration_seconds_bucket\{{{route},status="200",le="\+Inf"\}} 3',
        text,
    )
    assert "nobody" not in text  # routes are templates, never ids
    assert served.get("/metrics", key=None).status == 401


def test_random_methods_and_paths_add_no_metrics_series(served_sqlite):
    """Methods and paths the API does not serve are counted as "other"."""
    rng = random.Random(7)

    def junk(requests: int) -> set[str]:
        for _ in range(requests):
            method = "".join(rng.choices(string.ascii_uppercase, k=8))
            served_sqlite.request(method, "/healthz", key=None)  # 405
            served_sqlite.request(method, f"/x{rng.randrange(10**9)}", key=None)  # 404
            served_sqlite.get(f"/api/v1/users/u1/{rng.randrange(10**9)}")  # 404, GET
        served_sqlite.get("/metrics")
        text = served_sqlite.get("/metrics").text
        return {line.rsplit(" ", 1)[0] for line in text.splitlines() if "{" in line}

    series = junk(30)
    assert 'graphsvc_http_requests_total{method="other",route="other",status="405"}' in series
    assert 'graphsvc_http_requests_total{method="GET",route="other",status="404"}' in series
    assert junk(30) == series


def test_openapi_document_is_valid_and_matches_the_routes(served):
    response = served.get("/api/v1/openapi.json", key=None)
    spec = response.json
    validate(spec)  # raises on an invalid OpenAPI 3.1 document
    assert spec["openapi"] == "3.1.0"
    rules = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for rule in served.app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    assert set(spec["paths"]) == rules


def test_docs_page_lists_every_operation_without_external_assets(served):
    response = served.get("/api/v1/docs", key=None)
    assert response.content_type.startswith("text/html")
    spec = served.get("/api/v1/openapi.json", key=None).json
    for path, methods in spec["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}" in response.text
    assert not re.search(r"(src|href)=[\"']?https?:", response.text)


def test_unknown_routes_and_wrong_methods_are_problems(served):
    missing = served.get("/api/v1/nope")
    assert (missing.status, missing.content_type) == (404, "application/problem+json")
    assert missing.json["status"] == 404
    wrong = served.request("DELETE", "/api/v1/kols")
    assert (wrong.status, wrong.content_type) == (405, "application/problem+json")
    assert "GET" in wrong.headers["Allow"]


def test_a_server_error_is_a_500_problem_without_a_stack_trace(served_sqlite):
    load_query_graph(served_sqlite.store)
    with sqlite3.connect(served_sqlite.store.path) as conn:  # a damaged store
        conn.execute("DROP TABLE community_results")
    response = served_sqlite.get("/api/v1/communities")
    assert (response.status, response.content_type) == (500, "application/problem+json")
    assert response.json["detail"] == "the server failed; the error was logged"
    assert "Traceback" not in response.text
    assert "community_results" not in response.text
