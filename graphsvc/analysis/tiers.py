"""Tiers (hierarchy levels): core, kol, active, member, lurker.

Rules, checked in this order (the first that holds wins), every threshold in AnalysisParams:

1. ``lurker`` (潜水): the user's own engagement (attention weight of the interactions they
   sent + ``referral_weight`` × referrals they made) is at most ``lurker_max_engagement``
   (default 0: never acted), however much others mention them.
2. ``core`` — super user (超级用户): among the top ``core_top_fraction`` (default 3%, at least
   one user) by influence, *and* reaching across communities: a connector or kinless hub, or
   attention received from at least ``core_min_communities`` (3) communities, or from
   co-members in at least ``core_min_groups`` (2) of the explicit groups they belong to —
   both counted as effective numbers (inverse Simpson index of the attention weight per
   community or group), so a group owner with a few stray replies from elsewhere counts ~1.
3. ``kol`` — effective leader of a community, sub-community or explicit group, or a
   provincial hub (Guimerà–Amaral R5).
4. ``active`` — engagement above the median engagement of the user's finest community
   (unassigned users are compared with the median of all unassigned users).
5. ``member`` — everyone else.

Lurker comes first because DESIGN §4 defines lurkers by what they do, not by the
attention they get; leaders are chosen among non-lurkers (``leaders_exclude_lurkers``), so the
rule rarely demotes one.
"""

from __future__ import annotations

__all__ = [
    "assign_tiers",
    "community_reach",
    "effective_count",
    "engagement_scores",
    "group_median",
    "influence_order",
]

import math

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


def assign_tiers(
    *,
    engagement: np.ndarray,
    influence: np.ndarray,
    role: np.ndarray,
    leaf: np.ndarray,
    is_leader: np.ndarray,
    communities_reached: np.ndarray,
    groups_reached: np.ndarray,
    params: AnalysisParams,
) -> np.ndarray:
    """Tier of every user by the rules in this module's docstring. O(n log n)."""
    n = len(engagement)
    engagement = np.asarray(engagement, dtype=float)
    lurker = engagement <= params.lurker_max_engagement

    top_k = min(n, max(1, math.ceil(params.core_top_fraction * n))) if n else 0
    top = np.zeros(n, dtype=bool)
    top[influence_order(influence)[:top_k]] = params.core_top_fraction > 0
    bridging = np.isin(role, [Role.CONNECTOR_HUB.value, Role.KINLESS_HUB.value])
    reach = (
        bridging
        | (communities_reached >= params.core_min_communities)
        | (groups_reached >= params.core_min_groups)
    )
    core = top & reach

    kol = np.asarray(is_leader, dtype=bool) | (role == Role.PROVINCIAL_HUB.value)

    leaf = np.asarray(leaf, dtype=np.int64)
    n_leaf = int(leaf.max()) + 2 if n else 1
    pool = np.where(leaf >= 0, leaf, n_leaf - 1)  # unassigned users form one pool
    active = engagement > group_median(engagement, pool, n_leaf)[pool]

    tier = np.select(
        [lurker, core, kol, active],
        [Tier.LURKER.value, Tier.CORE.value, Tier.KOL.value, Tier.ACTIVE.value],
        Tier.MEMBER.value,
    )
    return tier.astype(object)
