"""What an analysis run produces and the stores keep: per-user columns, communities, groups,
the run's record, seed sets, and the codec of a community's lineage."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

USER_RESULT_COLUMNS: MappingProxyType[str, str] = MappingProxyType(
    {
        # name: type ("str", "int", "float"); -1 / NaN / "" mean "not computed" or "none"
        "community_id": "str",
        "tier": "str",
        "role": "str",
        "influence": "float",
        "influence_rank": "int",
        "in_strength": "float",
        "out_strength": "float",
        "coreness": "int",
        "betweenness": "float",
        "participation": "float",
        "within_z": "float",
        # PageRank inside the user's community / sub-community (sums to 1 over its members)
        "community_score": "float",
        "subcommunity_score": "float",
        "referral_level": "int",
        "direct_referrals": "int",
        "downline": "int",
        "deep_chain": "int",
        # attention received in average members' worth, summed over communities (core rule)
        "standing": "float",
        # why the tier held or did not change yet at a boundary (hysteresis), "" otherwise
        "tier_reason": "str",
        # explanations (see analysis.explain): signals, their rarity (top x% of users)
        "distinct_engagers": "int",
        "communities_reached": "float",
        "groups_reached": "float",
        "main_attention_kind": "str",
        "main_attention_share": "float",
        "engagers_top_pct": "float",
        "attention_top_pct": "float",
        "downline_top_pct": "float",
        "reach_top_pct": "float",
        "groups_top_pct": "float",
        # shills and audience quality (analysis.shills): the score, its signals in words
        "shill_score": "float",
        "shill_signals": "str",
        "fake_invites": "int",  # direct invitees flagged as fake invites
        "genuine_referrals": "int",  # direct referrals without them
        "audience_quality": "float",
        "real_audience_share": "float",
        "suspicious_audience_share": "float",
        "engagement_rate_percentile": "float",  # among users with an audience of similar size
    }
)


@dataclass(frozen=True)
class UserResults:
    """Per-user results as columns aligned with ``user_id`` (see USER_RESULT_COLUMNS)."""

    user_id: np.ndarray  # str
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.user_id)

    def rows(self) -> list[dict[str, Any]]:
        """Plain dicts, one per user (for small results and tests)."""
        cols = {name: self.columns[name].tolist() for name in USER_RESULT_COLUMNS}
        return [
            {"user_id": uid, **{name: cols[name][i] for name in cols}}
            for i, uid in enumerate(self.user_id.tolist())
        ]


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    """A group's or community's health over time on the run's as-of day (analysis.lifecycle):
    figures of the 7 days ending it, lifecycle stage, alarms and, when the leader went quiet,
    who is rising. Empty / -1 / None: not assessed (runs written before, sub-communities)."""

    stage: str = ""  # emerging | growing | interacting | declining
    stage_reason: str = ""
    alarms: str = ""  # comma-separated: low_interaction, silent_majority, early_quits, ...
    alarm_reasons: str = ""
    members: int = -1  # members on the as-of day
    joins_7d: int = -1
    quits_7d: int = -1
    active_share_7d: float | None = None  # members who interacted in the 7 days
    silent_share_7d: float | None = None
    interaction_rate_7d: float | None = None  # mean daily share of members interacting
    leader_share_7d: float | None = None  # share of interacting pairs involving the leader
    referrals_7d: int = -1
    leader_quiet_days: int = -1  # days since the leader last interacted (-1: no leader)
    successors: str = ""  # comma-separated user ids rising while the leader is quiet


LIFECYCLE_FIELDS = tuple(Lifecycle.__dataclass_fields__)


@dataclass(frozen=True)
class CommunityResult(Lifecycle):
    community_id: str
    size: int
    owner_id: str | None
    # (leader - runner-up) / leader influence inside the community; negative when the owner
    # stays by hysteresis behind a challenger (see owner_reason)
    owner_margin: float
    runner_up_id: str | None
    density: float
    reciprocity: float
    owner_share: float  # share of the community's internal interaction weight involving the owner
    centralization: float  # Freeman degree centralization
    shape: str  # "mesh" | "star"
    parent_id: str | None = None  # set on sub-communities of a community over Dunbar's number
    # Lineage: previous-run communities this one took members from, with the share of this
    # community's members each supplied, encoded "c-0001=0.62;c-0007=0.3" (see analysis.lineage)
    derived_from: str = ""
    # Why the owner changed or stayed (hysteresis), e.g. "owner changed: u12 overtook u7 by 31%"
    owner_reason: str = ""
    # analysis.health.health_score: reciprocity × (1 − centralization); None in runs written
    # before it was stored
    health_score: float | None = None


@dataclass(frozen=True)
class GroupResult(Lifecycle):
    group_id: str
    size: int
    declared_owner_id: str | None
    effective_owner_id: str | None
    owner_margin: float  # negative when the owner stays by hysteresis behind a challenger
    owner_mismatch: bool
    owner_reason: str = ""  # as CommunityResult.owner_reason


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    started_at: float  # Unix seconds
    finished_at: float | None
    params: dict[str, Any]
    stats: dict[str, Any]
    fingerprint: str = ""


@dataclass(frozen=True)
class PreviousRun:
    """What a run inherits from the current one, aligned with the new snapshot's vertices:
    community ids to keep (and their counters), the start vectors of a warm start, and the
    labels that hysteresis holds (tiers, owners)."""

    run_id: str
    leaf: np.ndarray  # str per vertex: its finest community id in that run, "" none or new
    influence: np.ndarray  # float per vertex, NaN for users new since that run
    betweenness: np.ndarray  # float per vertex, NaN for users new since that run
    counters: dict[str, int]  # next community number ("") and sub-community number per parent
    # per vertex, NaN for new users: a warm start moves users whose attention is unchanged
    # together with their previous community (None: every user moves alone)
    in_strength: np.ndarray | None = None
    out_strength: np.ndarray | None = None
    # per vertex, NaN none: start vectors of the leaders' PageRank inside communities
    community_score: np.ndarray | None = None
    subcommunity_score: np.ndarray | None = None
    tier: np.ndarray | None = None  # str per vertex, "" for users new since that run
    owners: dict[str, int] | None = None  # community id -> owner vertex (-1: gone)
    group_owners: dict[str, int] | None = None  # group id -> effective owner vertex


@dataclass(frozen=True)
class RunResult:
    """One complete analysis run, written to a store in one atomic step."""

    info: RunInfo
    users: UserResults
    communities: list[CommunityResult]
    groups: list[GroupResult]
    series: list[HealthSeries] = field(default_factory=list)


@dataclass(frozen=True)
class HealthSeries:
    """Daily series of one group or community (``unit``: "group" | "community") over the days
    up to a run's as-of day, kept with the run: ``start`` is the first day (YYYY-MM-DD),
    ``values`` maps each of analysis.lifecycle.Series.NAMES to one integer per day."""

    unit: str
    unit_id: str
    start: str
    values: dict[str, list[int]]


@dataclass(frozen=True)
class SeedSet:
    """A campaign's chosen seeds, stored with the analysis run whose graph they came from
    (and removed with it). ``rows``: one per person in choice order, with rank, user_id,
    marginal_spread, expected_spread, spread_low, spread_high and the method's score."""

    seeds_id: str
    run_id: str
    created_at: float  # Unix seconds
    params: dict[str, Any]
    stats: dict[str, Any]
    rows: list[dict[str, Any]]


def pack_series(values: dict[str, list[int]]) -> str:
    """Daily series as one compact text, each run of equal days as ``value*days``:
    ``{"joins": [0, 0, 0, 2, 0]}`` → ``joins=0*3,2,0`` (one series a line; how stores keep
    ``HealthSeries.values``, readable in Cypher too)."""
    lines = []
    for name, days in values.items():
        runs: list[str] = []
        at = 0
        while at < len(days):
            end = at
            while end < len(days) and days[end] == days[at]:
                end += 1
            runs.append(f"{days[at]}*{end - at}" if end - at > 1 else str(days[at]))
            at = end
        lines.append(f"{name}={','.join(runs)}")
    return "\n".join(lines)


def unpack_series(text: str) -> dict[str, list[int]]:
    """The series ``pack_series`` wrote."""
    values = {}
    for line in filter(None, text.split("\n")):
        name, runs = line.split("=", 1)
        days: list[int] = []
        for run in filter(None, runs.split(",")):
            value, _, count = run.partition("*")
            days += [int(value)] * int(count or 1)
        values[name] = days
    return values


def parse_lineage(text: str) -> list[tuple[str, float]]:
    """``"c-0001=0.62;c-0007=0.3"`` → [("c-0001", 0.62), ("c-0007", 0.3)] (how stores keep
    ``derived_from``: one readable string, also in Cypher)."""
    pairs = (part.rsplit("=", 1) for part in text.split(";") if part)
    return [(cid, float(share)) for cid, share in pairs]


def format_lineage(links: list[tuple[str, float]]) -> str:
    """[("c-0001", 0.62), ("c-0007", 0.3)] → ``"c-0001=0.62;c-0007=0.3"`` (see parse_lineage)."""
    return ";".join(f"{cid}={share:.3g}" for cid, share in links)
