"""The store contract: what every GraphStore adapter does, run against each real store."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from graphsvc.errors import NotFoundError, StoreError
from graphsvc.model import (
    USER_RESULT_COLUMNS,
    EdgeKind,
    Entity,
    Group,
    GroupResult,
    HealthSeries,
    Interaction,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    RunResult,
    SeedSet,
    User,
    event_key,
)
from graphsvc.store.base import EDGE_PROPS
from tests.builders import edge_rows, sample_run

LIKE, REPLY = InteractionKind.LIKE, InteractionKind.REPLY


def event(src: str, dst: str, kind: InteractionKind, at: int | None, weight=1.0, ordinal=0):
    return Interaction(src, dst, kind, at, weight, event_key(src, dst, kind, at, ordinal))


def edges_by_id(store, kind: EdgeKind, batch_size: int = 1000) -> dict[tuple, dict]:
    """All edges of a kind keyed by external ids, props as plain values."""
    users = store.users()
    uid_to_id = dict(zip(users.uid.tolist(), users.user_id, strict=True))
    if kind is EdgeKind.MEMBER_OF:
        groups = store.groups()
        dst_names = dict(zip(groups.gid.tolist(), groups.group_id, strict=True))
    else:
        dst_names = uid_to_id
    out = {}
    for batch in store.edge_batches(kind, batch_size=batch_size):
        assert batch.src.dtype == np.int64
        for i, (s, d) in enumerate(zip(batch.src.tolist(), batch.dst.tolist(), strict=True)):
            props = {k: v[i].item() for k, v in batch.props.items()}
            key = (uid_to_id[s], dst_names[d])
            if kind is EdgeKind.INTERACTED:
                key += (list(InteractionKind)[props.pop("kind")],)
            out[key] = props
    return out


def test_new_store_is_empty(store):
    assert set(store.counts().values()) == {0}
    assert store.current_run() is None
    assert store.runs() == []


def test_schema_init_is_idempotent(store):
    store.upsert_users([User("u1")])
    store.init_schema()
    assert store.counts()["users"] == 1


def test_upsert_users_updates_given_fields_and_keeps_the_rest(store):
    assert store.upsert_users([User("u1", "Ann", 100, {"city": "杭州"}), User("u2")]) == 2
    assert store.upsert_users([User("u1", None, 200, {"tier": "vip"})]) == 0
    users = {u.user_id: u for u in store.records(Entity.USERS)}
    assert users["u1"] == User("u1", "Ann", 200, {"city": "杭州", "tier": "vip"})
    assert users["u2"].name is None
    assert store.counts()["users"] == 2


def test_ensure_users_creates_only_missing_ones(store):
    store.upsert_users([User("u1", "Ann")])
    assert store.ensure_users(["u1", "u2", "u3"]) == 2
    assert store.ensure_users(["u2"]) == 0
    names = {u.user_id: u.name for u in store.records(Entity.USERS)}
    assert names == {"u1": "Ann", "u2": None, "u3": None}


def test_interactions_between_unknown_users_are_refused(store):
    store.ensure_users(["a"])
    like = InteractionKind.LIKE
    with pytest.raises(StoreError, match=r"unknown users \['ghost'\]"):
        store.add_interactions([Interaction("a", "ghost", like, 1, 1.0, 7)])
    assert store.counts()["interaction_events"] == 0


def test_groups_with_owner_round_trip(store):
    store.ensure_users(["u1"])
    assert store.upsert_groups([Group("g1", "团购群", "u1", 5), Group("g2")]) == 2
    assert store.upsert_groups([Group("g1", None, None, None)]) == 0
    assert store.ensure_groups(["g2", "g3"]) == 1
    groups = {g.group_id: g for g in store.records(Entity.GROUPS)}
    assert groups["g1"] == Group("g1", "团购群", "u1", 5)
    assert groups["g3"] == Group("g3")
    table = store.groups()
    owner = dict(zip(table.group_id, table.owner_uid.tolist(), strict=True))
    users = store.users()
    assert owner["g1"] == users.uid[users.user_id.index("u1")]
    assert owner["g2"] == -1


def test_memberships_upsert_one_per_user_and_group(store):
    store.ensure_users(["u1", "u2"])
    store.ensure_groups(["g1"])
    rows = [Membership("u1", "g1", 1, MemberRole.OWNER), Membership("u2", "g1")]
    assert store.upsert_memberships(rows) == 2
    assert store.upsert_memberships([Membership("u2", "g1", 7, MemberRole.ADMIN)]) == 0
    assert set(store.records(Entity.MEMBERSHIPS)) == {
        Membership("u1", "g1", 1, MemberRole.OWNER),
        Membership("u2", "g1", 7, MemberRole.ADMIN),
    }
    edges = edges_by_id(store, EdgeKind.MEMBER_OF)
    assert edges == {
        ("u1", "g1"): {"role": MemberRole.OWNER.code, "joined_at": 1, "left_at": -1},
        ("u2", "g1"): {"role": MemberRole.ADMIN.code, "joined_at": 7, "left_at": -1},
    }


def test_a_leave_is_kept_until_the_member_comes_back(store):
    store.ensure_users(["u1", "u2"])
    store.ensure_groups(["g1"])
    store.upsert_memberships([Membership("u1", "g1", 10, left_at=50), Membership("u2", "g1", 5)])
    store.upsert_memberships([Membership("u1", "g1", None, MemberRole.ADMIN)])  # no news
    assert set(store.records(Entity.MEMBERSHIPS)) == {
        Membership("u1", "g1", 10, MemberRole.ADMIN, 50),
        Membership("u2", "g1", 5),
    }
    assert edges_by_id(store, EdgeKind.MEMBER_OF)[("u1", "g1")]["left_at"] == 50
    store.upsert_memberships([Membership("u1", "g1", 80), Membership("u2", "g1", 5, left_at=9)])
    assert set(store.records(Entity.MEMBERSHIPS)) == {
        Membership("u1", "g1", 80),  # came back after leaving
        Membership("u2", "g1", 5, left_at=9),
    }


def test_a_window_of_days_aggregates_only_its_events(store):
    day = 86_400
    store.ensure_users(["a", "b", "c"])
    events = [
        event("a", "b", LIKE, 1 * day + 5, 1.0),
        event("a", "b", LIKE, 2 * day + 5, 2.0),
        event("a", "b", LIKE, 2 * day + 7, 0.5),
        event("a", "b", LIKE, 2 * day + 7, 0.5, ordinal=1),  # a genuine repeat
        event("a", "b", REPLY, 9 * day, 4.0),
        event("b", "c", LIKE, 3 * day),
        event("b", "c", LIKE, None),  # undated: in no window
    ]
    store.add_interactions(events)
    windowed = edges_by_id(store, EdgeKind.INTERACTED)  # all days, for comparison
    assert windowed[("a", "b", LIKE)]["count"] == 4
    found = {}
    for batch in store.edge_batches(EdgeKind.INTERACTED, batch_size=1, days=(2, 3)):
        assert list(batch.props) == ["kind", "count", "weight", "days"]
        users = dict(zip(store.users().uid.tolist(), store.users().user_id, strict=True))
        for i in range(len(batch)):
            key = (users[int(batch.src[i])], users[int(batch.dst[i])], int(batch.props["kind"][i]))
            found[key] = tuple(batch.props[k][i].item() for k in ("count", "weight", "days"))
    assert found == {("a", "b", LIKE.code): (3, 3.0, 1), ("b", "c", LIKE.code): (1, 1.0, 1)}
    later = list(store.edge_batches(EdgeKind.INTERACTED, days=(9, 9), columns=("count",)))
    assert [b.props["count"].tolist() for b in later] == [[1]]
    with pytest.raises(ValueError, match="only"):
        list(store.edge_batches(EdgeKind.INTERACTED, days=(0, 9), columns=("first_at",)))
    with pytest.raises(ValueError, match="INTERACTED"):
        list(store.edge_batches(EdgeKind.REFERRED, days=(0, 9)))


def test_interaction_days_say_when_and_in_which_group(store):
    day = 86_400
    store.ensure_users(["a", "b", "c"])
    store.ensure_groups(["g1", "g2"])
    groups = store.groups()
    group_of = dict(zip(groups.gid.tolist(), groups.group_id, strict=True))
    before = [
        event("a", "b", LIKE, 3 * day + 5),
        event("a", "b", REPLY, 3 * day + 9),  # another kind, the same day
        event("a", "b", LIKE, None),  # undated: no day
        event("b", "c", LIKE, 4 * day),
    ]
    assert store.add_interactions(before) == 4
    after = [
        replace(event("a", "b", LIKE, 5 * day), group_id="g1"),
        replace(event("a", "b", LIKE, 5 * day + 60), group_id="g2"),
        replace(event("b", "c", LIKE, 4 * day), group_id="g2"),  # already there: not added
    ]
    assert store.add_interactions(after) == 2
    users = dict(zip(store.users().uid.tolist(), store.users().user_id, strict=True))
    found = set()
    for batch in store.interaction_days(batch_size=2):
        for s, d, when, g in zip(
            batch.src.tolist(), batch.dst.tolist(), batch.props["day"].tolist(),
            batch.props["gid"].tolist(), strict=True,
        ):  # fmt: skip
            found.add((users[s], users[d], when, group_of.get(g, "-")))
    assert found == {
        ("a", "b", 3, "-"),
        ("a", "b", 5, "g1"),
        ("a", "b", 5, "g2"),
        ("b", "c", 4, "-"),
    }
    assert store.counts()["interaction_events"] == 6


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)])
def test_earliest_inviter_wins_in_any_order(store, order):
    store.ensure_users(["a", "b", "c", "d", "x"])
    candidates = [
        Referral("d", "x", None, "late"),  # unknown time loses to any known time
        Referral("c", "x", 50, "tie-c"),
        Referral("b", "x", 50, "tie-b"),  # same time: smaller inviter id wins
        Referral("a", "x", 60, "later"),
    ]
    for i in order:
        store.upsert_referrals([candidates[i]])
    assert list(store.records(Entity.REFERRALS)) == [Referral("b", "x", 50, "tie-b")]
    assert store.counts()["referrals"] == 1


def test_referral_upsert_counts_new_invitees(store):
    store.ensure_users(["a", "b", "c"])
    assert store.upsert_referrals([Referral("a", "b", 1), Referral("a", "c", 2)]) == 2
    assert store.upsert_referrals([Referral("a", "b", 1)]) == 0
    assert edges_by_id(store, EdgeKind.REFERRED) == {
        ("a", "b"): {"referred_at": 1},
        ("a", "c"): {"referred_at": 2},
    }


DAY = 86_400


def test_interactions_aggregate_per_src_dst_kind(store):
    store.ensure_users(["a", "b"])
    events = [
        event("a", "b", LIKE, 10),
        event("a", "b", LIKE, 30, weight=2.0),
        event("a", "b", LIKE, 30, weight=2.0, ordinal=1),  # a genuine repeat
        event("a", "b", LIKE, 2 * DAY + 5),  # a second UTC day
        event("a", "b", REPLY, None),  # undated events count as one day
        event("a", "b", REPLY, None, ordinal=1),
        event("b", "a", LIKE, 20),
    ]
    assert store.add_interactions(events) == 7
    day = {"first_at": 10, "last_at": 2 * DAY + 5}
    assert edges_by_id(store, EdgeKind.INTERACTED) == {
        ("a", "b", LIKE): {"count": 4, "weight": 6.0, "days": 2, **day},
        ("a", "b", REPLY): {"count": 2, "weight": 2.0, "days": 1, "first_at": -1, "last_at": -1},
        ("b", "a", LIKE): {"count": 1, "weight": 1.0, "days": 1, "first_at": 20, "last_at": 20},
    }
    assert store.counts()["interactions"] == 3
    assert store.counts()["interaction_events"] == 7


def test_adding_known_events_again_changes_nothing(store):
    store.ensure_users(["a", "b"])
    events = [event("a", "b", LIKE, t) for t in range(5)]
    store.add_interactions(events[:3])
    before = edges_by_id(store, EdgeKind.INTERACTED)
    assert store.add_interactions(events[:3]) == 0
    assert edges_by_id(store, EdgeKind.INTERACTED) == before
    assert store.add_interactions(events) == 2
    assert edges_by_id(store, EdgeKind.INTERACTED)[("a", "b", LIKE)]["count"] == 5


def test_edge_batches_are_columnar_and_complete(store):
    ids = [f"u{i:03d}" for i in range(60)]
    store.ensure_users(ids)
    events = [event(ids[i], ids[(i * 7 + 1) % 60], REPLY, i) for i in range(60)]
    store.add_interactions(events)
    batches = list(store.edge_batches(EdgeKind.INTERACTED, batch_size=25))
    assert [len(b) for b in batches] == [25, 25, 10]
    assert {b.src.dtype for b in batches} == {np.dtype(np.int64)}
    got = edges_by_id(store, EdgeKind.INTERACTED, batch_size=25)
    assert set(got) == {(e.src_id, e.dst_id, REPLY) for e in events}
    users = store.users()
    assert len(set(users.uid.tolist())) == len(users.user_id) == 60


def test_ids_of_any_text_read_back_whole(store):
    ids = ["a\x00b", "用户一", "x,y", "'q'", "1,2,3"]  # a NUL, non-ASCII, commas, quotes
    store.ensure_users(ids)
    store.add_interactions([event(ids[i], ids[i + 1], REPLY, i) for i in range(len(ids) - 1)])
    users = store.users()
    assert sorted(users.user_id) == sorted(ids)
    assert set(edges_by_id(store, EdgeKind.INTERACTED)) == {
        (ids[i], ids[i + 1], REPLY) for i in range(len(ids) - 1)
    }


def test_weights_read_back_to_the_same_double(store):
    """Whole weights travel as integers, others as their shortest exact digits: both read
    back bit for bit."""
    weights = [1.0, 2.0**53, 2.0**63, 1e300, 0.1 + 0.2, 1 / 3, 5e-324, 1234567.125]
    ids = [f"w{i}" for i in range(len(weights) + 1)]
    store.ensure_users(ids)
    store.add_interactions(
        [event(ids[i], ids[i + 1], LIKE, 10, weight=w) for i, w in enumerate(weights)]
    )
    got = edges_by_id(store, EdgeKind.INTERACTED)
    read = [got[(ids[i], ids[i + 1], LIKE)]["weight"] for i in range(len(weights))]
    assert np.array(read).tobytes() == np.array(weights).tobytes()


def test_edge_batches_read_only_the_columns_named(store):
    store.ensure_users(["a", "b"])
    store.add_interactions([event("a", "b", LIKE, 10, weight=2.0), event("b", "a", REPLY, None)])
    store.upsert_groups([Group("g", "G", "a", None)])
    store.upsert_memberships([Membership("b", "g", None, MemberRole.MEMBER)])
    (batch,) = store.edge_batches(EdgeKind.INTERACTED, columns=("weight", "kind"))
    assert list(batch.props) == ["kind", "weight"]  # store order, whatever the order asked
    users = dict(zip(store.users().uid.tolist(), store.users().user_id, strict=True))
    got = {
        (users[s], users[d]) for s, d in zip(batch.src.tolist(), batch.dst.tolist(), strict=True)
    }
    assert got == {("a", "b"), ("b", "a")}
    (members,) = store.edge_batches(EdgeKind.MEMBER_OF, columns=())
    assert (members.props, members.dst.tolist()) == ({}, store.groups().gid.tolist())
    with pytest.raises(ValueError, match="first_seen"):
        next(iter(store.edge_batches(EdgeKind.INTERACTED, columns=("first_seen",))))


@pytest.mark.parametrize(
    "columns",
    [("kind", "count", "weight", "days"), ("kind",), ("count",), ("days",), ("count", "days"), ()],
)
def test_edge_batches_read_every_kind_exactly_whatever_the_columns(store, columns):
    users = [f"u{i}" for i in range(len(InteractionKind) + 1)]
    store.ensure_users(users)
    store.add_interactions(
        [  # kind k: k + 2 events on k + 1 days, so count and days differ
            event(users[k], users[k + 1], kind, t * DAY + k, weight=0.25 * (t + 1), ordinal=o)
            for k, kind in enumerate(InteractionKind)
            for t in range(k + 1)
            for o in range(1 + (t == 0))
        ]
    )
    uid = dict(zip(store.users().user_id, store.users().uid.tolist(), strict=True))

    def edge(k: int) -> tuple:  # src, dst, kind, count, weight, days, first_at, last_at
        weight = 0.25 * ((k + 1) * (k + 2) / 2 + 1)
        return (uid[users[k]], uid[users[k + 1]], k, k + 2, weight, k + 1, k, k * DAY + k)

    full = edge_rows(store, EdgeKind.INTERACTED)
    assert full == sorted(edge(k) for k in range(len(InteractionKind)))
    names = list(EDGE_PROPS[EdgeKind.INTERACTED])
    keep = [0, 1, *(2 + names.index(n) for n in names if n in columns)]
    expected = [tuple(row[i] for i in keep) for row in full]
    assert edge_rows(store, EdgeKind.INTERACTED, columns) == expected


def test_edge_batches_read_every_role(store):
    users, roles = [f"u{i}" for i in range(9)], list(MemberRole)
    store.ensure_users(users)
    store.ensure_groups(["g0", "g1"])
    store.upsert_memberships(
        [Membership(u, f"g{i % 2}", None, roles[i % 3]) for i, u in enumerate(users)]
    )
    uid = dict(zip(store.users().user_id, store.users().uid.tolist(), strict=True))
    gid = dict(zip(store.groups().group_id, store.groups().gid.tolist(), strict=True))
    members = sorted((uid[u], gid[f"g{i % 2}"], roles[i % 3].code) for i, u in enumerate(users))
    assert edge_rows(store, EdgeKind.MEMBER_OF, ("role",)) == members
    assert edge_rows(store, EdgeKind.MEMBER_OF) == [(*m, -1, -1) for m in members]
    assert edge_rows(store, EdgeKind.MEMBER_OF, ()) == [m[:2] for m in members]


def test_write_run_makes_it_current_and_readable(store):
    store.ensure_users(["a", "b", "c", "d"])
    store.upsert_users([User("a", "Ann")])
    store.write_run(sample_run("r1", 100.0, {"a": 1, "b": 2, "c": 3, "d": 4}))
    current = store.current_run()
    assert current is not None
    assert (current.run_id, current.params, current.stats) == ("r1", {"seed": 0}, {"n_users": 4})
    top = store.user_results("r1", limit=2)
    assert [(r["user_id"], r["influence_rank"]) for r in top] == [("a", 1), ("b", 2)]
    assert top[0]["name"] == "Ann"
    assert top[0]["influence"] == pytest.approx(1.0)
    assert set(top[0]) == {"user_id", "name", *USER_RESULT_COLUMNS}
    page2 = store.user_results("r1", after_rank=2, limit=10)
    assert [r["user_id"] for r in page2] == ["c", "d"]
    assert [r["user_id"] for r in store.user_results("r1", community_id="c-0002")] == ["b", "d"]
    assert [r["user_id"] for r in store.user_results("r1", tier="kol")] == ["a"]
    assert store.user_result("r1", "c")["influence_rank"] == 3
    assert store.user_result("r1", "nobody") is None
    assert [c.community_id for c in store.community_results("r1")] == ["c-0001", "c-0002"]
    assert store.community_results("r1")[1].shape == "star"
    assert store.group_results("r1") == [GroupResult("g1", 4, "official", "a", 0.5, True)]


def test_lifecycles_and_daily_series_are_kept_with_the_run(store):
    store.ensure_users(["a", "b", "c", "d"])
    run = sample_run("r1", 100.0, {"a": 1, "b": 2, "c": 3, "d": 4})
    life = {"stage": "declining", "alarms": "low_interaction,leader_quiet", "members": 3}
    figures = {"joins_7d": 1, "quits_7d": 4, "active_share_7d": 0.25, "successors": "b,c"}
    groups = [replace(run.groups[0], **life, **figures)]
    communities = [replace(run.communities[0], stage="growing"), run.communities[1]]
    series = [
        HealthSeries("group", "g1", "2026-05-01", {"members": [7, 5, 3], "joins": [1, 0, 0]}),
        HealthSeries("community", "c-0001", "2026-05-01", {"members": [2, 2, 2]}),
    ]
    store.write_run(replace(run, communities=communities, groups=groups, series=series))
    assert store.group_results("r1") == groups
    assert store.group_result("r1", "g1").silent_share_7d is None  # not given: not assessed
    assert store.community_results("r1") == communities
    assert store.community_results("r1")[1].stage == ""
    assert store.health_series("r1", "group", ["g1", "g9"]) == series[:1]
    assert store.health_series("r1", "community", ["c-0001"]) == series[1:]
    assert store.health_series("r1", "group", ["c-0001"]) == []


def test_owner_reasons_are_kept_with_the_run(store):
    store.ensure_users(["a", "b", "c", "d"])
    run = sample_run("r1", 100.0, {"a": 1, "b": 2, "c": 3, "d": 4})
    reason = "a stays owner: c is 4% ahead, short of 10%"
    communities = [replace(run.communities[0], owner_reason=reason), run.communities[1]]
    groups = [replace(run.groups[0], owner_reason="owner changed: a overtook b by 31%")]
    store.write_run(replace(run, communities=communities, groups=groups))
    assert store.community_results("r1") == communities
    assert store.community_result("r1", "c-0001").owner_reason == reason
    assert store.community_results("r1")[1].owner_reason == ""
    assert store.group_results("r1") == groups


def test_newest_run_is_current_and_old_runs_stay_readable(store):
    store.ensure_users(["a", "b"])
    store.write_run(sample_run("r1", 100.0, {"a": 1, "b": 2}))
    store.write_run(sample_run("r2", 200.0, {"a": 2, "b": 1}))
    assert store.current_run().run_id == "r2"
    assert [r.run_id for r in store.runs()] == ["r2", "r1"]
    assert store.user_results("r1")[0]["user_id"] == "a"
    assert store.user_results("r2")[0]["user_id"] == "b"


def test_unknown_run_is_not_found(store):
    with pytest.raises(NotFoundError, match="nope"):
        store.user_results("nope")
    with pytest.raises(NotFoundError):
        store.community_results("nope")


class FailingGroups(list):
    """A result part that fails while being written: the run must not become visible."""

    def __iter__(self):
        yield from super().__iter__()
        raise RuntimeError("writer died midway")


def test_a_run_failing_midway_changes_nothing_readers_see(store):
    store.ensure_users(["a", "b"])
    store.write_run(sample_run("r1", 100.0, {"a": 1, "b": 2}))
    good = sample_run("r2", 200.0, {"a": 2, "b": 1})
    broken = RunResult(good.info, good.users, good.communities, FailingGroups(good.groups))
    with pytest.raises(RuntimeError, match="midway"):
        store.write_run(broken)
    assert store.current_run().run_id == "r1"
    assert [r.run_id for r in store.runs()] == ["r1"]
    assert store.user_results("r1")[0]["user_id"] == "a"
    store.write_run(sample_run("r3", 300.0, {"a": 2, "b": 1}))
    assert store.current_run().run_id == "r3"
    assert [r.run_id for r in store.runs()] == ["r3", "r1"]


def test_revision_changes_with_every_write_and_only_then(store):
    writes = [
        lambda: store.ensure_users(["a", "b"]),
        lambda: store.upsert_users([User("a", "Ann")]),
        lambda: store.upsert_groups([Group("g1", "Group", "a")]),
        lambda: store.upsert_memberships([Membership("b", "g1")]),
        lambda: store.upsert_referrals([Referral("a", "b", 5)]),
        lambda: store.add_interactions([event("a", "b", LIKE, 7)]),
        lambda: store.write_run(sample_run("r1", 100.0, {"a": 1, "b": 2})),
    ]
    seen = [store.revision()]
    for write in writes:
        write()
        revision = store.revision()
        assert revision not in seen
        seen.append(revision)
        store.counts()  # may settle derived tables (a write of its own) on first read
        settled = store.revision()
        store.counts(), store.runs(), store.user_groups("b"), store.referral_tree("b", "up", 1, 9)
        assert store.revision() == settled


def test_seeds_are_stored_with_their_run_and_removed_with_it(store):
    store.write_run(sample_run("r1", 100.0, {"a": 1, "b": 2}))
    rows = [
        {"rank": 1, "user_id": "b", "marginal_spread": 1.5, "expected_spread": 1.5},
        {"rank": 2, "user_id": "a", "marginal_spread": 0.25, "expected_spread": 1.75},
    ]
    seeds = SeedSet("seeds-1", "r1", 123.5, {"k": 2, "model": "ic"}, {"theta": 10}, rows)
    store.write_seeds(seeds)
    assert store.seed_set("seeds-1") == seeds
    assert store.seed_set("seeds-2") is None
    with pytest.raises(NotFoundError, match="r9"):
        store.write_seeds(SeedSet("seeds-2", "r9", 1.0, {}, {}, []))
    for i in range(2, 8):  # later runs push r1 out (stores keep the newest five)
        store.write_run(sample_run(f"r{i}", 100.0 + i, {"a": 1, "b": 2}))
    assert store.seed_set("seeds-1") is None
    assert [r.run_id for r in store.runs()] == ["r7", "r6", "r5", "r4", "r3"]
    assert store.current_run().run_id == "r7"
    with pytest.raises(NotFoundError, match="r2"):
        store.user_results("r2")
