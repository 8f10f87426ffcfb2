"""The synthetic generator writes valid loader input whose structure matches its planted truth."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import networkx as nx
import pytest

from graphsvc import synth

USERS = 5000
HEADERS = {
    "users": ["user_id", "name", "joined_at", "city"],
    "groups": ["group_id", "name", "owner_id", "created_at"],
    "memberships": ["user_id", "group_id", "joined_at", "role"],
    "referrals": ["inviter_id", "invitee_id", "referred_at", "campaign"],
    "interactions": ["src_id", "dst_id", "kind", "occurred_at", "weight"],
}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class World:
    """One generated data set, read back."""

    def __init__(self, out: Path, truth: synth.Truth) -> None:
        self.out, self.truth = out, truth
        self.rows = {name: read(out / f"{name}.csv") for name in HEADERS}
        self.members: dict[str, set[str]] = defaultdict(set)
        self.groups_of: dict[str, set[str]] = defaultdict(set)
        for r in self.rows["memberships"]:
            self.members[r["group_id"]].add(r["user_id"])
            self.groups_of[r["user_id"]].add(r["group_id"])
        self.owner = {r["group_id"]: r["owner_id"] for r in self.rows["groups"]}
        self.events = self.rows["interactions"]
        self.referrals = self.rows["referrals"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    out = tmp_path_factory.mktemp("synth")
    return World(out, synth.generate(out, users=USERS, seed=3))


def test_files_have_headers(world: World) -> None:
    for name, header in HEADERS.items():
        with (world.out / f"{name}.csv").open(encoding="utf-8") as fh:
            assert fh.readline().rstrip("\n").split(",") == header
    assert (world.out / "truth.json").is_file()


def test_users_are_unique_and_exactly_as_many_as_asked(world: World) -> None:
    ids = [r["user_id"] for r in world.rows["users"]]
    assert len(ids) == len(set(ids)) == USERS
    assert all(r["name"] for r in world.rows["users"])


def test_every_edge_endpoint_is_a_user(world: World) -> None:
    ids = {r["user_id"] for r in world.rows["users"]}
    used = set(world.owner.values()) | set(world.groups_of)
    for r in world.referrals:
        used |= {r["inviter_id"], r["invitee_id"]}
    for r in world.events:
        used |= {r["src_id"], r["dst_id"]}
    assert used <= ids
    assert set(world.members) == set(world.owner)


def test_timestamps_are_iso_utc(world: World) -> None:
    stamps = [r["joined_at"] for r in world.rows["users"]]
    stamps += [r["occurred_at"] for r in world.events] + [r["referred_at"] for r in world.referrals]
    parsed = [datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ") for s in stamps]
    assert min(parsed).year >= 2023
    assert max(parsed).year <= 2026


def test_referrals_form_a_forest_with_one_inviter_each(world: World) -> None:
    invitees = Counter(r["invitee_id"] for r in world.referrals)
    assert max(invitees.values()) == 1
    tree = nx.DiGraph((r["inviter_id"], r["invitee_id"]) for r in world.referrals)
    assert nx.number_of_selfloops(tree) == 0
    assert nx.is_forest(tree)
    referred = {r["invitee_id"]: r["referred_at"] for r in world.referrals}
    assert all(
        r["referred_at"] > referred[r["inviter_id"]]
        for r in world.referrals
        if r["inviter_id"] in referred
    )


def test_distributors_are_exactly_the_users_deeper_than_three(world: World) -> None:
    tree = nx.DiGraph((r["inviter_id"], r["invitee_id"]) for r in world.referrals)
    depth: dict[str, int] = {}
    for root in (v for v in tree if tree.in_degree(v) == 0):
        depth |= nx.single_source_shortest_path_length(tree, root)
    deep = {u for u, d in depth.items() if d > 3}
    assert deep == set(world.truth.distributors)
    assert 0 < len(deep) < 0.1 * USERS
    assert Counter(depth.values()).most_common(1)[0][0] <= 3


def test_interactions_are_valid_events(world: World) -> None:
    assert all(r["src_id"] != r["dst_id"] for r in world.events)
    assert {r["kind"] for r in world.events} == set(synth.KINDS)
    weights = [r["weight"] for r in world.events]
    assert all(float(w) > 0 for w in weights if w)
    assert 0 < sum(map(bool, weights)) < 0.2 * len(weights)
    assert 9 * USERS <= len(world.events) <= 11 * USERS


def test_lurkers_never_act(world: World) -> None:
    lurkers = set(world.truth.lurkers)
    assert 0.3 * USERS <= len(lurkers) <= 0.4 * USERS
    assert not lurkers & {r["src_id"] for r in world.events}
    assert not lurkers & {r["inviter_id"] for r in world.referrals}
    assert lurkers & {r["dst_id"] for r in world.events}  # they are mentioned now and then


def test_interactions_stay_mostly_inside_a_group(world: World) -> None:
    inside = sum(
        bool(world.groups_of[r["src_id"]] & world.groups_of[r["dst_id"]]) for r in world.events
    )
    assert inside >= 0.85 * len(world.events)


def test_leader_receives_most_attention_in_group(world: World) -> None:
    received: Counter[tuple[str, str]] = Counter()
    for r in world.events:
        for group in world.groups_of[r["src_id"]] & world.groups_of[r["dst_id"]]:
            received[group, r["dst_id"]] += 1
    official = set(world.truth.official_groups)
    tops = [
        received[g, leader] > max(received[g, m] for m in world.members[g] if m != leader)
        for g, leader in world.truth.leaders.items()
        if g not in official
    ]
    assert sum(tops) >= 0.95 * len(tops)


def test_declared_owners(world: World) -> None:
    official = set(world.truth.official_groups)
    accounts = set(world.truth.official_accounts)
    assert 0 < len(official) <= 0.12 * len(world.owner)
    owner_rows = {(r["user_id"], r["group_id"]) for r in world.rows["memberships"]}
    for g, leader in world.truth.leaders.items():
        assert (world.owner[g], g) in owner_rows
        if g in official:
            assert world.owner[g] in accounts
            assert leader in world.members[g]
            assert leader not in accounts
        else:
            assert world.owner[g] == leader
    roles = Counter((r["group_id"], r["role"]) for r in world.rows["memberships"])
    assert all(roles[g, "owner"] == 1 for g in world.owner)


def test_official_accounts_broadcast_and_hear_almost_nothing(world: World) -> None:
    sent = Counter(r["src_id"] for r in world.events)
    got = Counter(r["dst_id"] for r in world.events)
    kinds = {r["kind"] for r in world.events if r["src_id"] in world.truth.official_accounts}
    assert kinds == {"message"}
    for account in world.truth.official_accounts:
        assert sent[account] > 100
        assert got[account] <= 0.02 * sent[account]


def test_super_users_span_groups_and_others_belong_to_one(world: World) -> None:
    supers = world.truth.super_users
    assert supers
    assert all(3 <= len(world.groups_of[u]) <= 8 for u in supers)
    single = sum(len(gs) == 1 for gs in world.groups_of.values())
    assert single >= 0.95 * USERS


def test_shills_hammer_one_owner(world: World) -> None:
    assert world.truth.shills
    for shill in world.truth.shills:
        acts = [r for r in world.events if r["src_id"] == shill]
        assert 200 <= len(acts) <= 500
        assert {r["kind"] for r in acts} <= {"like", "reply"}
        (target,) = {r["dst_id"] for r in acts}
        (group,) = world.groups_of[shill]
        assert target == world.owner[group]


def test_truth_round_trips(world: World) -> None:
    assert synth.Truth.from_json(world.out / "truth.json") == world.truth
    assert len(world.truth.leaders) == len(world.owner)


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    def files(seed: int, name: str) -> dict[str, bytes]:
        synth.generate(tmp_path / name, users=1000, seed=seed)
        return {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}

    first, again, other = files(7, "a"), files(7, "b"), files(8, "c")
    assert first == again
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first)


def test_jsonl_matches_csv(tmp_path: Path) -> None:
    synth.generate(tmp_path / "csv", users=1000, seed=5)
    synth.generate(tmp_path / "jsonl", users=1000, seed=5, fmt="jsonl")
    for name, header in HEADERS.items():
        rows = read(tmp_path / "csv" / f"{name}.csv")
        lines = (tmp_path / "jsonl" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        objs = [json.loads(line) for line in lines]
        assert len(objs) == len(rows) > 0
        for row, obj in zip(rows, objs, strict=True):
            assert list(obj) == header
            if name == "interactions":
                weight = obj.pop("weight")
                assert row.pop("weight") == ("" if weight is None else str(weight))
            assert obj == row


def test_progress_reports_rows_per_file(tmp_path: Path) -> None:
    seen: dict[str, int] = {}
    synth.generate(tmp_path, users=500, on_progress=lambda stage, n: seen.update({stage: n}))
    assert set(seen) == set(HEADERS)
    for name in HEADERS:
        assert seen[name] == len(read(tmp_path / f"{name}.csv"))


def test_group_sizes_are_heavy_tailed(tmp_path: Path) -> None:
    truth = synth.generate(tmp_path, users=20_000, seed=1)
    sizes = Counter(r["group_id"] for r in read(tmp_path / "memberships.csv"))
    assert len(sizes) == len(truth.leaders)
    assert 20_000 / 100 <= len(sizes) <= 20_000 / 60
    assert min(sizes.values()) >= 8
    assert sum(s > 150 for s in sizes.values()) >= 0.05 * len(sizes)
    assert max(sizes.values()) > 500


@pytest.mark.parametrize(("kwargs", "message"), [({"fmt": "xml"}, "fmt"), ({"users": 10}, "users")])
def test_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synth.generate(tmp_path, **{"users": 1000, **kwargs})  # type: ignore[arg-type]
