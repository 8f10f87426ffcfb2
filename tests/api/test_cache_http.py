"""Cached reads over real HTTP: hits until any write (by any process), ETags, and the cache
turned off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from graphsvc.model import MemberRole, Membership, User
from graphsvc.store.neo4j import Neo4jStore
from tests.builders import load_query_graph


def test_a_repeated_read_is_a_hit_with_the_same_body_and_etag(served):
    load_query_graph(served.store)
    first, again = (served.get("/api/v1/kols?limit=2&sort=coreness") for _ in range(2))
    assert (first.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit")
    assert (again.status, again.text, again.headers["ETag"]) == (
        200,
        first.text,
        first.headers["ETag"],
    )
    assert again.content_type == "application/json"


def test_if_none_match_gets_304(served):
    load_query_graph(served.store)
    etag = served.get("/api/v1/users/u3").headers["ETag"]
    assert served.get("/api/v1/users/u3", headers={"If-None-Match": etag}).status == 304


def test_any_write_is_seen_at_once(served):
    load_query_graph(served.store)
    before = served.get("/api/v1/users/u3").json
    served.store.upsert_users([User("u3", "Renamed")])
    served.store.upsert_memberships([Membership("u3", "g1", role=MemberRole.ADMIN)])
    after = served.get("/api/v1/users/u3")
    assert after.headers["X-Cache"] == "miss"
    assert (before["name"], after.json["name"]) == (None, "Renamed")
    assert after.json["groups"][0]["role"] == "admin"


def test_a_write_by_another_process_is_seen_by_the_next_request(served, tmp_path):
    load_query_graph(served.store)
    served.get("/api/v1/users/u3")
    assert served.get("/api/v1/users/u3").headers["X-Cache"] == "hit"
    if isinstance(served.store, Neo4jStore):  # an operator's deliberate write
        args = ["cypher", "--write", "MATCH (u:User {user_id: 'u3'}) SET u.name = 'Renamed'"]
    else:
        users = tmp_path / "users.csv"
        users.write_text("user_id,name\nu3,Renamed\n")
        args = ["load", "--users", str(users)]
    graphsvc = Path(sys.executable).with_name("graphsvc")
    done = subprocess.run(
        [str(graphsvc), "--store", served.store.uri, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    after = served.get("/api/v1/users/u3")
    assert (after.headers["X-Cache"], after.json["name"]) == ("miss", "Renamed")


def test_errors_are_not_cached(served):
    load_query_graph(served.store)
    assert served.get("/api/v1/users/nobody").status == 404
    served.store.ensure_users(["nobody"])
    assert served.get("/api/v1/users/nobody").status == 404  # a user of no run


def test_the_cache_can_be_turned_off(served):
    load_query_graph(served.store)
    served.restart(response_cache_bytes=0)
    response = served.get("/api/v1/kols?limit=2")
    assert response.status == 200
    assert {"X-Cache", "ETag"}.isdisjoint(response.headers.keys())
