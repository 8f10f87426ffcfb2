"""Planted fraud: groups whose owner side hired shills (托儿, 5–8 per 100 members) to boost one
member, and fake-invite bursts (one inviter bringing many members who never act, in minutes).
Drawn from a generator of their own, so the rest of a graph keeps its draws when none is asked."""

from __future__ import annotations

import numpy as np

from graphsvc.synth.population import DAY, END, Edges, Population

__all__ = ["plant_fake_invites", "plant_shill_groups"]

SHILLS_PER_MEMBER = (0.05, 0.08)
FAKE_INVITES = (8, 30)  # invitees per burst
BURST_SECONDS = 600  # a burst's invites all fall within this many seconds


def _members_by_group(pop: Population) -> list[np.ndarray]:
    order = np.argsort(pop.group_of, kind="stable")
    bounds = np.searchsorted(pop.group_of[order], np.arange(len(pop.sizes) + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(len(pop.sizes))]


def plant_shill_groups(pop: Population, share: float, rng: np.random.Generator) -> None:
    """In ``share`` of the groups not run by an official account, 5–8% of the members become
    shills and one active ordinary member becomes the member they boost (``pop.boosted``:
    per group, -1 none). In place."""
    boosted = np.full(len(pop.sizes), -1, dtype=np.int64)
    eligible = np.flatnonzero(~pop.official & (pop.sizes >= 20))
    chosen = np.sort(rng.choice(eligible, min(round(share * len(eligible)), len(eligible)), False))
    members = _members_by_group(pop)
    ordinary = ~(pop.is_leader | pop.is_super | pop.is_shill | pop.is_official)
    for g in chosen.tolist():
        free = members[g][ordinary[members[g]]]
        active = free[pop.activity[free] > 0]
        if len(active) == 0:
            continue
        target = int(rng.choice(active))
        free = free[free != target]
        k = max(1, round(len(members[g]) * rng.uniform(*SHILLS_PER_MEMBER)))
        hired = rng.choice(free, min(k, len(free)), replace=False)
        pop.is_shill[hired] = True
        pop.is_lurker[hired] = False
        pop.activity[hired] = 0.0
        boosted[g] = target
    pop.boosted = boosted


def plant_fake_invites(
    pop: Population,
    referrals: Edges,
    level: np.ndarray,
    joined: np.ndarray,
    bursts: int,
    rng: np.random.Generator,
) -> tuple[Edges, np.ndarray, np.ndarray]:
    """``bursts`` active ordinary members each invite 8–30 lurkers of their group within ten
    minutes (a lurker already invited by someone else is re-pointed: one inviter per invitee).
    Updates ``level`` and ``joined`` in place; returns the referrals (sorted by time), the
    fake inviters and the fake invitees."""
    members = _members_by_group(pop)
    lurker = pop.is_lurker.copy()
    inviters = np.flatnonzero(
        (pop.activity[: pop.n_normal] > 0)
        & ~pop.is_shill[: pop.n_normal]
        & ~pop.is_leader[: pop.n_normal]
    )
    src, dst, time = referrals.src.copy(), referrals.dst.copy(), referrals.time.copy()
    code, value = referrals.code.copy(), referrals.value.copy()
    row_of = np.full(pop.n_users, -1, dtype=np.int64)
    row_of[dst] = np.arange(len(dst))
    fake_inviters, fake_invitees = [], []
    for inviter in rng.permutation(inviters).tolist():
        if len(fake_inviters) == bursts:
            break
        group = members[pop.group_of[inviter]]
        pool = group[lurker[group]]
        if len(pool) < FAKE_INVITES[0]:
            continue
        invitees = rng.choice(
            pool, min(int(rng.integers(*FAKE_INVITES, endpoint=True)), len(pool)), False
        )
        lurker[invitees] = False
        start = int(
            min(max(joined[inviter], pop.created[pop.group_of[inviter]]) + DAY, END - 2 * DAY)
        )
        start += int(rng.integers(0, max(END - DAY - start, 1)))
        at = start + np.sort(rng.integers(0, BURST_SECONDS, len(invitees)))
        old = row_of[invitees]
        again = old >= 0
        src[old[again]], time[old[again]] = inviter, at[again]
        new = invitees[~again]
        src, dst = np.r_[src, np.full(len(new), inviter)], np.r_[dst, new]
        time, value = np.r_[time, at[~again]], np.r_[value, np.zeros(len(new), np.int64)]
        code = np.r_[code, np.full(len(new), code[0] if len(code) else 0)]
        row_of[new] = len(dst) - len(new) + np.arange(len(new))
        level[invitees] = level[inviter] + 1
        joined[invitees] = at
        fake_inviters.append(inviter)
        fake_invitees.extend(invitees.tolist())
    order = np.argsort(time, kind="stable")
    edges = Edges(
        src=src[order], dst=dst[order], time=time[order], code=code[order], value=value[order]
    )
    return (
        edges,
        np.array(sorted(fake_inviters), dtype=np.int64),
        np.sort(np.array(fake_invitees, dtype=np.int64)),
    )
