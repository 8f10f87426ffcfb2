"""API keys over real HTTP: 401 without a valid key, 403 for a role too low, no anonymous
writes, anonymous reads only when enabled; keys are stored hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from graphsvc.service.state import KeyRole, ServiceState
from tests.builders import load_query_graph

READS = ["/api/v1/kols", "/api/v1/users/u0", "/api/v1/communities", "/api/v1/runs", "/metrics"]
WRITES = [
    ("/api/v1/jobs", None, {}),
    ("/api/v1/ingest/users", b"user_id\nx\n", {"Content-Type": "text/csv"}),
]


@pytest.fixture
def loaded(served):
    load_query_graph(served.store)
    return served


def assert_problem(response, status: int, needle: str) -> None:
    assert (response.status, response.content_type) == (status, "application/problem+json")
    assert needle in response.json["detail"]


@pytest.mark.parametrize("path", READS)
def test_reads_need_a_key(loaded, path):
    response = loaded.get(path, key=None)
    assert_problem(response, 401, "Authorization: Bearer")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert loaded.get(path, key="reader").status == 200


@pytest.mark.parametrize("header", ["Bearer gsk_wrong", "Basic dXNlcjpwdw==", "Bearer "])
def test_unknown_keys_and_other_schemes_are_401(loaded, header):
    response = loaded.get("/api/v1/kols", key=None, headers={"Authorization": header})
    assert response.status == 401
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize(("path", "body", "headers"), WRITES)
def test_writes_need_operator_or_admin(loaded, path, body, headers):
    assert_problem(loaded.post(path, key=None, body=body, headers=headers), 401, "Bearer")
    assert_problem(loaded.post(path, key="reader", body=body, headers=headers), 403, "operator")


def test_a_revoked_key_is_401(loaded, tmp_path):
    state = ServiceState(loaded.settings.state)
    key, secret = state.create_key(KeyRole.READER, "temp")
    assert loaded.get("/api/v1/kols", key=secret).status == 200
    state.revoke_key(key.key_id)
    assert_problem(loaded.get("/api/v1/kols", key=secret), 401, "revoked")
    assert [k.revoked_at is not None for k in state.api_keys() if k.key_id == key.key_id] == [True]
    state.close()


def test_anonymous_reads_only_when_enabled_and_never_writes(loaded):
    assert loaded.get("/api/v1/kols", key=None).status == 401
    loaded.restart(anonymous_reads=True)
    assert loaded.get("/api/v1/kols", key=None).status == 200
    assert loaded.get("/api/v1/users/u1", key=None).status == 200
    assert loaded.post("/api/v1/jobs", key=None).status == 401
    assert loaded.get("/api/v1/kols", key="gsk_bad").status == 401  # a wrong key still fails


def test_keys_are_stored_hashed(served):
    state = Path(served.settings.state)
    raw = b"".join(p.read_bytes() for p in state.parent.glob(f"{state.name}*"))  # with the WAL
    assert len(served.keys) == 3
    assert all(key.encode() not in raw for key in served.keys.values())
    digest = hashlib.sha256(served.keys["admin"].encode()).hexdigest().encode()
    assert digest in raw  # what is kept instead
