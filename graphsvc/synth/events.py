"""Referral trees (fission, 裂变), join times and interaction events over the population."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graphsvc.synth.population import (
    CROSS_GROUP,
    DAY,
    END,
    EVENTS_PER_USER,
    PURCHASE,
    START,
    TO_INVITER,
    Edges,
    Population,
)

CAMPAIGNS = ("spring_fission", "618_sale", "双11裂变", "new_member_gift", "拼团", "referral_bonus")


def grow_referrals(
    pop: Population, rng: np.random.Generator
) -> tuple[Edges, np.ndarray, np.ndarray]:
    """Grow one referral tree per group, rooted at its leader.

    Depth is at most 3 in most groups; about one group in five grows chains 4-7 levels deep.
    Returns the referral edges (sorted by time), each user's level (0: not in a tree) and each
    invitee's join time (0 for users not invited).
    """
    n_groups = len(pop.sizes)
    deep = rng.random(n_groups) < 0.2
    depth = np.where(deep, 4 + rng.geometric(0.5, n_groups).clip(max=4) - 1, 3)
    ratio = np.where(deep, 0.8, 0.6)
    tree_share = rng.uniform(0.4, 0.9, n_groups)

    nodes = np.flatnonzero(
        ~pop.is_leader[: pop.n_normal] & (rng.random(pop.n_normal) < tree_share[pop.group_of])
    )
    group = pop.group_of[nodes]
    r, d = ratio[group], depth[group]
    level = 1 + np.floor(np.log1p(-rng.random(len(nodes)) * (1 - r**d)) / np.log(r))
    level = np.minimum(level.astype(np.int64), d)
    recruits = pop.activity[nodes] > 0
    recruits &= ~pop.is_shill[nodes]

    parent = np.empty(len(nodes), np.int64)
    time = np.zeros(len(nodes), np.int64)
    for lvl in range(1, int(depth.max()) + 1):
        kids = np.flatnonzero(level == lvl)
        if lvl > 1:
            cand = np.flatnonzero((level == lvl - 1) & recruits)
            cand = cand[np.argsort(group[cand], kind="stable")]
            pick = _sampler(group[cand], pop.activity[nodes[cand]], n_groups)(
                group[kids], rng.random(len(kids))
            )
            ok = pick >= 0
            via = cand[pick[ok]]
            parent[kids[ok]] = nodes[via]
            time[kids[ok]] = time[via] + 3600 + rng.exponential(5 * DAY, ok.sum()).astype(np.int64)
            kids = kids[~ok]  # no recruiter one level up in the group: the leader invites
            level[kids] = 1
        parent[kids] = pop.leader[group[kids]]
        delay = 3600 + rng.exponential(10 * DAY, len(kids)).astype(np.int64)
        time[kids] = pop.created[group[kids]] + delay

    campaign = rng.integers(0, len(CAMPAIGNS), n_groups)[group]
    other = rng.random(len(nodes)) < 0.15
    campaign[other] = rng.integers(0, len(CAMPAIGNS), other.sum())
    user_level = np.zeros(pop.n_users, np.int64)
    user_level[nodes] = level
    joined = np.zeros(pop.n_users, np.int64)
    joined[nodes] = time
    order = np.argsort(time, kind="stable")
    edges = Edges(
        src=parent[order],
        dst=nodes[order],
        time=time[order],
        code=campaign[order],
        value=np.zeros(len(nodes), np.int64),
    )
    return edges, user_level, joined


def set_join_times(
    pop: Population, mem: Edges, ref: Edges, joined: np.ndarray, rng: np.random.Generator
) -> None:
    """Fill users' joined_at (in place) and membership joined_at.

    Invitees join when invited; other members organically after the group is created; leaders
    and official accounts were on the platform before. A primary membership starts at joined_at.
    """
    n = pop.n_normal
    invited = np.zeros(pop.n_users, bool)
    invited[ref.dst] = True
    organic = np.flatnonzero(~invited[:n])
    delay = rng.exponential(60 * DAY, len(organic)).astype(np.int64)
    joined[organic] = np.minimum(pop.created[pop.group_of[organic]] + delay, END - DAY)
    group_join = joined.copy()
    group_join[pop.leader] = pop.created
    joined[pop.leader] = pop.created - rng.integers(0, 90 * DAY, len(pop.leader))
    joined[n:] = START - rng.integers(30 * DAY, 300 * DAY, pop.n_users - n)

    created = pop.created[mem.dst]
    mem.time = np.maximum(group_join[mem.src], created)
    primary = (pop.group_of[np.minimum(mem.src, n - 1)] == mem.dst) & (mem.src < n)
    secondary = ~primary & ~pop.is_official[mem.src]
    late = rng.exponential(30 * DAY, secondary.sum()).astype(np.int64)
    mem.time[secondary] = np.minimum(mem.time[secondary] + late, END - DAY)
    mem.time[pop.is_official[mem.src]] = created[pop.is_official[mem.src]]


def _sampler(
    seg: np.ndarray, weights: np.ndarray, n_seg: int
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Weighted draw inside segments of items sorted by segment.

    Returns draw(query_segments, uniforms) -> index of one item per query, chosen in its
    segment with probability proportional to weight, or -1 where the segment has no weight.
    O(items) to build, O(log items) per draw.
    """
    cum = np.cumsum(weights, dtype=np.float64)
    base = np.concatenate(([0.0], cum))
    segs = np.arange(n_seg)
    start = np.searchsorted(seg, segs, "left")
    end = np.searchsorted(seg, segs, "right")

    def draw(query: np.ndarray, u: np.ndarray) -> np.ndarray:
        lo, hi = base[start[query]], base[end[query]]
        idx = np.searchsorted(cum, lo + u * (hi - lo), "right")
        idx = np.minimum(idx, end[query] - 1)
        return np.where(hi > lo, idx, -1)

    return draw


# rows: category; columns: KINDS (message, reply, mention, like, share, red_packet, purchase)
_KIND_MIX = np.array(
    [
        [0.30, 0.20, 0.15, 0.00, 0.00, 0.35, 0.00],  # 0 leader to member
        [0.08, 0.27, 0.10, 0.30, 0.08, 0.02, 0.15],  # 1 member to leader or super user
        [0.10, 0.25, 0.00, 0.20, 0.10, 0.00, 0.35],  # 2 invitee to inviter
        [0.30, 0.30, 0.10, 0.25, 0.05, 0.00, 0.00],  # 3 member to member
        [0.00, 0.00, 0.70, 0.00, 0.00, 0.30, 0.00],  # 4 anyone to a lurker
        [0.00, 1.00, 0.00, 0.00, 0.00, 0.00, 0.00],  # 5 member to an official account
        [1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],  # 6 official broadcast
        [0.00, 0.20, 0.00, 0.80, 0.00, 0.00, 0.00],  # 7 shill
    ]
)


def _kinds(category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw a kind per event from the mix of its category (see _KIND_MIX)."""
    cum = np.cumsum(_KIND_MIX, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(category))
    kind = np.empty(len(category), np.int8)
    for c in range(len(_KIND_MIX)):
        at = category == c
        kind[at] = np.searchsorted(cum[c], u[at], "right")
    return kind


def draw_interactions(
    pop: Population, mem: Edges, ref: Edges, joined: np.ndarray, rng: np.random.Generator
) -> Edges:
    """Draw ~EVENTS_PER_USER events per user, sorted by time.

    Members mostly act inside one of their groups, toward the leader with the group's
    leader_share, else toward its members by attractiveness (super users high, lurkers low,
    official accounts ~0) or their inviter; a few events cross groups toward popular users.
    Official accounts only broadcast; shills like/reply their group owner in a burst.
    """
    n_users, n_groups = pop.n_users, len(pop.sizes)
    user, group = mem.src, mem.dst

    # official broadcasts: uniform over the group's other members
    off = np.flatnonzero(pop.official)
    counts = np.round(pop.sizes[off] * rng.uniform(1.5, 3.0, len(off))).astype(np.int64)
    b_group = np.repeat(off, counts)
    audience = _sampler(group, (~pop.is_official[user]).astype(float), n_groups)
    b_dst = user[audience(b_group, rng.random(len(b_group)))]
    b_src = pop.owner[b_group]

    # shills: 200-500 likes and replies each to the owner of their group (or the member the
    # group's shills boost), within a week
    shills = np.flatnonzero(pop.is_shill)
    counts = rng.integers(200, 501, len(shills))
    s_src = np.repeat(shills, counts)
    target = (
        pop.owner if pop.boosted is None else np.where(pop.boosted >= 0, pop.boosted, pop.owner)
    )
    s_dst = target[pop.group_of[s_src]]
    burst = np.repeat(rng.integers(START + 180 * DAY, END - 7 * DAY, len(shills)), counts)
    s_time = np.maximum(burst, joined[s_src]) + rng.integers(0, 7 * DAY, len(s_src))

    # members
    n_events = max(0, EVENTS_PER_USER * n_users - len(b_src) - len(s_src))
    src = np.repeat(
        np.arange(n_users), rng.multinomial(n_events, pop.activity / pop.activity.sum())
    )
    by_user = np.argsort(user, kind="stable")
    first = np.searchsorted(user[by_user], np.arange(n_users), "left")
    n_mem = np.searchsorted(user[by_user], np.arange(n_users), "right") - first
    g = group[by_user[first[src] + (rng.random(len(src)) * n_mem[src]).astype(np.int64)]]

    appeal = rng.lognormal(0.0, 0.5, len(user))
    appeal[pop.is_lurker[user] | pop.is_shill[user]] *= 0.3
    appeal[pop.is_super[user]] = 2.5
    appeal[user == pop.leader[group]] = 3.0
    appeal[pop.is_official[user]] = 0.05
    member = _sampler(group, appeal, n_groups)
    follower = _sampler(group, np.where(user == pop.leader[group], 0.0, appeal), n_groups)
    reach = np.select(
        [pop.is_super, pop.is_leader, pop.is_lurker | pop.is_shill], [40.0, 8.0, 0.2], 1.0
    )
    reach[pop.is_official] = 0.0
    reach_cum = np.cumsum(reach)

    inviter = np.full(n_users, -1)
    inviter[ref.dst] = ref.src
    inviter_group = np.where(inviter >= 0, pop.group_of[np.minimum(inviter, pop.n_normal - 1)], -1)
    from_leader = pop.leader[g] == src
    cross = rng.random(len(src)) < np.where(pop.is_super[src], 2 * CROSS_GROUP, CROSS_GROUP)
    to_inviter = (
        ~cross & ~from_leader & (inviter_group[src] == g) & (rng.random(len(src)) < TO_INVITER)
    )
    to_leader = ~cross & ~from_leader & ~to_inviter & (rng.random(len(src)) < pop.leader_share[g])

    dst = user[member(g, rng.random(len(src)))]
    dst[from_leader] = user[follower(g[from_leader], rng.random(from_leader.sum()))]
    dst[to_leader] = pop.leader[g[to_leader]]
    dst[to_inviter] = inviter[src[to_inviter]]
    far = rng.random(cross.sum()) * reach_cum[-1]
    dst[cross] = np.minimum(np.searchsorted(reach_cum, far, "right"), n_users - 1)
    loop = (dst == src) & ~from_leader
    dst[loop] = pop.leader[g[loop]]

    category = np.select(
        [from_leader & ~cross, to_inviter, pop.is_super[dst] | pop.is_leader[dst]], [0, 2, 1], 3
    )
    m_time = np.maximum(joined[src], joined[dst])

    src = np.concatenate((src, b_src, s_src))
    dst = np.concatenate((dst, b_dst, s_dst))
    category = np.concatenate((category, np.full(len(b_src), 6), np.full(len(s_src), 7)))
    category[(category < 6) & pop.is_lurker[dst]] = 4
    category[(category < 6) & pop.is_official[dst]] = 5
    lo = np.concatenate(
        (m_time, np.maximum(pop.created[b_group], joined[b_dst]), np.zeros(len(s_src), np.int64))
    )
    span = np.maximum(END - lo, DAY)
    time = lo + (rng.random(len(lo)) * span).astype(np.int64)
    time[len(time) - len(s_src) :] = s_time

    kind = _kinds(category, rng)
    value = np.where(
        kind == PURCHASE, np.maximum(1, np.round(rng.lognormal(3.0, 0.6, len(kind)))), 0
    ).astype(np.int64)
    keep = src != dst
    order = np.flatnonzero(keep)[np.argsort(time[keep], kind="stable")]
    return Edges(
        src=src[order], dst=dst[order], time=time[order], code=kind[order], value=value[order]
    )
