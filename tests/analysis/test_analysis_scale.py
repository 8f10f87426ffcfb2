"""A planted community-commerce snapshot built in numpy, the pipeline on it, and the
1M-user timing run (``PYTHONPATH=. python tests/analysis/test_analysis_scale.py``)."""

from __future__ import annotations

import argparse
import json
import resource
import time

import igraph as ig
import numpy as np

from graphsvc.analysis import run_pipeline
from graphsvc.model import AnalysisParams, GraphSnapshot, InteractionKind
from tests.builders import columns_snapshot


def planted_snapshot(
    n: int,
    *,
    events_per_user: float = 6.0,
    mu: float = 0.15,
    to_leader: float = 0.3,
    lurkers: float = 0.3,
    seed: int = 0,
) -> tuple[GraphSnapshot, dict[str, np.ndarray]]:
    """Communities of 20–400 users, each a declared group with its owner as the leader (the
    first member); ``lurkers`` never act; a ``mu`` share of events leaves the community;
    referral trees grow inside communities. Returns the snapshot and the planted truth."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(20, 400, n // 20 + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    sizes[-1] -= sizes.sum() - n
    if sizes[-1] < 1:
        sizes = sizes[:-1]
        sizes[-1] += n - sizes.sum()
    k = len(sizes)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    perm = rng.permutation(n)  # community members are scattered over the id order
    comm_of_slot = np.repeat(np.arange(k), sizes)
    community = np.empty(n, dtype=np.int64)
    community[perm] = comm_of_slot
    leader = perm[start]
    lurker = rng.random(n) < lurkers
    lurker[leader] = False

    active = np.flatnonzero(~lurker)
    events = rng.poisson(events_per_user * n / max(len(active), 1), len(active))
    src = np.repeat(active, events)
    m = len(src)
    c = community[src]
    inside = rng.random(m) >= mu
    member = perm[start[c] + (rng.random(m) * sizes[c]).astype(np.int64)]
    dst = np.where(rng.random(m) < to_leader, leader[c], member)
    dst = np.where(inside, dst, rng.integers(0, n, m))
    kind = rng.choice(len(InteractionKind), m, p=[0.35, 0.2, 0.1, 0.2, 0.05, 0.05, 0.05])
    key = (src * n + dst) * 8 + kind
    key, count = np.unique(key, return_counts=True)
    pair, kind = key // 8, (key % 8).astype(np.int8)

    # referral forest: each non-leader is invited by an earlier member of its community
    slot = np.empty(n, dtype=np.int64)
    slot[perm] = np.arange(n)
    local = slot - start[community]
    invited = (local > 0) & (rng.random(n) < 0.6)
    invitee = np.flatnonzero(invited)
    back = np.minimum(local[invitee], rng.geometric(0.3, len(invitee)))
    inviter = perm[slot[invitee] - back]

    # explicit groups = communities; 2% of users also join a second group
    extra = np.flatnonzero(rng.random(n) < 0.02)
    m_user = np.concatenate([np.arange(n), extra])
    m_group = np.concatenate([community, rng.integers(0, k, len(extra))])
    order = np.lexsort((m_user, m_group))
    snapshot = columns_snapshot(
        [f"u{i:07d}" for i in range(n)],
        src=pair // n,
        dst=pair % n,
        kind=kind,
        count=count,
        inviter=inviter,
        invitee=invitee,
        group_ids=[f"g{j:06d}" for j in range(k)],
        group_owner=leader,
        member=m_user[order],
        member_group=m_group[order],
    )
    lurker[inviter] = False  # inviting someone is an action
    return snapshot, {"community": community, "leader": leader, "lurker": lurker}


def test_planted_snapshot_pipeline():
    snapshot, truth = planted_snapshot(20_000, seed=3)
    out = run_pipeline(snapshot, AnalysisParams(seed=3, betweenness_budget=5_000_000))
    labels = out.users.columns["community_id"]
    top = np.array([c.split(".")[0] for c in labels], dtype=object)
    assigned = top != ""
    _, found = np.unique(top, return_inverse=True)
    nmi = ig.compare_communities(truth["community"][assigned], found[assigned], method="nmi")
    assert nmi >= 0.9
    by_id = {g.group_id: g for g in out.groups}
    hits = sum(
        by_id[f"g{j:06d}"].effective_owner_id == f"u{v:07d}" for j, v in enumerate(truth["leader"])
    )
    assert hits / len(truth["leader"]) >= 0.95
    tiers = out.users.columns["tier"]
    assert (tiers[truth["lurker"]] == "lurker").all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=float, default=6.0)
    args = parser.parse_args()
    clock = time.perf_counter()
    snapshot, _ = planted_snapshot(args.users, events_per_user=args.events)
    built = time.perf_counter() - clock
    print(f"snapshot: {built:.1f} s, {len(snapshot.interaction_src):,} interaction rows")
    clock = time.perf_counter()
    out = run_pipeline(snapshot, AnalysisParams(), on_stage=lambda s: print(f"  {s} ..."))
    total = time.perf_counter() - clock
    stats = out.stats
    print(json.dumps({k: v for k, v in stats.items() if "seconds" not in k}, indent=1))
    print(f"{'stage':12s} {'wall s':>8s} {'cpu s':>8s}")
    for name, wall in stats["stage_seconds"].items():
        print(f"{name:12s} {wall:8.1f} {stats['stage_cpu_seconds'][name]:8.1f}")
    cpu = sum(stats["stage_cpu_seconds"].values())
    print(f"{'total':12s} {total:8.1f} {cpu:8.1f}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB")


if __name__ == "__main__":
    main()
