"""Small builders shared by tests."""

from __future__ import annotations

import socket
from pathlib import Path

import igraph as ig
import networkx as nx
import numpy as np

from graphsvc import synth
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import (
    USER_RESULT_COLUMNS,
    CommunityResult,
    EdgeKind,
    GraphSnapshot,
    Group,
    GroupResult,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    RunInfo,
    RunResult,
    UserResults,
)
from graphsvc.store.base import GraphStore, edge_props
from graphsvc.store.sqlite import SqliteStore
from graphsvc.synth import Truth


def sample_run(run_id: str, started_at: float, ranks_of: dict[str, int]) -> RunResult:
    """A small complete run: users ranked as given, two communities, one group."""
    user_ids = np.array(sorted(ranks_of))
    n = len(user_ids)
    columns = {}
    for name, kind in USER_RESULT_COLUMNS.items():
        columns[name] = {
            "str": np.array([""] * n, dtype=object),
            "int": np.full(n, -1, dtype=np.int64),
            "float": np.zeros(n),
        }[kind]
    for name in ("shill_score", "audience_quality", "real_audience_share"):
        columns[name] = np.full(n, np.nan)  # not computed, as in runs before shills
    for name in ("suspicious_audience_share", "engagement_rate_percentile"):
        columns[name] = np.full(n, np.nan)
    columns["influence_rank"] = np.array([ranks_of[u] for u in user_ids], dtype=np.int64)
    columns["influence"] = 1.0 / columns["influence_rank"]
    columns["community_id"] = np.array(
        ["c-0001" if i % 2 == 0 else "c-0002" for i in range(n)], dtype=object
    )
    columns["tier"] = np.array(["kol"] + ["member"] * (n - 1), dtype=object)
    communities = [
        CommunityResult("c-0001", (n + 1) // 2, user_ids[0], 0.5, None, 0.1, 0.2, 0.3, 0.4, "mesh"),
        CommunityResult("c-0002", n // 2, user_ids[1], 0.1, None, 0.1, 0.2, 0.9, 0.9, "star"),
    ]
    groups = [GroupResult("g1", n, "official", user_ids[0], 0.5, True)]
    info = RunInfo(run_id, started_at, started_at + 1, {"seed": 0}, {"n_users": n}, "fp")
    return RunResult(info, UserResults(user_ids, columns), communities, groups)


def ranked_run(run_id: str = "r1") -> RunResult:
    """A run of 10 users u0..u9 (rank = index + 1) with ties and missing values in the
    secondary scores, three tiers, two roles, and four communities of both shapes."""
    user_ids = np.array([f"u{i}" for i in range(10)])
    result = sample_run(run_id, 1.0, {u: i + 1 for i, u in enumerate(user_ids)})
    columns = dict(result.users.columns)
    columns["betweenness"] = np.array([0.5, 0.9, 0.5, np.nan, 0.9, 0.1, 0.5, 0.0, np.nan, 0.2])
    columns["coreness"] = np.array([3, 3, 2, 3, 1, 2, 2, -1, 1, 3], dtype=np.int64)
    columns["downline"] = np.array([5, 2, 0, 2, 0, 0, 0, 0, 0, 0], dtype=np.int64)
    columns["shill_score"] = np.array([0, 0, 0, 0.9, 0, 0.6, 0, 0, 0.2, np.nan])
    columns["audience_quality"] = np.array(
        [0.9, 0.8, np.nan, 0.1, 0.95, 0.3, 0.5, 0.7, 0.2, np.nan]
    )
    columns["direct_referrals"] = np.array([3, 2, 0, 2, 0, 0, 0, 0, 0, 0], dtype=np.int64)
    columns["genuine_referrals"] = np.array([1, 2, 0, 2, 0, 0, 0, 0, 0, 0], dtype=np.int64)
    columns["fake_invites"] = np.array([2, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.int64)
    columns["community_id"] = np.array(["c-a", "c-b"] * 5, dtype=object)
    columns["tier"] = np.array(["core", "kol", "kol"] + ["member"] * 6 + ["lurker"], object)
    columns["role"] = np.array(["connector_hub", "provincial_hub"] + ["peripheral"] * 8, object)
    communities = [
        # health_score = reciprocity × (1 − centralization), as the analysis stores it
        CommunityResult("c-a", 4, "u0", 0.5, "u2", 0.5, 0.8, 0.2, 0.1, "mesh", health_score=0.72),
        CommunityResult("c-b", 4, "u1", 0.3, None, 0.4, 0.1, 0.9, 0.95, "star", health_score=0.005),
        CommunityResult("c-c", 2, "u4", 0.1, None, 1.0, 0.8, 0.5, 0.1, "mesh", health_score=0.72),
        CommunityResult(
            "c-d", 6, "u3", 0.2, None, 0.2, None, 0.4, None, "mesh", "c-a", health_score=0.0
        ),
    ]
    groups = [
        GroupResult("g1", 3, "u9", "u0", 0.4, True),
        GroupResult("g2", 1, "u2", "u2", 1.0, False),
        GroupResult("g3", 2, None, "u0", 0.2, False),
    ]
    return RunResult(result.info, UserResults(user_ids, columns), communities, groups)


def split_run(run_id: str = "r1") -> RunResult:
    """``ranked_run`` where c-a is over Dunbar's number and split: u0 and u4 in c-a.01, u2
    in c-a.02, u6 only in c-a (a part too small to keep); u8 in c-a0, a community whose id
    starts with c-a's. Referral levels follow ``load_query_graph``'s tree (u7..u9 in none);
    in_strength has ties and a missing value."""
    run = ranked_run(run_id)
    columns = dict(run.users.columns)
    columns["community_id"] = np.array(
        ["c-a.01", "c-b", "c-a.02", "c-b", "c-a.01", "c-b", "c-a", "c-b", "c-a0", "c-b"], object
    )
    columns["referral_level"] = np.array([0, 1, 1, 2, 3, 3, 2, -1, -1, -1], dtype=np.int64)
    columns["in_strength"] = np.array([2.0, 5.0, 2.0, np.nan, 1.0, 5.0, 0.5, 0.0, 3.0, 2.0])
    communities = [
        CommunityResult("c-b", 5, "u1", 0.3, None, 0.4, 0.1, 0.9, 0.95, "star"),
        CommunityResult("c-a", 4, "u0", 0.5, "u2", 0.5, 0.8, 0.2, 0.1, "mesh"),
        CommunityResult("c-a.01", 2, "u0", 0.5, "u4", 1.0, 1.0, 1.0, 0.0, "mesh", "c-a"),
        CommunityResult("c-a.02", 1, "u2", 1.0, None, 0.0, 0.0, 0.0, 0.0, "mesh", "c-a"),
        CommunityResult("c-a0", 1, "u8", 1.0, None, 0.0, 0.0, 0.0, 0.0, "mesh"),
    ]
    return RunResult(run.info, UserResults(run.users.user_id, columns), communities, run.groups)


def load_query_graph(store: GraphStore) -> RunResult:
    """Users u0..u9, groups g1 (declared owner u9) and g2, memberships, the referral tree
    u0 -> u1 -> u3 -> {u4, u5}, u0 -> u2 -> u6, and ``ranked_run("r1")`` as current run."""
    store.ensure_users([f"u{i}" for i in range(10)])
    store.upsert_groups([Group("g1", "团购群", "u9"), Group("g2", "fans")])
    store.upsert_memberships(
        [
            Membership("u0", "g1", role=MemberRole.ADMIN),
            Membership("u9", "g1", role=MemberRole.OWNER),
            Membership("u3", "g1"),
            Membership("u0", "g2"),
            Membership("u5", "g2"),
        ]
    )
    edges = [("u0", "u1"), ("u0", "u2"), ("u1", "u3"), ("u3", "u4"), ("u3", "u5"), ("u2", "u6")]
    store.upsert_referrals([Referral(a, b, i) for i, (a, b) in enumerate(edges)])
    run = ranked_run("r1")
    store.write_run(run)
    return run


OVERTOOK = "owner changed: u2 overtook u0 by 25%"


def later_run(run_id: str = "r2", started_at: float = 2.0) -> RunResult:
    """The run after ``ranked_run("r1")``, with known changes: u10 joined (a KOL in new
    community c-f); u5 rose to rank 2 and became a KOL, u1 fell to rank 6 and is a member now;
    c-b split into c-b (u1, u3, u5) and c-e (u7, u9); c-c dissolved; c-a's owner is u2
    (``OVERTOOK``)."""
    ranks = {"u0": 1, "u5": 2, "u2": 3, "u3": 4, "u4": 5, "u1": 6}
    ranks |= {"u6": 7, "u7": 8, "u8": 9, "u9": 10, "u10": 11}
    result = sample_run(run_id, started_at, ranks)
    user_ids = result.users.user_id  # sorted: u0, u1, u10, u2, ..., u9
    columns = dict(result.users.columns)
    community = {u: "c-a" for u in ("u0", "u2", "u4", "u6", "u8")}
    community |= {"u1": "c-b", "u3": "c-b", "u5": "c-b", "u7": "c-e", "u9": "c-e", "u10": "c-f"}
    tier = {"u0": "core", "u2": "kol", "u5": "kol", "u10": "kol", "u9": "lurker"}
    columns["community_id"] = np.array([community[u] for u in user_ids], dtype=object)
    columns["tier"] = np.array([tier.get(u, "member") for u in user_ids], dtype=object)
    communities = [
        CommunityResult(
            "c-a", 5, "u2", 0.5, "u0", 0.5, 0.8, 0.2, 0.1, "mesh", None, "c-a=1", OVERTOOK
        ),
        CommunityResult("c-b", 3, "u1", 0.3, None, 0.4, 0.1, 0.9, 0.95, "star", None, "c-b=1"),
        CommunityResult("c-e", 2, "u7", 0.1, None, 1.0, 0.8, 0.5, 0.1, "mesh", None, "c-b=1"),
        CommunityResult("c-f", 1, "u10", 1.0, None, 0.0, 0.0, 1.0, 0.0, "mesh"),
    ]
    return RunResult(result.info, UserResults(user_ids, columns), communities, result.groups)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def edge_rows(store: GraphStore, kind: EdgeKind, columns=None) -> list[tuple]:
    """Every edge of a kind as (src, dst, *props) store ids and values, sorted; the columns
    named, aligned, with their dtypes."""
    props = list(edge_props(kind, columns))
    rows = []
    for batch in store.edge_batches(kind, batch_size=7, columns=columns):
        cols = [batch.src, batch.dst, *batch.props.values()]
        assert list(batch.props) == props
        assert {len(c) for c in cols} == {len(batch)}
        assert [c.dtype for c in cols] == [np.int64, np.int64, *edge_props(kind, columns).values()]
        rows += zip(*(c.tolist() for c in cols), strict=True)
    return sorted(rows)


def generated_snapshot(
    users: int, seed: int, work: Path, **planted: float
) -> tuple[GraphSnapshot, Truth]:
    """A community-commerce graph from ``graphsvc.synth`` (``planted``: its fraud options)
    loaded into SQLite under ``work``, as the analysis reads it, with its planted truth."""
    truth = synth.generate(work / "data", users=users, seed=seed, **planted)
    with SqliteStore(work / "g.db") as store:
        store.init_schema()
        load_files(discover(work / "data"), store)
        return build_snapshot(store), truth


def nmi(a, b) -> float:
    """Normalized mutual information of two labellings of the same vertices (any label type)."""

    def codes(x) -> list[int]:
        return np.unique(np.asarray(x).astype(str), return_inverse=True)[1].tolist()

    return ig.compare_communities(codes(a), codes(b), method="nmi")


def reference_pagerank(graph: nx.DiGraph, alpha: float = 0.85) -> dict:
    """networkx's weighted PageRank, converged far below the tolerance the analysis promises."""
    return nx.pagerank(graph, alpha=alpha, tol=1e-13, max_iter=10_000)


def columns_snapshot(
    user_ids,
    *,
    src=(),
    dst=(),
    kind=None,
    count=None,
    days=None,
    weight=None,
    inviter=(),
    invitee=(),
    group_ids=(),
    group_owner=None,
    member=(),
    member_group=(),
    member_role=None,
) -> GraphSnapshot:
    """A snapshot from its columns; a column left out takes the neutral value: kind reply,
    count 1, days = count, weight = count, no declared owner (-1), role member."""

    def ints(values, dtype=np.int64) -> np.ndarray:
        return np.asarray(values, dtype=dtype).reshape(-1)

    src, dst = ints(src), ints(dst)
    count = ints(np.ones(len(src)) if count is None else count)
    group_ids = np.asarray(group_ids, dtype=str).reshape(-1)
    member = ints(member)
    return GraphSnapshot(
        user_ids=np.asarray(user_ids, dtype=str),
        interaction_src=src,
        interaction_dst=dst,
        interaction_kind=ints(
            np.full(len(src), InteractionKind.REPLY.code) if kind is None else kind, np.int8
        ),
        interaction_count=count,
        interaction_days=count if days is None else ints(days),
        interaction_weight=ints(count if weight is None else weight, float),
        referral_inviter=ints(inviter),
        referral_invitee=ints(invitee),
        group_ids=group_ids,
        group_owner=ints(np.full(len(group_ids), -1) if group_owner is None else group_owner),
        membership_user=member,
        membership_group=ints(member_group),
        membership_role=ints(
            np.full(len(member), MemberRole.MEMBER.code) if member_role is None else member_role,
            np.int8,
        ),
    )


def snapshot_of(users, interactions=(), referrals=(), groups=(), memberships=()) -> GraphSnapshot:
    """A snapshot from rows. users: a count (ids u0…, zero-padded to one width) or the ids;
    interactions: (src, dst, kind name or code, count[, days[, weight]]), days and weight
    defaulting to count; referrals: (inviter, invitee); groups: (id, declared owner or -1);
    memberships: (user, group index[, role code])."""
    if isinstance(users, int):
        width = len(str(max(users - 1, 0)))
        users = [f"u{i:0{width}d}" for i in range(users)]
    rows = [tuple(r) + (r[3], r[3])[len(r) - 4 :] for r in interactions]
    members = [tuple(m) + (MemberRole.MEMBER.code,)[len(m) - 2 :] for m in memberships]

    def column(table: list[tuple], i: int) -> list:
        return [row[i] for row in table]

    return columns_snapshot(
        users,
        src=column(rows, 0),
        dst=column(rows, 1),
        kind=[k if isinstance(k, int) else InteractionKind(k).code for k in column(rows, 2)],
        count=column(rows, 3),
        days=column(rows, 4),
        weight=column(rows, 5),
        inviter=[r[0] for r in referrals],
        invitee=[r[1] for r in referrals],
        group_ids=[g[0] for g in groups],
        group_owner=[g[1] for g in groups],
        member=column(members, 0),
        member_group=column(members, 1),
        member_role=column(members, 2),
    )
