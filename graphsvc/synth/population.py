"""The planted population: users, groups, their roles, and memberships."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

KINDS = ("message", "reply", "mention", "like", "share", "red_packet", "purchase")


PURCHASE = KINDS.index("purchase")


ROLES = ("owner", "admin", "member")


OWNER, _ADMIN, _MEMBER = range(len(ROLES))


DAY = 86_400


START = 1_704_067_200  # 2024-01-01T00:00:00Z


END = 1_751_328_000  # 2025-07-01T00:00:00Z


EVENTS_PER_USER = 10


_USERS_PER_GROUP = 80


_MIN_GROUP = 8


_OFFICIAL_GROUP_SHARE = 0.07


_GROUPS_PER_OFFICIAL = 4


_SUPER_SHARE = 0.003


_SHILL_SHARE = 0.001


_LURKER_SHARE = 0.36  # of the ordinary users, ~35% of all users


CROSS_GROUP = 0.08  # share of an ordinary member's events aimed outside their group


TO_INVITER = 0.12  # share of an invitee's in-group events aimed at the inviter


CITIES = (
    "上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "南京", "重庆", "西安", "苏州", "长沙",
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
    # planted fraud (generate's shill_groups, fake_invite_bursts): the members shills boost,
    # and the inviters and invitees of fake-invite bursts
    boosted: list[str] = field(default_factory=list)
    fake_inviters: list[str] = field(default_factory=list)
    fake_invitees: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """Compact JSON with one key per field."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, path: Path | str) -> Truth:
        """Read a truth.json written by `generate`."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass
class Population:
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
    city: np.ndarray  # index into CITIES per user
    group_city: np.ndarray
    extra_groups: list[np.ndarray]  # per super user (in user order), groups beyond the primary
    boosted: np.ndarray | None = None  # per group: the member its shills boost (-1: the owner)


@dataclass
class Edges:
    """Columns of one edge file, as integer indices and Unix seconds."""

    src: np.ndarray
    dst: np.ndarray
    time: np.ndarray
    code: np.ndarray  # kind, role or campaign index
    value: np.ndarray  # weight in tenths (0: empty); unused for memberships and referrals


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


def plan_population(users: int, rng: np.random.Generator) -> Population:
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

    group_city = np.minimum(rng.zipf(1.6, n_groups) - 1, len(CITIES) - 1)
    city = rng.integers(0, len(CITIES), users)
    local = rng.random(n_normal) < 0.8
    city[:n_normal][local] = group_city[group_of[local]]

    return Population(
        n_normal=n_normal,
        n_users=users,
        group_of=group_of,
        sizes=sizes,
        created=START + rng.integers(0, 360 * DAY, n_groups),
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


def plan_memberships(pop: Population, rng: np.random.Generator) -> Edges:
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
    role[user == pop.owner[group]] = OWNER
    role[(user == pop.leader[group]) & pop.official[group]] = _ADMIN
    n_admins = np.minimum(3, pop.sizes // 60)
    primary = order < pop.n_normal  # the first n_normal rows, before sorting, are primary
    eligible = primary & (role == _MEMBER) & (pop.activity[user] > 0) & ~pop.is_shill[user]
    role[_pick_per_segment(group, eligible, n_admins, rng)] = _ADMIN
    unset = np.zeros(len(user), np.int64)
    return Edges(src=user, dst=group, time=unset, code=role, value=unset.copy())


def planted_truth(
    pop: Population,
    level: np.ndarray,
    uid: list[str],
    gid: list[str],
    fake: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64), np.empty(0, np.int64)),
) -> Truth:
    """Planted answers, ids sorted; ``fake``: the fake inviters and invitees."""

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
        boosted=sorted(
            uid[u] for u in ([] if pop.boosted is None else pop.boosted[pop.boosted >= 0].tolist())
        ),
        fake_inviters=[uid[u] for u in fake[0].tolist()],
        fake_invitees=[uid[u] for u in fake[1].tolist()],
    )
