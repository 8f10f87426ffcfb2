"""Records, enums and columnar tables shared by ingest, stores, analysis and the API.

Rows are plain frozen dataclasses; bulk data travels as numpy columns (one array per field),
never as per-edge Python objects.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = [
    "DAY_SECONDS",
    "DEFAULT_KIND_WEIGHTS",
    "PARAM_BOUNDS",
    "RENAMED_PARAMS",
    "RENAMED_TIERS",
    "REPLACED_PARAMS",
    "UNDATED_DAY",
    "USER_RESULT_COLUMNS",
    "AnalysisParams",
    "Bound",
    "CommunityResult",
    "EdgeBatch",
    "EdgeKind",
    "Entity",
    "GraphSnapshot",
    "Group",
    "GroupResult",
    "GroupTable",
    "Interaction",
    "InteractionKind",
    "MemberRole",
    "Membership",
    "PreviousRun",
    "Referral",
    "Role",
    "RunInfo",
    "RunResult",
    "SeedSet",
    "Tier",
    "User",
    "UserResults",
    "UserTable",
    "event_day",
    "event_key",
    "format_lineage",
    "param_bound",
    "parse_lineage",
]


class Entity(StrEnum):
    """The five kinds of input file."""

    USERS = "users"
    GROUPS = "groups"
    MEMBERSHIPS = "memberships"
    REFERRALS = "referrals"
    INTERACTIONS = "interactions"


class InteractionKind(StrEnum):
    """What src did toward dst. The position in this enum is the kind's integer code."""

    MESSAGE = "message"
    REPLY = "reply"
    MENTION = "mention"
    LIKE = "like"
    SHARE = "share"
    RED_PACKET = "red_packet"
    PURCHASE = "purchase"

    @property
    def code(self) -> int:
        return _KIND_CODES[self]


class MemberRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def code(self) -> int:
        return _ROLE_CODES[self]


_KIND_CODES = {kind: code for code, kind in enumerate(InteractionKind)}
_ROLE_CODES = {role: code for code, role in enumerate(MemberRole)}


class EdgeKind(StrEnum):
    """Relationship types, named as in Neo4j."""

    INTERACTED = "INTERACTED"
    REFERRED = "REFERRED"
    MEMBER_OF = "MEMBER_OF"


class Tier(StrEnum):
    """Hierarchy levels, from the top (super users) to lurkers."""

    CORE = "core"
    KOL = "kol"
    ACTIVE = "active"
    MEMBER = "member"
    LURKER = "lurker"


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


class Role(StrEnum):
    """Guimerà & Amaral (Nature 433:895, 2005) roles: R1–R4 non-hubs, R5–R7 hubs."""

    ULTRA_PERIPHERAL = "ultra_peripheral"
    PERIPHERAL = "peripheral"
    CONNECTOR = "connector"
    KINLESS = "kinless"
    PROVINCIAL_HUB = "provincial_hub"
    CONNECTOR_HUB = "connector_hub"
    KINLESS_HUB = "kinless_hub"


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


# -- input records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    name: str | None = None
    joined_at: int | None = None  # Unix seconds, UTC
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Group:
    group_id: str
    name: str | None = None
    owner_id: str | None = None
    created_at: int | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    user_id: str
    group_id: str
    joined_at: int | None = None
    role: MemberRole = MemberRole.MEMBER


@dataclass(frozen=True, slots=True)
class Referral:
    inviter_id: str
    invitee_id: str
    referred_at: int | None = None
    campaign: str | None = None


@dataclass(frozen=True, slots=True)
class Interaction:
    """One event. ``key`` identifies it across loads, so loading a file twice counts it once."""

    src_id: str
    dst_id: str
    kind: InteractionKind
    occurred_at: int | None
    weight: float
    key: int


def event_key(src_id: str, dst_id: str, kind: str, occurred_at: int | None, ordinal: int) -> int:
    """A 63-bit fingerprint of an interaction event.

    ``ordinal`` numbers identical (src, dst, kind, occurred_at) events within one file, so
    genuine repeats are kept while re-loading the same file (or an overlapping export) adds
    nothing. Fits a signed 64-bit integer (SQLite INTEGER, Neo4j Long).
    """
    text = f"{src_id}\x1f{dst_id}\x1f{kind}\x1f{'' if occurred_at is None else occurred_at}"
    digest = hashlib.blake2b(f"{text}\x1f{ordinal}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


DAY_SECONDS = 86_400
UNDATED_DAY = -(2**40)  # the one "day" shared by every event without a time


def event_day(occurred_at: int | None) -> int:
    """The UTC day number of an event, for counting distinct days of repeated events."""
    return UNDATED_DAY if occurred_at is None else int(occurred_at) // DAY_SECONDS


# -- columnar tables read back from a store ------------------------------------------------


@dataclass(frozen=True)
class UserTable:
    """Users as columns: the store's integer ``uid`` and the external ``user_id``."""

    uid: np.ndarray  # int64
    user_id: list[str]


@dataclass(frozen=True)
class GroupTable:
    """Groups as columns; ``owner_uid`` is -1 where no owner is declared."""

    gid: np.ndarray  # int64
    group_id: list[str]
    owner_uid: np.ndarray  # int64


@dataclass(frozen=True)
class EdgeBatch:
    """A batch of one relationship type as columns of store ids; ``props`` holds the columns
    asked of ``edge_batches`` (all by default).

    INTERACTED: src, dst are user uids; props kind (int8 code), count (int64), weight (float64,
    the sum of event weights), days (int64, distinct UTC days with an event, undated events
    together one day), first_at, last_at (int64, -1 when unknown).
    REFERRED: src inviter uid, dst invitee uid; props referred_at (int64, -1 when unknown).
    MEMBER_OF: src user uid, dst group gid; props role (int8 code).
    """

    src: np.ndarray
    dst: np.ndarray
    props: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class GraphSnapshot:
    """Everything an analysis run reads, in canonical order (users and groups sorted by id).

    Vertex ``i`` is ``user_ids[i]``; group ``j`` is ``group_ids[j]``. Edge arrays hold these
    positions, so results do not depend on load order or on the store.
    """

    user_ids: np.ndarray  # str, sorted
    interaction_src: np.ndarray  # int64 vertex
    interaction_dst: np.ndarray
    interaction_kind: np.ndarray  # int8 InteractionKind code
    interaction_count: np.ndarray  # int64 events aggregated
    interaction_weight: np.ndarray  # float64 sum of event weights
    interaction_days: np.ndarray  # int64 distinct UTC days with an event (undated: one day)
    referral_inviter: np.ndarray  # int64 vertex
    referral_invitee: np.ndarray
    group_ids: np.ndarray  # str, sorted
    group_owner: np.ndarray  # int64 vertex, -1 when none declared
    membership_user: np.ndarray  # int64 vertex
    membership_group: np.ndarray  # int64 group position
    membership_role: np.ndarray  # int8 MemberRole code

    @property
    def n_users(self) -> int:
        return len(self.user_ids)


# -- analysis parameters and results -------------------------------------------------------


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
    }
)


def param_bound(name: str) -> Bound:
    """The bound of analysis parameter ``name`` (numeric): PARAM_BOUNDS, else >= 0."""
    return PARAM_BOUNDS.get(name, Bound())


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


@dataclass(frozen=True)
class CommunityResult:
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
class GroupResult:
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


def parse_lineage(text: str) -> list[tuple[str, float]]:
    """``"c-0001=0.62;c-0007=0.3"`` → [("c-0001", 0.62), ("c-0007", 0.3)] (how stores keep
    ``derived_from``: one readable string, also in Cypher)."""
    pairs = (part.rsplit("=", 1) for part in text.split(";") if part)
    return [(cid, float(share)) for cid, share in pairs]


def format_lineage(links: list[tuple[str, float]]) -> str:
    """[("c-0001", 0.62), ("c-0007", 0.3)] → ``"c-0001=0.62;c-0007=0.3"`` (see parse_lineage)."""
    return ";".join(f"{cid}={share:.3g}" for cid, share in links)
