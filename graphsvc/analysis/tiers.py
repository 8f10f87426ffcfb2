"""Tiers (hierarchy levels): core, kol, active, member, lurker.

Rules, checked in this order (the first that holds wins), every threshold in AnalysisParams:

1. ``lurker`` (潜水): the user's own engagement (attention weight of the interactions they
   sent + ``referral_weight`` × referrals they made) is at most ``lurker_max_engagement``
   (default 0: never acted), however much others mention them.
2. ``core`` — super user (超级用户): attended to across communities. Their *standing* (the
   attention they receive, in average members' worth of each community paying it; see
   ``attention_standing``) is at least ``core_min_standing`` (3), *and* they reach across
   communities: a connector or kinless hub, or attention received from at least
   ``core_min_communities`` (3) communities, or from co-members in at least
   ``core_min_groups`` (2) of the explicit groups they belong to — both effective numbers
   (inverse Simpson index of the attention weight per community or group), so a group owner
   with a few stray replies from elsewhere counts ~1. Every quantity is relative to the
   user's communities, none to the graph's size.
3. ``kol`` — effective leader of a community, sub-community or explicit group, or a
   provincial hub (Guimerà–Amaral R5).
4. ``active`` — engagement above the median engagement of the user's finest community
   (unassigned users are compared with the median of all unassigned users).
5. ``member`` — everyone else.

Hysteresis (with the previous run's tiers): the ``core`` and ``active`` rules compare a ratio to
their boundary (1 = on it). A user who held the tier keeps it down to 1 - ``tier_margin``; a
user whose previous tier came after it moves up only above 1 + ``tier_margin``; a user without
a previous tier (new, or the first run) is judged at 1. Lurking and leading are facts, not
scores near a boundary: they take effect at once (owners have their own hysteresis).

Lurker comes first because the README's "What the analysis computes" defines lurkers by what they
do, not by the attention they get; leaders are chosen among non-lurkers
(``leaders_exclude_lurkers``), so the rule rarely demotes one."""

from __future__ import annotations

__all__ = [
    "Tiers",
    "assign_tiers",
    "attention_standing",
    "community_reach",
    "effective_count",
    "engagement_scores",
    "group_median",
    "influence_order",
]

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.graphs import EdgeList, interaction_attention, sum_by_key
from graphsvc.model import AnalysisParams, GraphSnapshot, Role, Tier


def engagement_scores(snapshot: GraphSnapshot, params: AnalysisParams) -> np.ndarray:
    """What each user does: attention weight of interactions sent (self-loops excluded) plus
    ``referral_weight`` per referral made. O(n + m)."""
    n = snapshot.n_users
    w = interaction_attention(snapshot, params)
    src = np.asarray(snapshot.interaction_src, dtype=np.int64)
    dst = np.asarray(snapshot.interaction_dst, dtype=np.int64)
    keep = (src != dst) & (w > 0)
    out = np.bincount(src[keep], w[keep], n)
    inviter = np.asarray(snapshot.referral_inviter, dtype=np.int64)
    invitee = np.asarray(snapshot.referral_invitee, dtype=np.int64)
    made = np.bincount(inviter[inviter != invitee], minlength=n)
    return out + float(params.referral_weight) * made


def influence_order(influence: np.ndarray) -> np.ndarray:
    """Vertices by influence descending, ties by vertex index (user id order). O(n log n)."""
    return np.argsort(-np.asarray(influence, dtype=float), kind="stable")


def effective_count(owner: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Per owner, the effective number of sources its weights come from: (Σw)² / Σw², the
    inverse Simpson index (Simpson, Nature 163:688, 1949; Hill number of order 2, Hill,
    Ecology 54:427, 1973): k equal sources count k, one dominant source and a few stray ones
    count ~1. 0 where an owner has no weight. O(k)."""
    total = np.bincount(owner, weight, n)
    square = np.bincount(owner, weight * weight, n)
    return np.divide(total * total, square, out=np.zeros(n), where=square > 0)


def community_reach(attention: EdgeList, label: np.ndarray) -> np.ndarray:
    """Effective number of communities (label ≥ 0) whose members pay each user attention,
    weighted by attention, the user's own community included: a group owner whose attention
    comes from their own community scores ~1 however many stray replies arrive from
    elsewhere. O(m log m)."""
    n = attention.n
    c = np.asarray(label, dtype=np.int64)[attention.src]
    has = c >= 0
    k = int(c.max()) + 1 if has.any() else 1
    pairs, weight = sum_by_key(attention.dst[has] * np.int64(k) + c[has], attention.weight[has])
    return effective_count(pairs // k, weight, n)


def group_median(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``values`` within each group (NaN for empty groups), vectorized with one
    lexsort: O(n log n)."""
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    start = np.searchsorted(g, np.arange(n_groups))
    count = np.bincount(g, minlength=n_groups)
    out = np.full(n_groups, np.nan)
    has = count > 0
    lo = start[has] + (count[has] - 1) // 2
    hi = start[has] + count[has] // 2
    out[has] = (v[lo] + v[hi]) / 2.0
    return out


def attention_standing(attention: EdgeList, label: np.ndarray) -> np.ndarray:
    """Per user, the attention received in average members' worth: Σ_c a_cu / ā_c over the
    communities c (label ≥ 0) whose members pay the user attention, for a_cu the weight from
    c's members and ā_c the attention an average member of c receives from inside c. A
    typical member stands at ~1 in their own community; a super user attended to in several
    communities adds up to several; scale-free in the graph's size and in how active each
    community is. O(n + m)."""
    n = attention.n
    label = np.asarray(label, dtype=np.int64)
    c, d = label[attention.src], label[attention.dst]
    k = int(label.max()) + 1 if n and label.max() >= 0 else 0
    inside = (c >= 0) & (c == d)
    members = np.bincount(label[label >= 0], minlength=k)
    internal = np.bincount(c[inside], attention.weight[inside], k)
    average = np.divide(internal, members, out=np.zeros(k), where=members > 0)
    has = c >= 0
    scale = average[c[has]]
    worth = np.divide(attention.weight[has], scale, out=np.zeros(int(has.sum())), where=scale > 0)
    return np.bincount(attention.dst[has], worth, n)


@dataclass(frozen=True)
class Tiers:
    tier: np.ndarray  # str per user
    reason: np.ndarray  # str per user: why hysteresis held a tier or held one back, else ""


# The rules with a boundary ratio, in precedence order, and the tiers ranked as rules apply.
_ORDER = [Tier.LURKER.value, Tier.CORE.value, Tier.KOL.value, Tier.ACTIVE.value]
_RANK = {tier: i for i, tier in enumerate([*_ORDER, Tier.MEMBER.value])}


def _ratio(value: np.ndarray, bound: float) -> np.ndarray:
    """value / bound, infinite where the bound is 0 (any positive value clears it)."""
    if bound > 0:
        return np.asarray(value, dtype=float) / bound
    return np.where(np.asarray(value) > 0, np.inf, 0.0)


def assign_tiers(
    *,
    engagement: np.ndarray,
    standing: np.ndarray,
    role: np.ndarray,
    leaf: np.ndarray,
    is_leader: np.ndarray,
    communities_reached: np.ndarray,
    groups_reached: np.ndarray,
    params: AnalysisParams,
    previous: np.ndarray | None = None,
) -> Tiers:
    """Tier of every user by the rules in this module's docstring; ``previous`` (str per user,
    "" unknown) turns on the hysteresis. O(n log n)."""
    n = len(engagement)
    engagement = np.asarray(engagement, dtype=float)
    before = np.full(n, -1) if previous is None else _tier_rank(previous)
    margin = params.tier_margin
    lurker = engagement <= params.lurker_max_engagement

    bridging = np.isin(role, [Role.CONNECTOR_HUB.value, Role.KINLESS_HUB.value])
    reach = np.maximum(
        _ratio(communities_reached, params.core_min_communities),
        _ratio(groups_reached, params.core_min_groups),
    )
    reach[bridging] = np.inf
    core_ratio = np.minimum(_ratio(standing, params.core_min_standing), reach)

    kol = np.asarray(is_leader, dtype=bool) | (role == Role.PROVINCIAL_HUB.value)

    leaf = np.asarray(leaf, dtype=np.int64)
    n_leaf = int(leaf.max()) + 2 if n else 1
    pool = np.where(leaf >= 0, leaf, n_leaf - 1)  # unassigned users form one pool
    active_ratio = _above_median(engagement, pool, n_leaf)

    rule = _ORDER.index
    core, core_why = _banded(core_ratio, before, rule(Tier.CORE.value), margin, strict=False)
    active, active_why = _banded(active_ratio, before, rule(Tier.ACTIVE.value), margin, strict=True)
    tier = np.select(
        [lurker, core, kol, active],
        [Tier.LURKER.value, Tier.CORE.value, Tier.KOL.value, Tier.ACTIVE.value],
        Tier.MEMBER.value,
    ).astype(object)
    reason = np.full(n, "", dtype=object)
    now = _tier_rank(tier)
    for name, ratio, why in (
        (Tier.ACTIVE.value, active_ratio, active_why),
        (Tier.CORE.value, core_ratio, core_why),
    ):
        for u in np.flatnonzero(why & (now >= _RANK[name])).tolist():
            reason[u] = _reason(name, float(ratio[u]), margin, kept=tier[u] == name)
    return Tiers(tier, reason)


def _tier_rank(tiers: np.ndarray) -> np.ndarray:
    """Position of each tier among the rules (member last), -1 unknown or none."""
    tiers = np.asarray(tiers, dtype=object)
    rank = np.full(len(tiers), -1, dtype=np.int64)
    for name, position in _RANK.items():  # a few names: one comparison each, no sort
        rank[tiers == name] = position
    return rank


def _above_median(engagement: np.ndarray, pool: np.ndarray, n_pool: int) -> np.ndarray:
    """Engagement over the median of the user's pool (infinite over a median of 0)."""
    median = group_median(engagement, pool, n_pool)[pool]
    positive = np.where(engagement > 0, np.inf, 0.0)
    return np.divide(engagement, median, out=positive, where=median > 0)


def _banded(
    ratio: np.ndarray, before: np.ndarray, rule: int, margin: float, *, strict: bool
) -> tuple[np.ndarray, np.ndarray]:
    """A rule ``ratio > 1`` (``>= 1`` unless strict) with hysteresis: users whose previous
    tier was this rule's keep it down to 1 - margin; users whose previous tier came after it
    enter above 1 + margin. Returns the rule and where the band decided against 1."""
    bound = np.where(before == rule, 1.0 - margin, np.where(before > rule, 1.0 + margin, 1.0))
    holds = ratio > bound if strict else ratio >= bound
    plain = ratio > 1.0 if strict else ratio >= 1.0
    return holds, holds != plain


def _reason(tier: str, ratio: float, margin: float, *, kept: bool) -> str:
    """Why hysteresis decided: "kept core: at 93% of its boundary (kept down to 80%)"."""
    if kept:
        return f"kept {tier}: at {ratio:.0%} of its boundary (kept down to {1 - margin:.0%})"
    return f"not {tier} yet: at {ratio:.0%} of its boundary (moves up above {1 + margin:.0%})"
