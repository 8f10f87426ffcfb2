"""The GraphStore protocol: what every store (embedded SQLite, Neo4j) does.

The contract suite in ``tests/contract/`` is the executable definition of this protocol and
runs against every adapter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from graphsvc.errors import NotFoundError
from graphsvc.model import (
    RENAMED_PARAMS,
    RENAMED_TIERS,
    CommunityResult,
    EdgeBatch,
    EdgeKind,
    Entity,
    EventColumns,
    Group,
    GroupResult,
    GroupTable,
    HealthSeries,
    Interaction,
    Membership,
    Referral,
    RunInfo,
    RunResult,
    SeedSet,
    User,
    UserTable,
)

__all__ = [
    "COMMUNITY_SORTS",
    "DEFAULT_BATCH_SIZE",
    "EDGE_PROPS",
    "USER_MINIMUMS",
    "USER_SORTS",
    "USER_SORT_ALIASES",
    "WINDOW_COLUMNS",
    "CommunityQuery",
    "GraphStore",
    "LoadTarget",
    "UserQuery",
    "edge_props",
    "renamed_run_json",
    "require_filters",
    "result_column",
    "window_props",
    "with_defaults",
]

DEFAULT_BATCH_SIZE = 200_000
# Property columns of each relationship type in EdgeBatch.props, with their dtypes.
EDGE_PROPS: dict[EdgeKind, dict[str, type]] = {
    EdgeKind.INTERACTED: {
        "kind": np.int8,
        "count": np.int64,
        "weight": np.float64,
        "days": np.int64,
        "first_at": np.int64,
        "last_at": np.int64,
    },
    EdgeKind.REFERRED: {"referred_at": np.int64},
    EdgeKind.MEMBER_OF: {"role": np.int8, "joined_at": np.int64, "left_at": np.int64},
}
USER_SORTS = (
    "influence",
    "betweenness",
    "coreness",
    "downline",
    "in_strength",
    "direct_referrals",
    "genuine_referrals",
    "shill_score",
    "audience_quality",
)
USER_SORT_ALIASES = {"pagerank": "influence"}  # influence is weighted PageRank
# UserQuery's lower bounds: field -> the result column it bounds
USER_MINIMUMS = {
    "min_influence": "influence",
    "min_quality": "audience_quality",
    "min_shill_score": "shill_score",
}
COMMUNITY_SORTS = ("size", "health")


@dataclass(frozen=True)
class UserQuery:
    """One page of a run's users. Sorted by ``sort`` descending, ties by influence_rank (for
    "influence": by influence_rank alone); a missing value sorts as -1. ``after`` is the
    keyset ``(sort value, influence_rank)`` of the last row already seen.

    ``community_id`` matches the community and its sub-communities (a community over
    Dunbar's number answers for all its members; each row names its sub-community). A
    referral level bound never matches users outside every referral tree (level -1)."""

    community_id: str | None = None
    group_id: str | None = None  # members of this explicit group
    tier: str | None = None
    role: str | None = None
    min_influence: float | None = None
    min_quality: float | None = None  # audience_quality at least (users with no audience: no)
    min_shill_score: float | None = None
    min_level: int | None = None  # referral level (0: a tree's root)
    max_level: int | None = None
    sort: str = "influence"
    after: tuple[float, int] | None = None
    limit: int = 50


@dataclass(frozen=True)
class CommunityQuery:
    """One page of a run's communities, by ``sort`` descending (size, or the stored
    ``health_score``), ties by community_id; ``after`` is the keyset ``(sort value,
    community_id)``."""

    shape: str | None = None  # "mesh" | "star"
    sort: str = "size"
    after: tuple[float, str] | None = None
    limit: int = 50


def result_column(values: Sequence[Any], kind: str) -> np.ndarray:
    """A result column (``USER_RESULT_COLUMNS`` type ``kind``) as the array ``result_columns``
    returns, with its stand-in for missing values."""
    if kind == "str":
        return np.array(["" if v is None else v for v in values], dtype=object)
    if kind == "int":
        return np.array([-1 if v is None else v for v in values], dtype=np.int64)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def renamed_run_json(params: dict[str, Any], stats: dict[str, Any]) -> tuple[dict, dict] | None:
    """A stored run's params and stats with the old tier and setting names replaced (tier
    counts are ``stats["tiers"]``), or None when they hold no old name; each store renames
    what it holds once, when opened."""
    tiers = stats.get("tiers") or {}
    if not (RENAMED_PARAMS.keys() & params.keys() or RENAMED_TIERS.keys() & tiers.keys()):
        return None
    params = {RENAMED_PARAMS.get(k, k): v for k, v in params.items()}
    if tiers:
        stats = {**stats, "tiers": {RENAMED_TIERS.get(k, k): v for k, v in tiers.items()}}
    return params, stats


def with_defaults(cls: type, props: dict[str, Any]) -> dict[str, Any]:
    """The fields of dataclass ``cls`` from stored ``props``; a missing or null one takes
    its default where that is not None (a result written before the field existed)."""
    values = {}
    for f in dataclasses.fields(cls):
        value = props.get(f.name)
        if value is None and f.default not in (None, dataclasses.MISSING):
            value = f.default
        values[f.name] = value
    return values


WINDOW_COLUMNS = ("kind", "count", "weight", "days")  # what a window of days aggregates


def window_props(
    kind: EdgeKind, columns: Sequence[str] | None, days: tuple[int, int] | None
) -> dict[str, type]:
    """``edge_props`` of an ``edge_batches`` call, checked against its window of ``days``."""
    if days is None:
        return edge_props(kind, columns)
    if EdgeKind(kind) is not EdgeKind.INTERACTED:
        raise ValueError(f"a window of days reads INTERACTED edges, not {kind}")
    props = edge_props(kind, WINDOW_COLUMNS if columns is None else columns)
    if set(props) - set(WINDOW_COLUMNS):
        raise ValueError(f"a window of days reads only {list(WINDOW_COLUMNS)}")
    return props


def edge_props(kind: EdgeKind, columns: Sequence[str] | None) -> dict[str, type]:
    """The property columns of ``kind`` named in ``columns`` (None: all), in store order."""
    props = EDGE_PROPS[EdgeKind(kind)]
    if columns is None:
        return props
    unknown = set(columns) - set(props)
    if unknown:
        raise ValueError(f"{kind} has no columns {sorted(unknown)}; it has {list(props)}")
    return {name: dtype for name, dtype in props.items() if name in columns}


def require_filters(store: GraphStore, run_id: str, query: UserQuery) -> None:
    """Raise NotFoundError for a community or group ``query`` names that run ``run_id`` does
    not have (call it when a page came back empty, to tell "unknown id" from "no match")."""
    if (
        query.community_id is not None
        and store.community_result(run_id, query.community_id) is None
    ):
        raise NotFoundError(f"no community {query.community_id!r} in run {run_id}")
    if query.group_id is not None and store.group_result(run_id, query.group_id) is None:
        raise NotFoundError(f"no group {query.group_id!r} in run {run_id}")


class LoadTarget(Protocol):
    """What a load writes to: a store, or the files of a first bulk import.

    Writes are idempotent upserts (in a store, each call one transaction). Edge writes
    assume their endpoints exist: call ``ensure_users`` / ``ensure_groups`` first.
    """

    def ensure_users(self, user_ids: Sequence[str]) -> int:
        """Create bare users for ids not yet stored; return how many were created."""

    def ensure_groups(self, group_ids: Sequence[str]) -> int:
        """Create bare groups for ids not yet stored; return how many were created."""

    def upsert_users(self, rows: Sequence[User]) -> int:
        """Insert or update users (fields given as None keep their stored value); return new."""

    def upsert_groups(self, rows: Sequence[Group]) -> int:
        """Insert or update groups (None keeps the stored value); return how many are new."""

    def upsert_memberships(self, rows: Sequence[Membership]) -> int:
        """One membership per (user, group); return how many are new."""

    def upsert_referrals(self, rows: Sequence[Referral]) -> int:
        """One inviter per invitee: the earliest (referred_at, then inviter_id) wins, whatever
        the order of loading. Return how many invitees got their first inviter."""

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        """Add events not seen before (by ``key``) to the per-(src, dst, kind) aggregate
        (count, weight sum, first_at, last_at). Return how many events were new."""

    def add_events(self, events: EventColumns) -> int:
        """``add_interactions`` for one input's events as columns (the load's path)."""

    def records(self, entity: Entity) -> Iterator[User | Group | Membership | Referral]:
        """Stored rows of users, groups, memberships or referrals (not interaction events)."""

    def check_writable(self) -> None:
        """Raise StoreError if writes are bound to fail (a read-only file), so that a long
        load or analysis fails before its work, not after."""

    def load_lock(self) -> AbstractContextManager[None]:
        """Held by a load writing referrals, from their check against the stored referrals
        (cycles, conflicts) to its last write; waits while another process or thread holds
        it. So concurrent loads cannot store a referral cycle between them."""


@runtime_checkable
class GraphStore(LoadTarget, Protocol):
    """A property graph of users, groups and their edges, plus analysis runs.

    Its writes are those of LoadTarget.
    """

    uri: str

    def close(self) -> None: ...

    def init_schema(self) -> None:
        """Create tables / constraints and indexes; safe to call again."""

    # -- reads ----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Entity counts: users, groups, memberships, referrals, interactions (aggregated
        relationships) and interaction_events."""

    def reading(self) -> AbstractContextManager[None]:
        """Reads inside see the store as of one moment (a load committing meanwhile is
        seen after, not in part) where the store allows: SQLite, one read transaction on
        this thread's connection. Neo4j reads in sessions of their own (its extraction runs
        in parallel), so there a reader may see part of a load; ``build_snapshot`` then
        leaves out the edges to users and groups it had not read yet."""

    def users(self) -> UserTable: ...

    def groups(self) -> GroupTable: ...

    def edge_batches(
        self,
        kind: EdgeKind,
        batch_size: int = DEFAULT_BATCH_SIZE,
        columns: Sequence[str] | None = None,
        days: tuple[int, int] | None = None,
    ) -> Iterator[EdgeBatch]:
        """The whole relationship type as columnar batches of store ids (see EdgeBatch), with
        the property ``columns`` named (None: all of EDGE_PROPS[kind]). ``days`` (INTERACTED
        only): the aggregates of the events dated on UTC days first..last (inclusive) alone,
        pairs without one left out; only WINDOW_COLUMNS then (see ``window_props``)."""

    def interaction_days(
        self, batch_size: int = DEFAULT_BATCH_SIZE, first_day: int = 0
    ) -> Iterator[EdgeBatch]:
        """When users interacted: (src uid, dst uid) with props ``day`` (the UTC day number of
        a dated event, from ``first_day`` on) and ``gid`` (the group the event names, -1
        none). Every distinct (src, dst, day, gid) of those events appears; rows may repeat."""

    # -- analysis runs --------------------------------------------------------------------

    def write_run(self, result: RunResult) -> None:
        """Write a complete run and make it current in one step; on failure nothing changes
        for readers."""

    def runs(self) -> list[RunInfo]:
        """Complete runs, newest first."""

    def current_run(self) -> RunInfo | None: ...

    def revision(self) -> str:
        """An opaque token that changes with every committed write of any writer (loads,
        runs, wipes), so equal tokens mean every read returns what it returned before; for
        caching API responses. Cheap: one small query."""

    def user_results(
        self,
        run_id: str,
        *,
        community_id: str | None = None,
        tier: str | None = None,
        after_rank: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Users of a run by influence rank (rank > after_rank): user_id, name and every
        column of USER_RESULT_COLUMNS; a missing value (NaN in the run) is None, never NaN."""

    def user_result(self, run_id: str, user_id: str) -> dict[str, Any] | None: ...

    def result_columns(self, run_id: str, columns: Sequence[str]) -> dict[str, np.ndarray]:
        """Whole result columns of a run, aligned, unordered, plus "user_id": str columns
        as object arrays ("" for none), int as int64 (-1), float as float64 (NaN)."""

    def user_profile(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        """``user_result`` plus ``inviter_id`` (None if not referred) and ``groups`` (as
        ``user_groups``), in one query where the store has round trips; None if the user is
        not in the run."""

    def community_results(self, run_id: str) -> list[CommunityResult]:
        """Communities of a run, largest first (ties by id)."""

    def group_results(self, run_id: str) -> list[GroupResult]:
        """Explicit groups of a run, by group id."""

    def write_seeds(self, seeds: SeedSet) -> None:
        """Store a campaign's seeds with their run (removed with it); NotFoundError if the
        run is not a complete run of this store."""

    def health_series(self, run_id: str, unit: str, unit_ids: Sequence[str]) -> list[HealthSeries]:
        """The daily series run ``run_id`` kept of these groups or communities (``unit``:
        "group" or "community"), those it kept, in no particular order."""

    def seed_set(self, seeds_id: str) -> SeedSet | None:
        """Stored seeds by id, or None (unknown, or their run was removed)."""

    # -- API reads (pages, one entity, neighbourhoods) --------------------------------------

    def user_page(self, run_id: str, query: UserQuery) -> list[dict[str, Any]]:
        """Users of a run matching ``query`` (see UserQuery), rows as ``user_results`` (no
        NaN: the API sends them as they are)."""

    def score_column(self, run_id: str, column: str) -> np.ndarray:
        """A numeric result column (e.g. betweenness) of every user of a run, unordered;
        missing values as NaN. For ranks and percentiles."""

    def user_groups(self, user_id: str) -> list[dict[str, Any]]:
        """The explicit groups of a user: group_id, name, role (member role); by group id."""

    def referral_tree(
        self, user_id: str, direction: Literal["up", "down"], depth: int, limit: int
    ) -> list[dict[str, Any]]:
        """Inviters ("up") or invitees ("down") of a user within ``depth`` levels: user_id,
        inviter_id, depth (1 = direct); by depth then user id, at most ``limit`` rows."""

    def find_users(self, run_id: str, text: str, limit: int) -> list[dict[str, Any]]:
        """Users of a run whose id or name starts with ``text`` (case-sensitive), by influence
        rank, at most ``limit``; rows as ``user_page``. For a search box: both are indexed."""

    def edges_among(self, user_ids: Sequence[str]) -> list[tuple[str, str, str, int]]:
        """Relationships with both ends in ``user_ids`` (for a picture of a community), as
        (src_id, dst_id, kind, count): an interaction kind with its event count per
        (src, dst, kind), and ``("inviter", "invitee", "referral", 1)``; unordered."""

    def community_page(self, run_id: str, query: CommunityQuery) -> list[CommunityResult]:
        """Communities of a run matching ``query`` (see CommunityQuery)."""

    def community_result(self, run_id: str, community_id: str) -> CommunityResult | None: ...

    def group_result(self, run_id: str, group_id: str) -> GroupResult | None: ...

    def groups_led_by(self, run_id: str, user_id: str) -> list[GroupResult]:
        """Explicit groups of a run whose effective owner is ``user_id``, by group id."""

    # -- community names (outlive runs: community ids are stable) --------------------------

    def set_community_label(self, community_id: str, label: str | None) -> None:
        """Name a community id (None removes the name)."""

    def community_labels(self) -> dict[str, str]:
        """Every community name, by community id."""
