"""The store contract, dashboard reads: the search box (users by id or name prefix) and the
relationships among a set of users (the picture of a community)."""

from __future__ import annotations

import pytest

from graphsvc.errors import NotFoundError
from graphsvc.model import Interaction, InteractionKind, User, event_key
from tests.builders import load_query_graph


def _event(src: str, dst: str, kind: InteractionKind, at: int) -> Interaction:
    return Interaction(src, dst, kind, at, 1.0, event_key(src, dst, kind, at, 0))


@pytest.fixture
def loaded(store):
    """The query graph (referrals u0 -> u1 -> u3 -> {u4, u5}, u0 -> u2 -> u6; ranks
    u0..u9 as ``ranked_run``), names, and interactions among u0..u3 and towards u8."""
    load_query_graph(store)
    store.upsert_users(
        [User("u1", "张伟"), User("u2", "张敏"), User("u3", "李娜"), User("u8", "u0-fan")]
    )
    reply, like = InteractionKind.REPLY, InteractionKind.LIKE
    store.add_interactions(
        [
            _event("u1", "u0", reply, 1),
            _event("u1", "u0", reply, 2),
            _event("u1", "u0", like, 3),
            _event("u2", "u3", like, 4),
            _event("u3", "u8", reply, 5),
        ]
    )
    return store


def test_find_users_by_id_or_name_prefix_in_rank_order(loaded):
    found = loaded.find_users("r1", "张", 10)
    assert {r["user_id"] for r in found} == {"u1", "u2"}
    assert [r["influence_rank"] for r in found] == sorted(r["influence_rank"] for r in found)
    assert {r["name"] for r in found} == {"张伟", "张敏"}
    assert set(found[0]) >= {"user_id", "name", "tier", "influence", "community_id"}
    # "u0" is an id prefix of u0 only, and the name prefix of u8 ("u0-fan")
    assert {r["user_id"] for r in loaded.find_users("r1", "u0", 10)} == {"u0", "u8"}
    assert loaded.find_users("r1", "u1", 10)[0]["user_id"] == "u1"
    assert loaded.find_users("r1", "nobody", 10) == []
    assert len(loaded.find_users("r1", "u", 3)) == 3


def test_find_users_of_an_unknown_run_is_not_found(loaded):
    with pytest.raises(NotFoundError):
        loaded.find_users("r-none", "u", 5)


def test_edges_among_keeps_both_ends_inside(loaded):
    edges = sorted(loaded.edges_among(["u0", "u1", "u2", "u3", "nobody"]))
    assert edges == [
        ("u0", "u1", "referral", 1),
        ("u0", "u2", "referral", 1),
        ("u1", "u0", "like", 1),
        ("u1", "u0", "reply", 2),
        ("u1", "u3", "referral", 1),
        ("u2", "u3", "like", 1),
    ]
    assert loaded.edges_among([]) == []
    assert sorted(loaded.edges_among(["u3", "u8"])) == [("u3", "u8", "reply", 1)]
