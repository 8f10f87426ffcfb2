"""The analysis pipeline: one GraphSnapshot in, every per-user, per-community and per-group
result out. Pure and deterministic: the same snapshot and params give identical output."""

from __future__ import annotations

__all__ = ["STAGES", "AnalysisOutput", "owner_vertices", "previous_from_output", "run_pipeline"]

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from graphsvc.analysis.centrality import Betweenness, betweenness, coreness
from graphsvc.analysis.churn import run_churn
from graphsvc.analysis.communities import (
    Communities,
    choose_resolution,
    detect_communities,
)
from graphsvc.analysis.community_start import start_communities
from graphsvc.analysis.engine import IGRAPH, GraphEngine
from graphsvc.analysis.explain import main_attention_kind, rarity_columns
from graphsvc.analysis.graphs import find_sorted, symmetrized
from graphsvc.analysis.health import Health
from graphsvc.analysis.health_over_time import health_over_time, iso_day
from graphsvc.analysis.leaders import Leaders, declared_owners, keep_incumbents
from graphsvc.analysis.lineage import previous_labels, stable_ids
from graphsvc.analysis.shills import (
    attention_discount,
    audience_quality,
    fake_invites,
    shill_scores,
)
from graphsvc.analysis.tiers import (
    attention_standing,
    community_reach,
    effective_count,
    engagement_scores,
    influence_order,
)
from graphsvc.model import (
    USER_RESULT_COLUMNS,
    AnalysisParams,
    CommunityResult,
    GraphSnapshot,
    GroupResult,
    HealthSeries,
    PreviousRun,
    UserResults,
)

STAGES = (
    "shills",
    "graph",
    "influence",
    "betweenness",
    "communities",
    "leaders",
    "roles",
    "referral",
    "health",
    "lifecycle",
    "tiers",
    "explanations",
    "results",
)


@dataclass(frozen=True)
class AnalysisOutput:
    users: UserResults  # every USER_RESULT_COLUMNS column, aligned with snapshot.user_ids
    communities: list[CommunityResult]  # communities, then each one's sub-communities
    groups: list[GroupResult]  # in snapshot group order
    stats: dict[str, Any]  # JSON-ready numbers and names
    series: list[HealthSeries]  # daily series of groups and communities (health over time)


class _Stages:
    """Calls ``on_stage`` as each stage starts; records its wall and CPU seconds."""

    def __init__(self, on_stage: Callable[[str], None] | None) -> None:
        self.on_stage = on_stage
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.name: str | None = None
        self.clock = self.cpu = 0.0

    def start(self, name: str) -> None:
        self.stop()
        self.name, self.clock, self.cpu = name, time.perf_counter(), time.process_time()
        if self.on_stage is not None:
            self.on_stage(name)

    def stop(self) -> None:
        if self.name is not None:
            self.seconds[self.name] = round(time.perf_counter() - self.clock, 3)
            self.cpu_seconds[self.name] = round(time.process_time() - self.cpu, 3)
            self.name = None


def _opt_id(user_ids: np.ndarray, vertex: int) -> str | None:
    return str(user_ids[vertex]) if vertex >= 0 else None


def _community_results(
    user_ids: np.ndarray,
    ids: list[str],
    parents: list[str | None],
    lineage: list[str],
    lead: Leaders,
    health: Health,
    reasons: list[str],
) -> list[CommunityResult]:
    out = []
    for i, cid in enumerate(ids):
        out.append(
            CommunityResult(
                community_id=cid,
                size=int(health.size[i]),
                owner_id=_opt_id(user_ids, int(lead.leader[i])),
                owner_margin=float(lead.margin[i]),
                runner_up_id=_opt_id(user_ids, int(lead.runner_up[i])),
                density=float(health.density[i]),
                reciprocity=float(health.reciprocity[i]),
                owner_share=float(health.owner_share[i]),
                centralization=float(health.centralization[i]),
                shape=str(health.shape[i]),
                parent_id=parents[i],
                derived_from=lineage[i],
                owner_reason=reasons[i],
                health_score=float(health.score[i]),
            )
        )
    return out


def _ordered_communities(
    comms: Communities, tops: list[CommunityResult], subs: list[CommunityResult]
) -> list[CommunityResult]:
    """Each community followed by its sub-communities (the order of their ids)."""
    children: dict[int, list[CommunityResult]] = {}
    for j, parent in enumerate(comms.sub_parent.tolist()):
        children.setdefault(parent, []).append(subs[j])
    out = []
    for i, top in enumerate(tops):
        out.append(top)
        out.extend(children.get(i, []))
    return out


def owner_vertices(
    user_ids: np.ndarray, ids: list[str], owners: list[str | None]
) -> dict[str, int]:
    """Block id → owner vertex among ``user_ids`` (sorted), -1 for none or a user gone."""
    known = [o or "" for o in owners]
    at = find_sorted(np.asarray(user_ids, dtype=str), np.asarray(known, dtype=str))
    return dict(zip(ids, at.tolist(), strict=True))


def previous_from_output(run_id: str, output: AnalysisOutput) -> PreviousRun:
    """A run's output as the next run on the same users inherits it (in-memory runs: tests,
    benchmarks; stored runs are aligned by ``jobs.analyze.previous_run``)."""
    cols, users = output.users.columns, output.users.user_id
    return PreviousRun(
        run_id,
        cols["community_id"],
        cols["influence"],
        cols["betweenness"],
        dict(output.stats["community_counters"]),
        cols["in_strength"],
        cols["out_strength"],
        cols["community_score"],
        cols["subcommunity_score"],
        cols["tier"],
        owner_vertices(
            users,
            [c.community_id for c in output.communities],
            [c.owner_id for c in output.communities],
        ),
        owner_vertices(
            users,
            [g.group_id for g in output.groups],
            [g.effective_owner_id for g in output.groups],
        ),
    )


def _lifecycle_stats(
    over_time: tuple | None, groups: list[GroupResult], communities: list[CommunityResult]
) -> dict[str, Any]:
    """The as-of day and how many groups and communities are in each stage or alarm."""
    if over_time is None:
        return {"health_as_of": None}
    out: dict[str, Any] = {"health_as_of": iso_day(over_time[0])}
    for name, rows in (("group", groups), ("community", communities)):
        assessed = [r for r in rows if r.stage]
        out[f"{name}_stages"] = dict(sorted(Counter(r.stage for r in assessed).items()))
        alarms = Counter(a for r in assessed for a in r.alarms.split(",") if a)
        out[f"{name}_alarms"] = dict(sorted(alarms.items()))
    return out


def _per_user(lead: Leaders, n: int) -> np.ndarray:
    """The in-block PageRank of each user of a partition's blocks, NaN outside them."""
    out = np.full(n, np.nan)
    out[lead.member_user] = lead.member_score
    return out


def _warm_influence(influence: np.ndarray) -> np.ndarray:
    """PageRank's start: the previous scores, new users at the mean, normalized."""
    known = ~np.isnan(influence)
    fill = float(influence[known].mean()) if known.any() else 1.0
    start = np.where(known, influence, fill)
    return start / start.sum()


def _carried_betweenness(previous: PreviousRun) -> Betweenness:
    values = np.asarray(previous.betweenness, dtype=float)  # NaN for users new since then
    return Betweenness(values, f"carried over from {previous.run_id}", 0, np.nan, np.nan)


def _incumbents(owners: dict[str, int] | None, ids: list[str]) -> np.ndarray:
    """Previous owner vertex of each block id (-1 none)."""
    return np.array([(owners or {}).get(i, -1) for i in ids], dtype=np.int64)


def run_pipeline(
    snapshot: GraphSnapshot,
    params: AnalysisParams,
    *,
    previous: PreviousRun | None = None,
    cold: bool = False,
    refresh: bool = False,
    on_stage: Callable[[str], None] | None = None,
    engine: GraphEngine = IGRAPH,
) -> AnalysisOutput:
    """Every analysis of the README's "What the analysis computes" on one snapshot;
    ``on_stage(name)`` as each of ``STAGES`` starts. With ``previous`` (the current run, aligned
    with this snapshot) communities keep their ids by member overlap (see ``analysis.lineage``),
    owners and tiers change only past their hysteresis margins, the stats give the churn, and —
    unless ``cold`` — the run starts warm from it: Leiden from its communities with unchanged users
    screened (``params.warm_leiden_iterations`` passes; checked against a cold run on graphs up to
    ``warm_check_max_edges`` edges), PageRank and the leaders' PageRank from its scores (same fixed
    points). ``refresh`` (warm only), the quick update, also carries betweenness over (new users:
    NaN) instead of sampling it again and skips the cold check. Cold runs on small graphs take a
    consensus of seeded runs. Cost is dominated by Leiden (O(m) per pass), PageRank (O(m) per
    iteration) and sampled betweenness (O(m) per source); everything else is O(m log m) numpy.
    ``engine`` runs the graph-scale stages (``analysis.engine``); an engine that finds the
    community modules itself (Spark) starts them cold, whatever ``previous`` is."""
    if refresh and (cold or previous is None):
        raise ValueError("refresh starts warm from a previous run: it needs one and not cold")
    stages = _Stages(on_stage)
    warm = None if cold else previous
    n = snapshot.n_users
    user_ids = np.asarray(snapshot.user_ids)
    pr = {
        "damping": params.damping,
        "tol": params.pagerank_tol,
        "max_iter": params.pagerank_max_iter,
    }

    stages.start("shills")
    shills = shill_scores(snapshot, params)
    fake = fake_invites(snapshot, snapshot.referral_at, params)
    discount = attention_discount(shills, fake, params)

    stages.start("graph")
    attention = engine.attention(snapshot, params, discount)
    undirected = symmetrized(attention)
    # for betweenness and cold Leiden on the whole graph (a warm start screens and collapses
    # it first): a refresh, which carries betweenness over and trusts its warm start, needs none
    checked = warm is not None and not refresh and undirected.m <= params.warm_check_max_edges
    graph = undirected.to_igraph() if not refresh or params.auto_resolution else None
    engagement = engagement_scores(snapshot, params)

    stages.start("influence")
    pr_start = None if warm is None else _warm_influence(warm.influence)
    influence = engine.pagerank(attention, **pr, start=pr_start)
    in_strength, out_strength = attention.in_strength(), attention.out_strength()
    cores = coreness(undirected)

    stages.start("betweenness")
    if not refresh:
        between = betweenness(
            graph,
            exact_max_vertices=params.exact_betweenness_max_vertices,
            epsilon=params.betweenness_epsilon,
            delta=params.betweenness_delta,
            budget=params.betweenness_budget,
            seed=params.seed,
        )
    else:
        between = _carried_betweenness(previous)

    stages.start("communities")
    labels_before = None if previous is None else previous_labels(previous.leaf)
    resolution, agreement = params.resolution, None
    if params.auto_resolution and len(snapshot.membership_user):
        resolution, agreement = choose_resolution(
            graph,
            snapshot.membership_user,
            snapshot.membership_group,
            seed=params.seed,
            iterations=params.leiden_iterations,
        )
    detect = partial(
        detect_communities,
        graph,
        undirected,
        resolution=resolution,
        seed=params.seed,
        min_size=params.min_community_size,
        max_size=params.dunbar,
        split_large=params.split_large,
        split_iterations=params.leiden_split_iterations,
    )
    module = engine.modules(
        undirected, resolution=resolution, seed=params.seed, iterations=params.leiden_iterations
    )
    if module is not None:
        comms, start = detect(module=module), {"community_start": engine.name, "warm_from": None}
    else:
        comms, start = start_communities(
            detect,
            graph if checked or warm is None else None,
            params,
            resolution,
            warm,
            labels_before,
            (in_strength, out_strength),
        )
    del graph, detect
    ids = stable_ids(
        comms.top,
        comms.n_top,
        comms.sub,
        comms.sub_parent,
        labels_before,
        None if previous is None else previous.counters,
        min_share=params.community_match_share,
        link_share=params.lineage_min_share,
    )
    comms = replace(comms, top_ids=ids.top_ids, sub_ids=ids.sub_ids)

    stages.start("leaders")
    eligible = engagement > params.lurker_max_engagement
    eligible = eligible if params.leaders_exclude_lurkers else None

    def partition_leaders(labels: np.ndarray, n_blocks: int, start: np.ndarray | None) -> Leaders:
        members = np.flatnonzero(labels >= 0)
        return engine.leaders(
            attention, members, labels[members], n_blocks, eligible=eligible, start=start, **pr
        )

    top_lead = partition_leaders(
        comms.top, comms.n_top, None if warm is None else warm.community_score
    )
    sub_lead = partition_leaders(
        comms.sub, comms.n_sub, None if warm is None else warm.subcommunity_score
    )
    n_groups = len(snapshot.group_ids)
    group_lead = engine.leaders(
        attention,
        snapshot.membership_user,
        snapshot.membership_group,
        n_groups,
        eligible=eligible,
        **pr,
    )
    declared = declared_owners(snapshot)
    reasons = {}
    if previous is not None:
        margin, keep = params.owner_takeover_margin, partial(keep_incumbents, eligible=eligible)
        top_lead, reasons["top"] = keep(
            top_lead, _incumbents(previous.owners, comms.top_ids), margin, user_ids
        )
        sub_lead, reasons["sub"] = keep(
            sub_lead, _incumbents(previous.owners, comms.sub_ids), margin, user_ids
        )
        group_ids = np.asarray(snapshot.group_ids).astype(str).tolist()
        group_lead, reasons["group"] = keep(
            group_lead, _incumbents(previous.group_owners, group_ids), margin, user_ids
        )

    stages.start("roles")
    roles = engine.roles(undirected, comms.module, params)

    stages.start("referral")
    referral = engine.referral(
        snapshot.referral_inviter,
        snapshot.referral_invitee,
        n,
        deep_chain_levels=params.deep_chain_levels,
    )

    stages.start("health")
    shape = {
        "star_centralization": params.star_centralization,
        "star_owner_share": params.star_owner_share,
    }
    top_health = engine.health(
        attention, undirected, comms.top, comms.n_top, top_lead.leader, **shape
    )
    sub_health = engine.health(
        attention, undirected, comms.sub, comms.n_sub, sub_lead.leader, **shape
    )

    stages.start("lifecycle")
    over_time = health_over_time(
        snapshot, group_lead.leader, comms.top, comms.n_top, top_lead.leader, params
    )

    stages.start("tiers")
    is_leader = np.zeros(n, dtype=bool)
    for lead in (top_lead, sub_lead, group_lead):
        is_leader[lead.leader[lead.leader >= 0]] = True
    groups_reached = effective_count(group_lead.member_user, group_lead.member_in_weight, n)
    communities_reached = community_reach(attention, comms.top)
    standing = attention_standing(attention, comms.top)
    tiers = engine.tiers(
        engagement=engagement,
        standing=standing,
        role=roles.role,
        leaf=comms.leaf,
        is_leader=is_leader,
        communities_reached=communities_reached,
        groups_reached=groups_reached,
        params=params,
        previous=None if previous is None else previous.tier,
    )
    tier = tiers.tier

    stages.start("explanations")
    signals = {
        "distinct_engagers": np.bincount(attention.dst, minlength=n),
        "in_strength": in_strength,
        "downline": referral.downline,
        "communities_reached": communities_reached,
        "groups_reached": groups_reached,
    }
    main_kind, main_share = main_attention_kind(snapshot, params)
    audience = audience_quality(snapshot, shills, params)
    fake_by_inviter = np.bincount(snapshot.referral_inviter[fake], minlength=n)

    stages.start("results")
    rank = np.empty(n, dtype=np.int64)
    rank[influence_order(influence)] = np.arange(1, n + 1)
    labels = np.array([*comms.ids, ""], dtype=object)
    leaf = comms.leaf
    columns: dict[str, np.ndarray] = {
        "community_id": labels[np.where(leaf >= 0, leaf, len(comms.ids))],
        "tier": tier,
        "role": roles.role,
        "influence": influence,
        "influence_rank": rank,
        "in_strength": in_strength,
        "out_strength": out_strength,
        "coreness": cores,
        "betweenness": between.values,
        "participation": roles.participation,
        "within_z": roles.within_z,
        "community_score": _per_user(top_lead, n),
        "subcommunity_score": _per_user(sub_lead, n),
        "standing": standing,
        "tier_reason": tiers.reason,
        "referral_level": referral.level,
        "direct_referrals": referral.direct_referrals,
        "downline": referral.downline,
        "deep_chain": referral.deep_chain,
        **signals,
        "main_attention_kind": main_kind,
        "main_attention_share": main_share,
        **rarity_columns(signals),
        "shill_score": shills.score,
        "shill_signals": shills.signals(),
        "fake_invites": fake_by_inviter,
        "genuine_referrals": np.maximum(referral.direct_referrals - fake_by_inviter, 0),
        "audience_quality": audience.quality,
        "real_audience_share": audience.real_share,
        "suspicious_audience_share": audience.suspicious_share,
        "engagement_rate_percentile": audience.rate_percentile,
    }
    dtypes = {"str": object, "int": np.int64, "float": np.float64}
    columns = {k: np.asarray(columns[k], dtype=dtypes[t]) for k, t in USER_RESULT_COLUMNS.items()}
    users = UserResults(user_ids, columns)

    tops = _community_results(
        user_ids,
        comms.top_ids,
        [None] * comms.n_top,
        ids.top_derived_from,
        top_lead,
        top_health,
        reasons.get("top", [""] * comms.n_top),
    )
    parents = [comms.top_ids[p] for p in comms.sub_parent.tolist()]
    subs = _community_results(
        user_ids,
        comms.sub_ids,
        parents,
        ids.sub_derived_from,
        sub_lead,
        sub_health,
        reasons.get("sub", [""] * comms.n_sub),
    )
    series = []
    if over_time is not None:
        _, group_lifecycle, community_lifecycle = over_time
        tops = [
            replace(c, **community_lifecycle.lifecycle(i, user_ids)) for i, c in enumerate(tops)
        ]
        series = community_lifecycle.kept(comms.top_ids, params.health_series_days)
    communities = _ordered_communities(comms, tops, subs)

    groups = []
    for j, gid in enumerate(np.asarray(snapshot.group_ids).tolist()):
        eff, dec = int(group_lead.leader[j]), int(declared[j])
        groups.append(
            GroupResult(
                group_id=str(gid),
                size=int(group_lead.size[j]),
                declared_owner_id=_opt_id(user_ids, dec),
                effective_owner_id=_opt_id(user_ids, eff),
                owner_margin=float(group_lead.margin[j]),
                owner_mismatch=bool(dec >= 0 and eff >= 0 and dec != eff),
                owner_reason=reasons["group"][j] if reasons else "",
                **({} if over_time is None else group_lifecycle.lifecycle(j, user_ids)),
            )
        )
    if over_time is not None:
        series += group_lifecycle.kept([g.group_id for g in groups], params.health_series_days)
    stages.stop()

    stats: dict[str, Any] = {
        "n_users": n,
        "n_edges": attention.m,
        "n_undirected_edges": undirected.m,
        "n_interaction_rows": len(snapshot.interaction_src),
        "n_referrals": len(snapshot.referral_invitee),
        "n_groups": n_groups,
        "resolution": resolution,
        "resolution_agreement": agreement and {str(r): round(v, 4) for r, v in agreement.items()},
        "modularity": round(comms.modularity, 6),
        "leiden_quality": comms.quality,
        "n_communities": comms.n_top,
        "n_subcommunities": comms.n_sub,
        "n_unassigned": int((comms.top < 0).sum()),
        "star_communities": int((top_health.shape == "star").sum()),
        "betweenness_method": between.method,
        "betweenness_sources": between.sources,
        "betweenness_epsilon": round(between.epsilon, 6),
        "betweenness_delta": between.delta,
        "referral_cycles_broken": referral.cycles_broken,
        "referral_max_depth": int(referral.tree_depth.max()) if n else -1,
        "deep_chain_users": int(referral.deep_chain.sum()),
        "group_owner_mismatches": sum(g.owner_mismatch for g in groups),
        "suspected_shills": int((shills.score >= params.shill_threshold).sum()),
        "fake_invites": int(fake.sum()),
        "tiers": dict(sorted(Counter(tier.tolist()).items())),
        "roles": dict(sorted(Counter(r for r in roles.role.tolist() if r).items())),
        "previous_run": None if previous is None else previous.run_id,
        **start,
        "churn": None
        if previous is None or previous.tier is None
        else run_churn(
            previous,
            columns["community_id"],
            tier,
            dict(
                zip(
                    comms.ids,
                    np.concatenate([top_lead.leader, sub_lead.leader]).tolist(),
                    strict=True,
                )
            ),
        ),
        "community_counters": ids.counters,
        **engine.stats(),
        **_lifecycle_stats(over_time, groups, communities),
        "stage_seconds": dict(stages.seconds),
        "stage_cpu_seconds": dict(stages.cpu_seconds),
    }
    return AnalysisOutput(users, communities, groups, stats, series)
