"""POST /api/v1/ingest/{entity} over real HTTP: CSV and NDJSON bodies, the CLI's
validation (422 naming each bad line), 415 for other types, 413 over the size limit."""

from __future__ import annotations

import pytest

from graphsvc.model import Entity, MemberRole, Membership, Referral

CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def post(served, entity: str, body: bytes, headers: dict, query: str = ""):
    return served.post(
        f"/api/v1/ingest/{entity}{query}", key="operator", body=body, headers=headers
    )


def test_csv_and_ndjson_bodies_load_like_files(served):
    users = post(served, "users", "user_id,name\nu1,Ann\nu2,张三\n".encode(), CSV)
    assert users.status == 200, users.text
    assert users.json["inputs"][0]["written"] == 2
    body = b'{"inviter_id": "u1", "invitee_id": "u2", "referred_at": 5}\n'
    body += b'{"inviter_id": "u1", "invitee_id": "u3"}\n'
    referrals = post(
        served, "referrals", body, {"Content-Type": "application/x-ndjson; charset=utf-8"}
    )
    assert referrals.status == 200, referrals.text
    assert (referrals.json["users_created"], referrals.json["inputs"][0]["written"]) == (1, 2)
    memberships = post(served, "memberships", b"user_id,group_id,role\nu1,g1,owner\n", CSV)
    assert memberships.json["groups_created"] == 1
    store = served.store
    assert {u.user_id: u.name for u in store.records(Entity.USERS)} == {
        "u1": "Ann",
        "u2": "张三",
        "u3": None,
    }
    assert set(store.records(Entity.REFERRALS)) == {Referral("u1", "u2", 5), Referral("u1", "u3")}
    assert list(store.records(Entity.MEMBERSHIPS)) == [
        Membership("u1", "g1", role=MemberRole.OWNER)
    ]


def test_bad_rows_are_a_422_naming_each_line_and_nothing_is_written(served):
    body = b"src_id,dst_id,kind\na,b,reply\na,a,reply\nb,c,poke\n"
    response = post(served, "interactions", body, CSV)
    assert (response.status, response.content_type) == (422, "application/problem+json")
    errors = response.json["errors"]
    assert [e.split(":")[:2] for e in errors] == [
        ["interactions.csv", "3"],
        ["interactions.csv", "4"],
    ]
    assert "poke" in errors[1]
    assert served.store.counts()["interactions"] == 0


def test_skip_loads_the_valid_rows_and_reports_the_rest(served):
    body = b"src_id,dst_id,kind\na,b,reply\nb,c,poke\n"
    response = post(served, "interactions", body, CSV, "?on_error=skip")
    assert response.status == 200
    assert (response.json["rejected"], response.json["inputs"][0]["written"]) == (1, 1)
    assert "interactions.csv:3" in response.json["problems"][0]


def test_missing_columns_are_a_422(served):
    response = post(served, "referrals", b"inviter,invitee\na,b\n", CSV)
    assert response.status == 422
    assert "invitee_id" in response.json["detail"]


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_other_content_types_are_415(served, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = post(served, "users", b"user_id\nx\n", headers)
    assert (response.status, response.content_type) == (415, "application/problem+json")
    assert "text/csv" in response.json["detail"]


def test_unknown_entity_is_404_and_get_is_405(served):
    assert post(served, "pets", b"user_id\nx\n", CSV).status == 404
    response = served.get("/api/v1/ingest/users", key="operator")
    assert (response.status, response.content_type) == (405, "application/problem+json")
    assert "POST" in response.headers["Allow"]


def test_bodies_over_the_limit_are_413(served):
    served.restart(max_body_bytes=1000)
    body = b"user_id\n" + b"".join(b"u%06d\n" % i for i in range(200))
    response = post(served, "users", body, CSV)
    assert (response.status, response.content_type) == (413, "application/problem+json")
    assert served.store.counts()["users"] == 0
    assert post(served, "users", b"user_id\nsmall\n", CSV).status == 200


def test_a_lone_surrogate_after_a_batch_is_a_422_and_nothing_is_written(served):
    body = "".join(f'{{"user_id": "u{i}"}}\n' for i in range(60_000))
    body += '{"user_id": "\\ud800bad"}\n'
    response = post(served, "users", body.encode(), NDJSON)
    assert response.status == 422, response.text
    assert response.json["errors"] == [
        "users.jsonl:60001: user_id: not valid Unicode (lone surrogate \\ud800)"
    ]
    assert served.store.counts()["users"] == 0
