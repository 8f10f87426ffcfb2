"""Property-based fuzzing of the live server against its own OpenAPI document (schemathesis):
bounded examples per operation, loopback only, with an admin key; no response may be a 5xx
and every error must be problem+json."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from graphsvc.api.openapi import SPEC
from tests.builders import load_query_graph

EXAMPLES = 20


def test_no_operation_answers_5xx(served):
    load_query_graph(served.store)
    schema = schemathesis.openapi.from_url(f"{served.base}/api/v1/openapi.json")
    auth = {"Authorization": f"Bearer {served.keys['admin']}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # every operation but the document itself, which schemathesis leaves out
    assert len(operations) == sum(len(methods) for methods in SPEC["paths"].values()) - 1

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=served.base, headers=auth, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            if response.status_code >= 400:
                assert response.headers.get("content-type") == ["application/problem+json"], (
                    case.method,
                    case.formatted_path,
                    response.status_code,
                    response.headers,
                )

        check()
        if operation.method == "post" and operation.path == "/api/v1/jobs":
            served.app.extensions["graphsvc.jobs"].join(120)
    assert failures == [], failures


@pytest.fixture(autouse=True)
def _loopback_only(served):
    assert served.base.startswith("http://127.0.0.1:")
