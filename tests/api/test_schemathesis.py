"""Property-based fuzzing of the live server, on both stores: against its own OpenAPI document
(schemathesis), and with hostile values schemathesis does not make (cursors holding integers
beyond 64 bits or lone surrogates, JSON nested thousands deep, digits other than ASCII).
Bounded examples, loopback only; no response may be a 5xx and every error must be
problem+json."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc.api.openapi import SPEC
from tests.builders import load_query_graph

EXAMPLES = 20  # per operation of the document
HOSTILE_EXAMPLES = 100  # per kind of hostile request
FUZZ = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}


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
        @settings(max_examples=EXAMPLES, **FUZZ)
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


# Hostile values, as JSON text (nesting is written as text: json.dumps would recurse).
LONE_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
TEXT = st.lists(st.characters() | LONE_SURROGATE, max_size=6).map("".join)
INTEGERS = st.integers() | st.integers(2**63 - 2, 2**200) | st.integers(-(2**200), -(2**63) + 1)
NUMBERS = INTEGERS | st.floats() | st.sampled_from([10**30, 1e30, -(2**63), 2**63 - 1])
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
NESTED = st.builds(
    lambda scalar, depth, brackets: brackets[0] * depth + json.dumps(scalar) + brackets[1] * depth,
    SCALARS,
    st.integers(1, 3000),
    st.sampled_from([("[", "]"), ('{"a":', "}")]),
)
VALUES = SCALARS.map(json.dumps) | NESTED
DIGITS = st.text(
    st.characters(categories=["Nd", "No", "Pc", "Zs"]) | st.sampled_from("0123456789-+._eE")
)

SORTS = {"/api/v1/kols": ("influence", "downline", "coreness"), "/api/v1/communities": ("size",)}
CURSORS = st.sampled_from(
    [(path, sort) for path, sorts in SORTS.items() for sort in sorts]
).flatmap(
    lambda where: st.tuples(
        st.just(where),
        st.just('"r1"') | VALUES,
        VALUES,
        st.just('"c-a"') | st.just("3") | VALUES,
    )
)
NUMBER_PARAMS = st.sampled_from(
    [
        "/api/v1/kols?limit=",
        "/api/v1/kols?min_score=",
        "/api/v1/communities?limit=",
        "/api/v1/users/u0/referrals?depth=",
        "/api/v1/runs/diff?limit=",
    ]
)
BODIES = st.one_of(
    st.tuples(st.just(("POST", "/api/v1/jobs")), NESTED),
    st.tuples(st.just(("POST", "/api/v1/jobs")), VALUES.map('{{"kind": {}}}'.format)),
    st.tuples(
        st.just(("POST", "/api/v1/jobs")),
        st.tuples(TEXT.map(json.dumps), VALUES).map(
            lambda kv: '{{"params": {{{}: {}}}}}'.format(*kv)
        ),
    ),
    st.tuples(
        st.just(("PUT", "/api/v1/communities/c-a/label")), VALUES.map('{{"label": {}}}'.format)
    ),
)
ROWS = st.tuples(TEXT.map(json.dumps), VALUES).map(
    lambda kv: '{{"user_id": {}, "x": {}}}\n'.format(*kv)
)


def test_hostile_values_never_answer_5xx(served):
    load_query_graph(served.store)
    failures: list[str] = []

    def send(method: str, path: str, body: str | None = None, content_type: str = "") -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        data = None if body is None else body.encode("utf-8", "surrogatepass")
        response = served.request(method, path, key="admin", body=data, headers=headers)
        if response.status >= 500:
            failures.append(f"{method} {path[:200]} {data!r:.200}: {response.status}")
        if response.status >= 400:
            assert response.content_type == "application/problem+json", (path, response.status)

    @given(CURSORS)
    @settings(max_examples=HOSTILE_EXAMPLES, **FUZZ)
    def cursors(cursor: tuple) -> None:
        (path, sort), run_id, value, tiebreak = cursor
        text = f'[{run_id}, "{sort}", {value}, {tiebreak}]'.encode("utf-8", "surrogatepass")
        token = base64.urlsafe_b64encode(text).decode().rstrip("=")
        send("GET", f"{path}?sort={sort}&cursor={token}")

    @given(NUMBER_PARAMS, DIGITS | TEXT)
    @settings(max_examples=HOSTILE_EXAMPLES, **FUZZ)
    def numbers(path: str, text: str) -> None:
        send("GET", path + quote(text.encode("utf-8", "surrogatepass")))

    @given(BODIES)
    @settings(max_examples=HOSTILE_EXAMPLES, **FUZZ)
    def bodies(request: tuple) -> None:
        (method, path), body = request
        send(method, path, body, "application/json")

    @given(st.lists(ROWS, min_size=1, max_size=3))
    @settings(max_examples=HOSTILE_EXAMPLES, **FUZZ)
    def rows(lines: list[str]) -> None:
        send("POST", "/api/v1/ingest/users", "".join(lines), "application/x-ndjson")

    for fuzz in (cursors, numbers, bodies, rows):
        fuzz()
    served.app.extensions["graphsvc.jobs"].join(120)
    assert failures == [], failures


@pytest.fixture(autouse=True)
def _loopback_only(served):
    assert served.base.startswith("http://127.0.0.1:")
