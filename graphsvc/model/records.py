"""Enums and input records: what ingest reads and the stores hold, as rows (frozen
dataclasses) or, in bulk, as numpy columns (one array per field), never per-edge objects."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


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


class Role(StrEnum):
    """Guimerà & Amaral (Nature 433:895, 2005) roles: R1–R4 non-hubs, R5–R7 hubs."""

    ULTRA_PERIPHERAL = "ultra_peripheral"
    PERIPHERAL = "peripheral"
    CONNECTOR = "connector"
    KINLESS = "kinless"
    PROVINCIAL_HUB = "provincial_hub"
    CONNECTOR_HUB = "connector_hub"
    KINLESS_HUB = "kinless_hub"


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
    left_at: int | None = None  # when the member quit the group (None: still a member)


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
    group_id: str | None = None  # the chat it happened in, when the export says so


def event_key(src_id: str, dst_id: str, kind: str, occurred_at: int | None, ordinal: int) -> int:
    """A 63-bit fingerprint of an interaction event.

    ``ordinal`` numbers identical (src, dst, kind, occurred_at) events within one file, so
    genuine repeats are kept while re-loading the same file (or an overlapping export) adds
    nothing. Fits a signed 64-bit integer (SQLite INTEGER, Neo4j Long).
    """
    text = f"{src_id}\x1f{dst_id}\x1f{kind}\x1f{'' if occurred_at is None else occurred_at}"
    digest = hashlib.blake2b(f"{text}\x1f{ordinal}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def event_keys(events: EventColumns) -> np.ndarray:
    """``event_key`` of every event of ``events`` (int64), without a record per event: the
    texts are joined by pyarrow a slice at a time, then hashed straight from its buffer."""
    ids = pa.array(events.ids.tolist(), pa.large_string())
    kinds = pa.array([kind.value for kind in InteractionKind], pa.large_string())
    blake2b = hashlib.blake2b
    digests = np.empty(len(events), "S8")
    for lo in range(0, len(events), _KEYS_PER_SLICE):
        part = slice(lo, lo + _KEYS_PER_SLICE)
        at = pc.cast(pa.array(events.at[part]), pa.large_string())
        texts = pc.binary_join_element_wise(
            ids.take(pa.array(events.src[part])),
            ids.take(pa.array(events.dst[part])),
            kinds.take(pa.array(events.kind[part])),
            pc.if_else(pa.array(events.dated[part]), at, _NO_TEXT),
            pc.cast(pa.array(events.seq[part]), pa.large_string()),
            _UNIT_SEPARATOR,
        )
        _, offsets, data = texts.buffers()
        ends = np.frombuffer(offsets, np.int64, len(texts) + 1, texts.offset * 8).tolist()
        text = memoryview(data)
        digests[part] = np.fromiter(
            (blake2b(text[a:b], digest_size=8).digest() for a, b in pairwise(ends)),
            "S8",
            len(texts),
        )
    return (digests.view(">u8") >> np.uint64(1)).astype(np.int64)


_KEYS_PER_SLICE = 1 << 20
_NO_TEXT, _UNIT_SEPARATOR = (pa.scalar(t, pa.large_string()) for t in ("", "\x1f"))


@dataclass(frozen=True)
class EventColumns:
    """The valid interaction events of one input, as columns in file order.

    ``src`` and ``dst`` index ``ids`` (the input's distinct user ids); ``kind`` holds
    InteractionKind codes; ``at`` is Unix seconds where ``dated``; ``seq`` numbers identical
    (src, dst, kind, at) events in file order, so genuine repeats are kept while re-loading a
    file (or an overlapping export) adds nothing: an event is identified by those five values.
    ``group`` indexes ``groups`` (the chat each event happened in, -1 when not said); it
    describes an event and is not part of its identity.
    """

    ids: np.ndarray  # str (object), the input's distinct user ids
    src: np.ndarray  # int32 into ids
    dst: np.ndarray  # int32 into ids
    kind: np.ndarray  # int8
    at: np.ndarray  # int64
    dated: np.ndarray  # bool
    weight: np.ndarray  # float64
    seq: np.ndarray  # int32
    groups: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))  # str ids
    group: np.ndarray | None = None  # int32 into groups, -1 none; None: no event names one

    def __post_init__(self) -> None:
        if self.group is None:
            object.__setattr__(self, "group", np.full(len(self.src), -1, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.src)

    @classmethod
    def of(cls, rows: Sequence[Interaction]) -> EventColumns:
        """Columns of events given one by one: ``seq`` is the ordinal each ``key`` was made
        with (``event_key``; records with one key are one event), or for a key made some other
        way the event's place among identical events in ``rows``."""
        ids, codes = np.unique(
            np.array([e.src_id for e in rows] + [e.dst_id for e in rows], dtype=object),
            return_inverse=True,
        )
        codes = codes.astype(np.int32)
        n = len(rows)
        src, dst = codes[:n], codes[n:]
        kind = np.fromiter((InteractionKind(e.kind).code for e in rows), np.int8, n)
        dated = np.fromiter((e.occurred_at is not None for e in rows), bool, n)
        at = np.fromiter((e.occurred_at or 0 for e in rows), np.int64, n)
        weight = np.fromiter((e.weight for e in rows), np.float64, n)
        keyed = np.fromiter((_ordinal_of(e) for e in rows), np.int32, n)
        seq = repeat_ordinals(src, dst, kind, np.where(dated, at, UNDATED_AT))
        groups, group = np.unique(
            np.array([e.group_id or "" for e in rows], dtype=object), return_inverse=True
        )
        if len(groups) and groups[0] == "":
            groups, group = groups[1:], group - 1
        return cls(
            ids,
            src,
            dst,
            kind,
            at,
            dated,
            weight,
            np.where(keyed >= 0, keyed, seq),
            groups,
            group.astype(np.int32),
        )


def _ordinal_of(event: Interaction, tried: int = 64) -> int:
    """The ordinal ``event.key`` was made with by ``event_key``, or -1."""
    fields = (event.src_id, event.dst_id, event.kind, event.occurred_at)
    return next((o for o in range(tried) if event_key(*fields, o) == event.key), -1)


UNDATED_AT = -(2**62)  # stands for "no time" where a key column needs an integer


def repeat_ordinals(*keys: np.ndarray) -> np.ndarray:
    """For each row, how many earlier rows have the same values in every ``keys`` column:
    0 for a first occurrence, 1 for its first repeat, … (int32). Repeats are rare, so only
    rows whose 64-bit mix collides are ordered exactly; O(n log n)."""
    n = len(keys[0]) if keys else 0
    seq = np.zeros(n, dtype=np.int32)
    if n < 2:
        return seq
    mixed = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in keys:
            mixed = (mixed ^ column.astype(np.int64).view(np.uint64)) * np.uint64(
                0x9E3779B97F4A7C15
            )
            mixed ^= mixed >> np.uint64(29)
    values, counts = np.unique(mixed, return_counts=True)
    suspects = np.flatnonzero(np.isin(mixed, values[counts > 1]))
    if not len(suspects):
        return seq
    order = suspects[np.lexsort([k[suspects] for k in reversed(keys)])]  # stable: file order
    ordered = np.stack([k[order].astype(np.int64) for k in keys])
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (ordered[:, 1:] != ordered[:, :-1]).any(axis=0)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    seq[order] = np.arange(len(order)) - first
    return seq


DAY_SECONDS = 86_400
CHAT_DAY_BITS = 20  # a (group, day) as one integer gid * 2**20 + day (gid -1: none named)
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
    MEMBER_OF: src user uid, dst group gid; props role (int8 code), joined_at, left_at (int64,
    -1 when unknown or still a member).
    """

    src: np.ndarray
    dst: np.ndarray
    props: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class Stays:
    """Memberships with their times: user vertex, group position, Unix seconds joined and
    left (-1: unknown, not left)."""

    user: np.ndarray  # int64
    group: np.ndarray  # int64
    joined_at: np.ndarray  # int64
    left_at: np.ndarray  # int64


@dataclass(frozen=True)
class Activity:
    """Days two users interacted: src and dst vertices, UTC day numbers, and the group
    position the events named (-1 none). Rows may repeat."""

    src: np.ndarray  # int64
    dst: np.ndarray  # int64
    day: np.ndarray  # int64
    group: np.ndarray  # int64


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
    # int64 Unix seconds of each referral (-1 unknown); None: no times (fake invites need them)
    referral_at: np.ndarray | None = None
    # Health over time (analysis.lifecycle). The membership arrays above hold the members who
    # have not left; stays hold every membership with its times (Unix seconds, -1 unknown /
    # not left). Activity: when two users interacted (UTC day) and in which group (-1: the
    # event named none). None: not read.
    stays: Stays | None = None
    activity: Activity | None = None

    @property
    def n_users(self) -> int:
        return len(self.user_ids)
