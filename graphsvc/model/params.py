"""The analysis parameters: every knob of a run, with their bounds and the names they had."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from graphsvc.model.records import Tier

# Renamed since runs were first stored: the lurkers' tier was "peripheral", a word that also
# names a Guimerà–Amaral role; its threshold setting was renamed with it. Warm starts became
# the default, and the refresh's Leiden passes with them every warm start's.
RENAMED_TIERS = {"peripheral": Tier.LURKER.value}
RENAMED_PARAMS = {
    "peripheral_max_engagement": "lurker_max_engagement",
    "refresh_leiden_iterations": "warm_leiden_iterations",
}
# Settings gone, with what took their place: core was the top share by influence.
REPLACED_PARAMS = {"core_top_fraction": "core_min_standing"}


DEFAULT_KIND_WEIGHTS: MappingProxyType[str, float] = MappingProxyType(
    {
        "message": 0.5,
        "reply": 1.0,
        "mention": 1.0,
        "like": 0.5,
        "share": 2.0,
        "red_packet": 2.0,
        "purchase": 3.0,
    }
)


@dataclass(frozen=True)
class AnalysisParams:
    """Every knob of an analysis run; recorded with the run. Analysis receives only this."""

    damping: float = 0.85
    resolution: float = 1.0
    # Choose the resolution among analysis.communities.AUTO_RESOLUTIONS whose communities agree
    # best with the explicit groups (NMI); `resolution` is then unused. No groups: resolution.
    auto_resolution: bool = False
    seed: int = 0
    kind_weights: MappingProxyType[str, float] = field(default_factory=lambda: DEFAULT_KIND_WEIGHTS)
    referral_weight: float = 1.0
    dunbar: int = 150
    deep_chain_levels: int = 3
    # Super users (tier core) receive at least this many average members' worth of attention,
    # summed over the communities paying them attention (see analysis.tiers.attention_standing).
    core_min_standing: float = 3.0
    exact_betweenness_max_vertices: int = 5_000
    betweenness_epsilon: float = 0.01
    betweenness_delta: float = 0.1
    # Repeated events of one kind from one user to another: "log" (default) counts at most one
    # per day, then weighs kind weight × mean event weight × (1 + ln days), so a shill's 500
    # likes never outweigh 50 distinct fans; "linear" = kind weight × summed event weight.
    repeat_transform: str = "log"
    # Added to a tie (either direction) per explicit group both users belong to.
    shared_group_weight: float = 0.5
    # PageRank power iteration stops when the L1 change of one step falls below this.
    pagerank_tol: float = 1e-10
    # PageRank iteration cap (0.85^1000 ≈ 1e-71: never reached in practice).
    pagerank_max_iter: int = 1000
    # Work cap of sampled betweenness, in edge visits (sources × edges): 3e7 is ~5 BFS sources
    # on 5.5M edges, ~300 on 100k. When it binds, stats report the (larger) ε actually guaranteed.
    betweenness_budget: int = 30_000_000
    # Leiden passes (igraph n_iterations); -1 = repeat until a pass no longer improves quality.
    leiden_iterations: int = 2
    # Leiden passes of a warm start (from the previous run's communities: every run after the
    # first unless `cold`).
    warm_leiden_iterations: int = 1
    # A warm start is checked against one cold Leiden run on graphs up to this many (undirected)
    # edges, and replaced by a cold run when its modularity is lower by more than this share.
    warm_check_max_edges: int = 20_000_000
    warm_max_modularity_loss: float = 0.01
    # Cold runs on graphs up to this many (undirected) edges take the consensus (Lancichinetti &
    # Fortunato 2012) of this many seeded Leiden runs, pairs kept at this agreement or more.
    consensus_max_edges: int = 100_000
    consensus_runs: int = 10
    consensus_threshold: float = 0.5
    # Leiden passes when splitting communities over `dunbar` (blocks are small: one suffices).
    leiden_split_iterations: int = 1
    # Communities smaller than this (and users with no edges) stay unassigned (community "").
    min_community_size: int = 3
    # Stable ids: a community keeps the id of a previous-run community when their shared
    # members are at least this share of either (see analysis.lineage) ...
    community_match_share: float = 0.5
    # ... and lists as lineage (derived_from) every previous community sharing this much.
    lineage_min_share: float = 0.1
    # Split communities larger than `dunbar` one level further into sub-communities.
    split_large: bool = True
    # Guimerà–Amaral: hub if the within-community degree z-score is at least this.
    hub_z: float = 2.5
    # Non-hub participation bounds: R1 P ≤ a, R2 ≤ b, R3 ≤ c, R4 above.
    role_p_ultra_peripheral: float = 0.05
    role_p_peripheral: float = 0.62
    role_p_connector: float = 0.80
    # Hub participation bounds: R5 P ≤ a, R6 ≤ b, R7 above.
    role_p_provincial_hub: float = 0.30
    role_p_connector_hub: float = 0.75
    # Tier lurker: own weighted actions (interactions sent + referrals made) ≤ this.
    lurker_max_engagement: float = 0.0
    # Leaders (communities and groups) are chosen among non-lurkers when a block has any.
    leaders_exclude_lurkers: bool = True
    # Core reach: attention from at least this many communities (an effective number: the
    # inverse Simpson index of the attention weight per community) ...
    core_min_communities: float = 3.0
    # ... or from co-members in at least this many of the user's groups (effective number).
    core_min_groups: float = 2.0
    # Hysteresis: a user keeps their tier until its rule falls below (1 - margin) of its boundary,
    # and moves up into core or active only above (1 + margin) of it.
    tier_margin: float = 0.2
    # Hysteresis: a community's or group's owner stays until a member's PageRank inside it beats
    # the owner's by this share.
    owner_takeover_margin: float = 0.1
    # Community shape "star" if Freeman degree centralization is at least this ...
    star_centralization: float = 0.9
    # ... or the leader takes part in at least this share of internal attention weight.
    star_owner_share: float = 0.8
    # Shills (analysis.shills): a user whose score reaches this is a suspected shill, listed for
    # review; their attention counts (1 - score) as much in every graph the run builds.
    shill_threshold: float = 0.5
    # Fewer events sent than this: no shill score (too little to judge).
    shill_min_events: int = 20
    # Burst: events a day on one person; at the base rate a keen fan, at the full rate a burst.
    shill_burst_base: float = 3.0
    shill_burst_full: float = 20.0
    # Fake invites: invitees who never act, brought by an inviter with at least this many
    # invites within this many seconds of each other.
    fake_invite_burst: int = 5
    fake_invite_window: int = 600
    # A window of time (Unix seconds, whole UTC days; -1: open): only interactions dated
    # in it make the graph; referrals and joins after `until` are not yet.
    since: int = -1
    until: int = -1
    # Community health over time (analysis.lifecycle; README "Community health over time"):
    # the day assessed (Unix seconds; -1: `until`, else the latest dated event or membership).
    as_of: int = -1
    health_series_days: int = 180  # days of daily series kept with a run (WeCom keeps 180)
    health_emerging_days: int = 14  # younger groups are emerging
    health_growth_rate: float = 0.05  # net member growth in 7 days that makes a group growing
    health_decline_share: float = 0.1  # members this far below the 30-day peak: declining
    health_min_members: int = 5  # smaller groups raise no alarms
    health_min_interaction_rate: float = 0.15  # alarm below this daily share interacting
    health_max_silent_share: float = 0.7  # alarm above this share silent for 7 days
    health_new_group_days: int = 30  # a group this young is new ...
    health_max_early_quits: float = 0.15  # ... and alarms when this share quits in 7 days
    health_leader_quiet_days: int = 7  # alarm when the leader is silent this long

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["kind_weights"] = dict(self.kind_weights)
        return out


@dataclass(frozen=True)
class Bound:
    """The valid values of a numeric analysis parameter: ``low`` to ``high``, each end open
    (excluded) or closed."""

    low: float = 0
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below and value == value  # NaN holds nowhere

    def words(self, kind: type) -> str:
        """E.g. "a number in (0, 1)", "an integer >= 1"."""
        noun = "an integer" if kind is int else "a number"
        low = f"{self.low:g}" if isinstance(self.low, float) else str(self.low)
        if self.high == math.inf:
            return f"{noun} {'>' if self.low_open else '>='} {low}"
        high = f"{self.high:g}" if isinstance(self.high, float) else str(self.high)
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"{noun} in {left}{low}, {high}{right}"


_SHARE = Bound(0, 1)  # a share or probability
# Analysis parameters with other bounds than "a number >= 0" (every one is checked once, by
# config.check_analysis; the CLI's options and the API's job parameters take theirs from here).
PARAM_BOUNDS: MappingProxyType[str, Bound] = MappingProxyType(
    {
        "damping": Bound(0, 1, low_open=True, high_open=True),
        "resolution": Bound(0, low_open=True),
        "seed": Bound(0, 2**63 - 1),
        "dunbar": Bound(2),
        "deep_chain_levels": Bound(1),
        "betweenness_epsilon": Bound(0, 1, low_open=True, high_open=True),
        "betweenness_delta": Bound(0, 1, low_open=True, high_open=True),
        "shared_group_weight": _SHARE,
        "pagerank_tol": Bound(0, 1, low_open=True, high_open=True),
        "pagerank_max_iter": Bound(1),
        "betweenness_budget": Bound(1),
        "leiden_iterations": Bound(-1),  # -1: until a pass no longer improves
        "warm_leiden_iterations": Bound(-1),
        "leiden_split_iterations": Bound(-1),
        "warm_max_modularity_loss": _SHARE,
        "consensus_runs": Bound(1),
        "consensus_threshold": _SHARE,
        "min_community_size": Bound(1, 2**31 - 1),
        "community_match_share": _SHARE,
        "lineage_min_share": _SHARE,
        "role_p_ultra_peripheral": _SHARE,
        "role_p_peripheral": _SHARE,
        "role_p_connector": _SHARE,
        "role_p_provincial_hub": _SHARE,
        "role_p_connector_hub": _SHARE,
        "tier_margin": Bound(0, 1, high_open=True),
        "star_centralization": _SHARE,
        "star_owner_share": _SHARE,
        "shill_threshold": Bound(0, 1, low_open=True),
        "shill_burst_base": Bound(0, low_open=True),
        "shill_burst_full": Bound(0, low_open=True),
        "fake_invite_burst": Bound(2),
        "as_of": Bound(-1),
        "since": Bound(-1),
        "until": Bound(-1),
        "health_series_days": Bound(30, 3660),
        "health_emerging_days": Bound(1),
        "health_decline_share": _SHARE,
        "health_min_interaction_rate": _SHARE,
        "health_max_silent_share": _SHARE,
        "health_max_early_quits": _SHARE,
        "health_leader_quiet_days": Bound(1),
    }
)


def param_bound(name: str) -> Bound:
    """The bound of analysis parameter ``name`` (numeric): PARAM_BOUNDS, else >= 0."""
    return PARAM_BOUNDS.get(name, Bound())
