"""Input that once made the server fail (500) is a client error on both stores: cursors with
integers no store compares (beyond 64 bits) or lone surrogates, JSON bodies and NDJSON rows
nested 2,000 deep or holding a lone surrogate, labels with control characters, numbers in
digits other than ASCII."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from tests.builders import load_query_graph

DEEP = "[" * 2000 + "]" * 2000
JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def cursor(*values: object) -> str:
    """A cursor as the API writes them (JSON escapes a lone surrogate as \\ud800)."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.fixture
def loaded(served):
    load_query_graph(served.store)  # run r1, communities c-a, c-b, …
    return served


BAD_QUERIES = {
    "kols value 10^30": "/api/v1/kols?cursor=" + cursor("r1", "influence", 10**30, 1),
    "kols value 2^63": "/api/v1/kols?cursor=" + cursor("r1", "influence", 2**63, 1),
    "kols value 10^400": "/api/v1/kols?cursor=" + cursor("r1", "influence", 10**400, 1),
    "kols tiebreak 10^30": "/api/v1/kols?cursor=" + cursor("r1", "influence", 0.5, 10**30),
    "kols tiebreak -2^63-1": "/api/v1/kols?cursor=" + cursor("r1", "influence", 0.5, -(2**63) - 1),
    "kols run surrogate": "/api/v1/kols?cursor=" + cursor("r1\ud800", "influence", 0.5, 1),
    "communities value 10^30": "/api/v1/communities?cursor=" + cursor("r1", "size", 10**30, "c"),
    "communities tiebreak surrogate": "/api/v1/communities?cursor="
    + cursor("r1", "size", 3, "\ud800"),
    "communities run surrogate": "/api/v1/communities?cursor=" + cursor("\ud800", "size", 3, "c"),
    "limit fullwidth 5": "/api/v1/kols?limit=" + quote("\uff15"),
    "limit arabic-indic 5": "/api/v1/communities?limit=" + quote("\u0665"),
    "limit underscore": "/api/v1/kols?limit=1_0",
    "depth fullwidth 2": "/api/v1/users/u0/referrals?depth=" + quote("\uff12"),
    "min_score fullwidth 0.5": "/api/v1/kols?min_score=" + quote("\uff10.5"),
}


@pytest.mark.parametrize("path", BAD_QUERIES.values(), ids=BAD_QUERIES.keys())
def test_bad_query_parameters_are_400(loaded, path):
    response = loaded.get(path)
    assert (response.status, response.content_type) == (400, "application/problem+json")
    assert "query parameter" in response.json["detail"]


def test_cursor_numbers_within_64_bits_still_page(loaded):
    """Pages sort descending: after the largest 64-bit value come all users, after the
    smallest none."""
    top, bottom = 2**63 - 1, -(2**63)
    after_top = loaded.get(
        "/api/v1/kols?sort=downline&cursor=" + cursor("r1", "downline", top, top)
    )
    assert (after_top.status, len(after_top.json["data"])) == (200, 10), after_top.text
    after_bottom = loaded.get("/api/v1/kols?cursor=" + cursor("r1", "influence", bottom, top))
    assert (after_bottom.status, after_bottom.json["data"]) == (200, []), after_bottom.text


BAD_BODIES = {
    "jobs nested 2000 deep": ("POST", "/api/v1/jobs", DEEP, 400),
    "jobs params nested 2000 deep": ("POST", "/api/v1/jobs", f'{{"params": {DEEP}}}', 400),
    "jobs kind surrogate": ("POST", "/api/v1/jobs", '{"kind": "\\ud800"}', 400),
    "jobs field surrogate": ("POST", "/api/v1/jobs", '{"\\udfff": 1}', 400),
    "label surrogate": ("PUT", "/api/v1/communities/c-a/label", '{"label": "\\ud800"}', 400),
    "label nested": ("PUT", "/api/v1/communities/c-a/label", f'{{"label": {DEEP}}}', 400),
    "label NUL": ("PUT", "/api/v1/communities/c-a/label", '{"label": "a\\u0000b"}', 422),
    "label newline": ("PUT", "/api/v1/communities/c-a/label", '{"label": "a\\nb"}', 422),
    "label DEL": ("PUT", "/api/v1/communities/c-a/label", '{"label": "a\\u007f"}', 422),
}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"), BAD_BODIES.values(), ids=BAD_BODIES.keys()
)
def test_bad_json_bodies_are_client_errors(loaded, method, path, body, status):
    response = loaded.request(method, path, key="operator", body=body.encode(), headers=JSON)
    assert (response.status, response.content_type) == (status, "application/problem+json")
    assert loaded.store.community_labels() == {}
    assert loaded.get("/api/v1/runs").json["data"][0]["run_id"] == "r1"  # no job ran


def test_a_label_with_a_surrogate_pair_is_text(loaded):
    body = json.dumps({"label": "群 \U0001f600"}).encode()  # "\ud83d\ude00": one character
    response = loaded.request(
        "PUT", "/api/v1/communities/c-a/label", key="operator", body=body, headers=JSON
    )
    assert (response.status, response.json["label"]) == (200, "群 \U0001f600")


BAD_ROWS = {
    "first row nested": f'{{"user_id": "x", "a": {DEEP}}}\n',
    "later row nested": f'{{"user_id": "x"}}\n{{"user_id": "y", "a": {DEEP}}}\n',
    "id surrogate": '{"user_id": "\\ud800"}\n',
    "extra surrogate": '{"user_id": "x"}\n{"user_id": "y", "note": "\\udc00"}\n',
}


@pytest.mark.parametrize("body", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_bad_ndjson_rows_are_422_naming_the_line(served, body):
    response = served.post(
        "/api/v1/ingest/users", key="operator", body=body.encode(), headers=NDJSON
    )
    assert (response.status, response.content_type) == (422, "application/problem+json")
    line = body.count("\n")
    assert f"users.jsonl:{line}" in response.json["detail"]
    assert served.store.counts()["users"] == 0
