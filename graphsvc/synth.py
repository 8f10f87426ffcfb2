"""Synthetic community-commerce graphs (社群) with planted truth, written as loader input files.

`generate` plans a population of users and groups, plants the roles the analysis must find
(group leaders 群主, official service accounts, super users, lurkers, shills, deep
distributors), grows referral trees (fission, 裂变) and draws interaction events, then writes
users, groups, memberships, referrals and interactions as CSV or JSON Lines plus truth.json.

Everything is vectorized numpy: generation and writing are O(events log events); 1M users and
~10M events take about 30 s and 1.5 GB. The same seed gives byte-identical files.
"""

from __future__ import annotations

__all__ = ["KINDS", "Truth", "generate"]

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

KINDS = ("message", "reply", "mention", "like", "share", "red_packet", "purchase")
_PURCHASE = KINDS.index("purchase")
_ROLES = ("owner", "admin", "member")
_OWNER, _ADMIN, _MEMBER = range(len(_ROLES))

_DAY = 86_400
_START = 1_704_067_200  # 2024-01-01T00:00:00Z
_END = 1_751_328_000  # 2025-07-01T00:00:00Z

_EVENTS_PER_USER = 10
_USERS_PER_GROUP = 80
_MIN_GROUP = 8
_OFFICIAL_GROUP_SHARE = 0.07
_GROUPS_PER_OFFICIAL = 4
_SUPER_SHARE = 0.003
_SHILL_SHARE = 0.001
_LURKER_SHARE = 0.36  # of the ordinary users, ~35% of all users
_CROSS_GROUP = 0.08  # share of an ordinary member's events aimed outside their group
_TO_INVITER = 0.12  # share of an invitee's in-group events aimed at the inviter

_CITIES = (
    "上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "南京", "重庆", "西安", "苏州", "长沙",
)  # fmt: skip
_TOPICS = (
    "宝妈团", "数码交流", "美妆种草", "健身打卡", "读书会", "吃货联盟",
    "亲子游", "宠物之家", "团购", "护肤心得", "Fans", "Club",
)  # fmt: skip
_BRANDS = ("悦享", "优品", "鲜生", "青禾", "星选", "Acme")
_CAMPAIGNS = ("spring_fission", "618_sale", "双11裂变", "new_member_gift", "拼团", "referral_bonus")
_SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
_GIVEN = tuple("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玲")
_NICKS = (
    "Lily", "Tony", "Amy", "Kevin", "Coco", "Leo", "Momo", "Jack",
    "小美", "小鱼", "阿强", "大熊", "甜甜", "阿杰", "糖糖", "小七",
)  # fmt: skip


@dataclass(frozen=True)
class Truth:
    """What the generator planted, by id: the answers analysis tests check against.

    leaders maps every group to its effective leader (in normal groups also its declared owner);
    official_groups are declared-owned by an official account and led by a member; distributors
    sit more than 3 levels deep in a referral tree; star_groups (members talk only to the
    leader) and mesh_groups (members talk to each other too) are the planted health extremes.
    Group membership is not repeated here: it is in memberships.csv.
    """

    leaders: dict[str, str]
    official_groups: list[str]
    official_accounts: list[str]
    super_users: list[str]
    lurkers: list[str]
    shills: list[str]
    distributors: list[str]
    star_groups: list[str]
    mesh_groups: list[str]

    def to_json(self) -> str:
        """Compact JSON with one key per field."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, path: Path | str) -> Truth:
        """Read a truth.json written by `generate`."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass
class _Population:
    """Users (ordinary first, official accounts last), groups and planted roles."""

    n_normal: int
    n_users: int
    group_of: np.ndarray  # primary group of each ordinary user
    sizes: np.ndarray  # ordinary members per group (primary memberships)
    created: np.ndarray  # group created_at
    leader: np.ndarray  # effective leader per group
    owner: np.ndarray  # declared owner per group
    official: np.ndarray  # bool per group
    shape: np.ndarray  # per group: 0 star, 1 mixed, 2 mesh
    leader_share: np.ndarray  # per group: chance a member's in-group event targets the leader
    is_leader: np.ndarray  # bool per user
    is_super: np.ndarray
    is_shill: np.ndarray
    is_lurker: np.ndarray
    is_official: np.ndarray
    activity: np.ndarray  # relative number of events a user starts (0: never acts)
    city: np.ndarray  # index into _CITIES per user
    group_city: np.ndarray
    extra_groups: list[np.ndarray]  # per super user (in user order), groups beyond the primary


@dataclass
class _Edges:
    """Columns of one edge file, as integer indices and Unix seconds."""

    src: np.ndarray
    dst: np.ndarray
    time: np.ndarray
    code: np.ndarray  # kind, role or campaign index
    value: np.ndarray  # weight in tenths (0: empty); unused for memberships and referrals


def generate(
    out_dir: Path | str,
    *,
    users: int,
    seed: int = 0,
    fmt: str = "csv",
    on_progress: Callable[[str, int], None] | None = None,
) -> Truth:
    """Write users, groups, memberships, referrals and interactions plus truth.json into out_dir.

    Files are `<name>.csv` (header row) or `<name>.jsonl` when fmt="jsonl", UTF-8, with the
    columns of DESIGN.md §3; users.csv holds exactly `users` rows, official accounts included.
    on_progress(stage, rows_written_so_far) is called after each chunk a stage writes.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"fmt must be 'csv' or 'jsonl', not {fmt!r}")
    if users < 100:
        raise ValueError(f"users must be at least 100, not {users}")
    rng = np.random.default_rng(seed)
    pop = _population(users, rng)
    memberships = _memberships(pop, rng)
    referrals, level, joined = _referrals(pop, rng)
    _set_join_times(pop, memberships, referrals, joined, rng)
    interactions = _interactions(pop, memberships, referrals, joined, rng)
    names = _user_names(pop, rng)
    uid = _user_id_strings(pop)
    gid = [f"g{g:0{_id_width(len(pop.sizes), 5)}d}" for g in range(len(pop.sizes))]
    truth = _truth(pop, level, uid, gid)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = _Tables(uid=_table(uid), gid=_table(gid), names=names, joined=joined)
    _write_files(out, fmt, pop, tables, memberships, referrals, interactions, on_progress)
    (out / "truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth


# --- planning --------------------------------------------------------------------------------


def _group_sizes(n_normal: int, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed (lognormal) group sizes, at least _MIN_GROUP, summing to n_normal."""
    n_groups = max(1, round(n_normal / _USERS_PER_GROUP))
    spare = n_normal - _MIN_GROUP * n_groups
    w = rng.lognormal(0.0, 1.1, n_groups)
    sizes = _MIN_GROUP + np.floor(spare * w / w.sum()).astype(np.int64)
    short = n_normal - int(sizes.sum())
    sizes[rng.choice(n_groups, short, replace=False)] += 1
    return sizes


def _pick_per_segment(seg: np.ndarray, eligible: np.ndarray, k: np.ndarray, rng) -> np.ndarray:
    """Indices of up to k[s] random eligible items of each segment s (seg: segment per item)."""
    items = np.flatnonzero(eligible)
    order = items[np.lexsort((rng.random(len(items)), seg[items]))]
    first = np.searchsorted(seg[order], seg[order], "left")
    rank = np.arange(len(order)) - first
    return order[rank < k[seg[order]]]


def _population(users: int, rng: np.random.Generator) -> _Population:
    """Plan groups and roles: leaders, official accounts, super users, shills, lurkers."""
    n_groups_guess = max(1, round(users / _USERS_PER_GROUP))
    n_off_groups = (
        max(1, round(_OFFICIAL_GROUP_SHARE * n_groups_guess)) if n_groups_guess >= 5 else 0
    )
    n_off_accounts = -(-n_off_groups // _GROUPS_PER_OFFICIAL)
    n_normal = users - n_off_accounts
    sizes = _group_sizes(n_normal, rng)
    n_groups = len(sizes)
    n_off_groups = min(n_off_groups, n_groups)

    perm = rng.permutation(n_normal)
    group_of = np.empty(n_normal, np.int64)
    group_of[perm] = np.repeat(np.arange(n_groups), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    leader = perm[starts]  # a random member of each group

    official = np.zeros(n_groups, bool)
    official[rng.choice(n_groups, n_off_groups, replace=False)] = True
    owner = leader.copy()
    owner[official] = n_normal + np.arange(n_off_groups) % max(n_off_accounts, 1)

    shape = rng.choice(3, n_groups, p=[0.25, 0.45, 0.30])
    leader_share = np.select(
        [shape == 0, shape == 1],
        [rng.uniform(0.85, 0.97, n_groups), rng.uniform(0.55, 0.7, n_groups)],
        rng.uniform(0.4, 0.55, n_groups),
    )

    is_leader = np.zeros(users, bool)
    is_leader[leader] = True
    is_official = np.zeros(users, bool)
    is_official[n_normal:] = True

    n_super = max(1, round(_SUPER_SHARE * n_normal)) if n_groups >= 3 else 0
    free = np.flatnonzero(~is_leader[:n_normal])
    supers = np.sort(rng.choice(free, n_super, replace=False))
    is_super = np.zeros(users, bool)
    is_super[supers] = True
    extra_groups = []
    for u in supers:
        k = min(int(rng.integers(3, 9)), n_groups) - 1
        others = np.delete(np.arange(n_groups), group_of[u])
        extra_groups.append(np.sort(rng.choice(others, k, replace=False)))

    n_shill = round(_SHILL_SHARE * n_normal)
    free = np.flatnonzero(~is_leader[:n_normal] & ~is_super[:n_normal] & ~official[group_of])
    is_shill = np.zeros(users, bool)
    is_shill[rng.choice(free, min(n_shill, len(free)), replace=False)] = True

    ordinary = ~(is_leader | is_super | is_shill | is_official)
    is_lurker = ordinary & (rng.random(users) < _LURKER_SHARE)

    activity = rng.lognormal(0.0, 1.0, users)
    activity[is_leader] *= 4.0
    activity[is_super] *= 6.0
    activity[is_lurker | is_shill | is_official] = 0.0

    group_city = np.minimum(rng.zipf(1.6, n_groups) - 1, len(_CITIES) - 1)
    city = rng.integers(0, len(_CITIES), users)
    local = rng.random(n_normal) < 0.8
    city[:n_normal][local] = group_city[group_of[local]]

    return _Population(
        n_normal=n_normal,
        n_users=users,
        group_of=group_of,
        sizes=sizes,
        created=_START + rng.integers(0, 360 * _DAY, n_groups),
        leader=leader,
        owner=owner,
        official=official,
        shape=shape,
        leader_share=leader_share,
        is_leader=is_leader,
        is_super=is_super,
        is_shill=is_shill,
        is_lurker=is_lurker,
        is_official=is_official,
        activity=activity,
        city=city,
        group_city=group_city,
        extra_groups=extra_groups,
    )


def _memberships(pop: _Population, rng: np.random.Generator) -> _Edges:
    """Membership rows sorted by group: src user, dst group, code role; times set later."""
    supers = np.flatnonzero(pop.is_super)
    extra_user = np.repeat(supers, [len(g) for g in pop.extra_groups])
    extra_group = np.concatenate([*pop.extra_groups, np.empty(0, np.int64)])
    off_groups = np.flatnonzero(pop.official)
    user = np.concatenate((np.arange(pop.n_normal), extra_user, pop.owner[off_groups]))
    group = np.concatenate((pop.group_of, extra_group, off_groups))
    order = np.lexsort((user, group))
    user, group = user[order], group[order]

    role = np.full(len(user), _MEMBER, np.int8)
    role[user == pop.owner[group]] = _OWNER
    role[(user == pop.leader[group]) & pop.official[group]] = _ADMIN
    n_admins = np.minimum(3, pop.sizes // 60)
    primary = order < pop.n_normal  # the first n_normal rows, before sorting, are primary
    eligible = primary & (role == _MEMBER) & (pop.activity[user] > 0) & ~pop.is_shill[user]
    role[_pick_per_segment(group, eligible, n_admins, rng)] = _ADMIN
    unset = np.zeros(len(user), np.int64)
    return _Edges(src=user, dst=group, time=unset, code=role, value=unset.copy())


def _referrals(pop: _Population, rng: np.random.Generator) -> tuple[_Edges, np.ndarray, np.ndarray]:
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
            time[kids[ok]] = time[via] + 3600 + rng.exponential(5 * _DAY, ok.sum()).astype(np.int64)
            kids = kids[~ok]  # no recruiter one level up in the group: the leader invites
            level[kids] = 1
        parent[kids] = pop.leader[group[kids]]
        delay = 3600 + rng.exponential(10 * _DAY, len(kids)).astype(np.int64)
        time[kids] = pop.created[group[kids]] + delay

    campaign = rng.integers(0, len(_CAMPAIGNS), n_groups)[group]
    other = rng.random(len(nodes)) < 0.15
    campaign[other] = rng.integers(0, len(_CAMPAIGNS), other.sum())
    user_level = np.zeros(pop.n_users, np.int64)
    user_level[nodes] = level
    joined = np.zeros(pop.n_users, np.int64)
    joined[nodes] = time
    order = np.argsort(time, kind="stable")
    edges = _Edges(
        src=parent[order],
        dst=nodes[order],
        time=time[order],
        code=campaign[order],
        value=np.zeros(len(nodes), np.int64),
    )
    return edges, user_level, joined


def _set_join_times(
    pop: _Population, mem: _Edges, ref: _Edges, joined: np.ndarray, rng: np.random.Generator
) -> None:
    """Fill users' joined_at (in place) and membership joined_at.

    Invitees join when invited; other members organically after the group is created; leaders
    and official accounts were on the platform before. A primary membership starts at joined_at.
    """
    n = pop.n_normal
    invited = np.zeros(pop.n_users, bool)
    invited[ref.dst] = True
    organic = np.flatnonzero(~invited[:n])
    delay = rng.exponential(60 * _DAY, len(organic)).astype(np.int64)
    joined[organic] = np.minimum(pop.created[pop.group_of[organic]] + delay, _END - _DAY)
    group_join = joined.copy()
    group_join[pop.leader] = pop.created
    joined[pop.leader] = pop.created - rng.integers(0, 90 * _DAY, len(pop.leader))
    joined[n:] = _START - rng.integers(30 * _DAY, 300 * _DAY, pop.n_users - n)

    created = pop.created[mem.dst]
    mem.time = np.maximum(group_join[mem.src], created)
    primary = (pop.group_of[np.minimum(mem.src, n - 1)] == mem.dst) & (mem.src < n)
    secondary = ~primary & ~pop.is_official[mem.src]
    late = rng.exponential(30 * _DAY, secondary.sum()).astype(np.int64)
    mem.time[secondary] = np.minimum(mem.time[secondary] + late, _END - _DAY)
    mem.time[pop.is_official[mem.src]] = created[pop.is_official[mem.src]]


# --- interactions ----------------------------------------------------------------------------


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


def _interactions(
    pop: _Population, mem: _Edges, ref: _Edges, joined: np.ndarray, rng: np.random.Generator
) -> _Edges:
    """Draw ~_EVENTS_PER_USER events per user, sorted by time.

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

    # shills: 200-500 likes and replies each to the owner of their group, within a week
    shills = np.flatnonzero(pop.is_shill)
    counts = rng.integers(200, 501, len(shills))
    s_src = np.repeat(shills, counts)
    s_dst = pop.owner[pop.group_of[s_src]]
    burst = np.repeat(rng.integers(_START + 180 * _DAY, _END - 7 * _DAY, len(shills)), counts)
    s_time = np.maximum(burst, joined[s_src]) + rng.integers(0, 7 * _DAY, len(s_src))

    # members
    n_events = max(0, _EVENTS_PER_USER * n_users - len(b_src) - len(s_src))
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
    cross = rng.random(len(src)) < np.where(pop.is_super[src], 2 * _CROSS_GROUP, _CROSS_GROUP)
    to_inviter = (
        ~cross & ~from_leader & (inviter_group[src] == g) & (rng.random(len(src)) < _TO_INVITER)
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
    span = np.maximum(_END - lo, _DAY)
    time = lo + (rng.random(len(lo)) * span).astype(np.int64)
    time[len(time) - len(s_src) :] = s_time

    kind = _kinds(category, rng)
    value = np.where(
        kind == _PURCHASE, np.maximum(1, np.round(rng.lognormal(3.0, 0.6, len(kind)))), 0
    ).astype(np.int64)
    keep = src != dst
    order = np.flatnonzero(keep)[np.argsort(time[keep], kind="stable")]
    return _Edges(
        src=src[order], dst=dst[order], time=time[order], code=kind[order], value=value[order]
    )


def _truth(pop: _Population, level: np.ndarray, uid: list[str], gid: list[str]) -> Truth:
    """Planted answers, ids sorted."""

    def users(mask: np.ndarray) -> list[str]:
        return [uid[i] for i in np.flatnonzero(mask)]

    def groups(mask: np.ndarray) -> list[str]:
        return [gid[i] for i in np.flatnonzero(mask)]

    return Truth(
        leaders={gid[g]: uid[u] for g, u in enumerate(pop.leader)},
        official_groups=groups(pop.official),
        official_accounts=users(pop.is_official),
        super_users=users(pop.is_super),
        lurkers=users(pop.is_lurker),
        shills=users(pop.is_shill),
        distributors=users(level > 3),
        star_groups=groups(pop.shape == 0),
        mesh_groups=groups(pop.shape == 2),
    )


# --- writing ---------------------------------------------------------------------------------

_CHUNK = 1_000_000


def _id_width(n: int, minimum: int) -> int:
    return max(minimum, len(str(max(n - 1, 0))))


def _user_id_strings(pop: _Population) -> list[str]:
    w = _id_width(pop.n_normal, 7)
    ids = [f"u{i:0{w}d}" for i in range(pop.n_normal)]
    return ids + [f"official_{k:03d}" for k in range(pop.n_users - pop.n_normal)]


def _table(strings: list[str] | tuple[str, ...]) -> np.ndarray:
    """UTF-8 strings as a (len, width) uint8 matrix, zero padded (zero bytes are dropped)."""
    raw = [s.encode() for s in strings]
    width = max((len(b) for b in raw), default=1)
    return np.array(raw, dtype=f"S{width}").view(np.uint8).reshape(len(raw), width)


def _digits(values: np.ndarray, width: int, *, zero_pad: bool = False) -> np.ndarray:
    """Non-negative integers as (n, width) uint8 decimal digits; unpadded leading zeros dropped."""
    v = np.asarray(values, np.int64).copy()
    out = np.empty((len(v), width), np.uint8)
    for col in range(width - 1, -1, -1):
        out[:, col] = 48 + v % 10
        v //= 10
    if not zero_pad:
        lead = np.cumsum(out != 48, axis=1) == 0
        lead[:, -1] = False
        out[lead] = 0
    return out


def _iso(ts: np.ndarray) -> np.ndarray:
    """Unix seconds as (n, 20) uint8 'YYYY-MM-DDTHH:MM:SSZ' (civil date: H. Hinnant's method)."""
    days, sec = np.divmod(np.asarray(ts, np.int64), _DAY)
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    out = np.empty((len(days), 20), np.uint8)
    out[:, [4, 7]] = ord("-")
    out[:, [13, 16]] = ord(":")
    out[:, 10], out[:, 19] = ord("T"), ord("Z")
    for pos, val, width in (
        (0, year, 4), (5, month, 2), (8, day, 2), (11, sec // 3600, 2),
        (14, sec // 60 % 60, 2), (17, sec % 60, 2),
    ):  # fmt: skip
        out[:, pos : pos + width] = _digits(val, width, zero_pad=True)
    return out


def _tenths(values: np.ndarray) -> np.ndarray:
    """Positive tenths as 'I.F' (e.g. 25 -> '2.5'); 0 -> empty."""
    whole = _digits(values // 10, 5)
    frac = _digits(values % 10, 1)
    out = np.concatenate((whole, np.full((len(values), 1), ord("."), np.uint8), frac), axis=1)
    out[values <= 0] = 0
    return out


_Column = tuple[str, Callable[[slice], np.ndarray], bool]  # name, cells of rows, is a number


def _write_table(
    path: Path,
    columns: list[_Column],
    n_rows: int,
    fmt: str,
    stage: str,
    on_progress: Callable[[str, int], None] | None,
) -> None:
    """Write rows chunk by chunk: cells are byte matrices whose zero bytes are dropped.

    CSV has a header row; JSON Lines writes strings quoted and empty numbers as null.
    """
    with path.open("wb") as fh:
        if fmt == "csv":
            fh.write((",".join(name for name, _, _ in columns) + "\n").encode())
        for lo in range(0, n_rows, _CHUNK):
            rows = slice(lo, min(lo + _CHUNK, n_rows))
            n = rows.stop - rows.start
            parts = []
            for i, (name, cells, numeric) in enumerate(columns):
                mat = cells(rows)
                if fmt == "csv":
                    sep = b"," if i else b""
                    parts += [sep, mat]
                    continue
                lead = (b"{" if i == 0 else b",") + f'"{name}":'.encode()
                if numeric:
                    null = ~mat.any(axis=1)
                    mat = np.pad(mat, ((0, 0), (0, max(0, 4 - mat.shape[1]))))
                    mat[null, :4] = np.frombuffer(b"null", np.uint8)
                    parts += [lead, mat]
                else:
                    parts += [lead + b'"', mat, b'"']
            parts.append(b"\n" if fmt == "csv" else b"}\n")
            mats = [
                np.broadcast_to(np.frombuffer(p, np.uint8), (n, len(p)))
                if isinstance(p, bytes)
                else p
                for p in parts
                if len(p)
            ]
            block = np.concatenate(mats, axis=1)
            fh.write(block[block != 0].tobytes())
            if on_progress is not None:
                on_progress(stage, rows.stop)


def _user_names(pop: _Population, rng: np.random.Generator) -> np.ndarray:
    """Readable names: 王芳 / 李伟强, Lily88 / 小鱼, 用户123; official accounts 悦享官方服务号."""
    n = pop.n_users
    style = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    sur = _table(_SURNAMES)[rng.integers(0, len(_SURNAMES), n)]
    given = _table(_GIVEN)
    g1 = given[rng.integers(0, len(_GIVEN), n)]
    g2 = given[rng.integers(0, len(_GIVEN), n)]
    g2[rng.random(n) < 0.5] = 0
    nick = _table(_NICKS)[rng.integers(0, len(_NICKS), n)]
    nick_num = _digits(rng.integers(0, 1000, n), 3)
    nick_num[rng.random(n) < 0.5] = 0
    yonghu = np.broadcast_to(np.frombuffer("用户".encode(), np.uint8), (n, 6)).copy()
    serial = _digits(np.arange(n), len(str(n)))
    a = np.concatenate((sur, g1, g2), axis=1)
    b = np.concatenate((nick, nick_num), axis=1)
    c = np.concatenate((yonghu, serial), axis=1)
    width = max(a.shape[1], b.shape[1], c.shape[1])
    out = np.zeros((n, width), np.uint8)
    for k, mat in enumerate((a, b, c)):
        out[style == k, : mat.shape[1]] = mat[style == k]
    n_off = n - pop.n_normal
    official = _table(
        [f"{_BRANDS[k % len(_BRANDS)]}官方服务号{k // len(_BRANDS) or ''}" for k in range(n_off)]
    )
    out = np.concatenate((out, np.zeros((n, max(0, official.shape[1] - width)), np.uint8)), axis=1)
    out[pop.n_normal :] = 0
    out[pop.n_normal :, : official.shape[1]] = official
    return out


@dataclass
class _Tables:
    """Per-user and per-group cells shared by several files."""

    uid: np.ndarray
    gid: np.ndarray
    names: np.ndarray
    joined: np.ndarray


def _write_files(
    out: Path,
    fmt: str,
    pop: _Population,
    tables: _Tables,
    mem: _Edges,
    ref: _Edges,
    act: _Edges,
    on_progress: Callable[[str, int], None] | None,
) -> None:
    """Write the five input files."""
    uid, gid, names, joined = tables.uid, tables.gid, tables.names, tables.joined
    cities = _table(_CITIES)
    n_groups = len(pop.sizes)
    group_names = _table(
        [
            f"{_BRANDS[g % len(_BRANDS)]}官方{_TOPICS[g % len(_TOPICS)]}群"
            if pop.official[g]
            else f"{_CITIES[pop.group_city[g]]}{_TOPICS[g % len(_TOPICS)]}{g % 9 + 1}群"
            for g in range(n_groups)
        ]
    )

    def write(name: str, columns: list[_Column], n_rows: int) -> None:
        _write_table(out / f"{name}.{fmt}", columns, n_rows, fmt, name, on_progress)

    write(
        "users",
        [
            ("user_id", lambda s: uid[s], False),
            ("name", lambda s: names[s], False),
            ("joined_at", lambda s: _iso(joined[s]), False),
            ("city", lambda s: cities[pop.city[s]], False),
        ],
        pop.n_users,
    )
    write(
        "groups",
        [
            ("group_id", lambda s: gid[s], False),
            ("name", lambda s: group_names[s], False),
            ("owner_id", lambda s: uid[pop.owner[s]], False),
            ("created_at", lambda s: _iso(pop.created[s]), False),
        ],
        n_groups,
    )
    roles = _table(_ROLES)
    write(
        "memberships",
        [
            ("user_id", lambda s: uid[mem.src[s]], False),
            ("group_id", lambda s: gid[mem.dst[s]], False),
            ("joined_at", lambda s: _iso(mem.time[s]), False),
            ("role", lambda s: roles[mem.code[s]], False),
        ],
        len(mem.src),
    )
    campaigns = _table(_CAMPAIGNS)
    write(
        "referrals",
        [
            ("inviter_id", lambda s: uid[ref.src[s]], False),
            ("invitee_id", lambda s: uid[ref.dst[s]], False),
            ("referred_at", lambda s: _iso(ref.time[s]), False),
            ("campaign", lambda s: campaigns[ref.code[s]], False),
        ],
        len(ref.src),
    )
    kinds = _table(KINDS)
    write(
        "interactions",
        [
            ("src_id", lambda s: uid[act.src[s]], False),
            ("dst_id", lambda s: uid[act.dst[s]], False),
            ("kind", lambda s: kinds[act.code[s]], False),
            ("occurred_at", lambda s: _iso(act.time[s]), False),
            ("weight", lambda s: _tenths(act.value[s]), True),
        ],
        len(act.src),
    )
