"""Extraction: counts, node tables and every edge kind as numpy columns, read in id ranges."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from typing import Any

import neo4j
import numpy as np

from graphsvc.errors import StoreError
from graphsvc.model import (
    CHAT_DAY_BITS,
    EdgeBatch,
    EdgeKind,
    Entity,
    Group,
    GroupTable,
    MemberRole,
    Membership,
    Referral,
    User,
    UserTable,
)
from graphsvc.store.base import (
    DEFAULT_BATCH_SIZE,
    window_props,
)
from graphsvc.store.neo4j.session import StoreParts
from graphsvc.store.neo4j.writes import ATTR_PREFIX

EXTRACT_TARGET = 100_000  # edges per extraction query (one id range)
EXTRACT_SPREAD = 4  # read by relationship id while a type spans at most this many ids per edge
EXTRACT_WORKERS = 3  # extraction queries in flight: the server works while the client decodes
_ROLE_CODES = {r.value: r.code for r in MemberRole}


class Extract(StoreParts):
    """Neo4jStore's extraction: the snapshot's tables and edge columns."""

    def reading(self) -> AbstractContextManager[None]:
        """Nothing to hold: each read is a transaction of its own (see GraphStore)."""
        return nullcontext()

    def counts(self) -> dict[str, int]:
        row = self.session.rows(_COUNTS)[0]
        return {k: int(v or 0) for k, v in row.items()}

    def users(self) -> UserTable:
        row = self.session.rows(
            "MATCH (u:User) WITH u ORDER BY u.uid RETURN collect(u.uid) AS uid, "
            "collect(u.user_id) AS user_id"
        )[0]
        return UserTable(np.asarray(row["uid"], dtype=np.int64), row["user_id"])

    def groups(self) -> GroupTable:
        row = self.session.rows(
            "MATCH (g:Group) WITH g ORDER BY g.gid "
            "OPTIONAL MATCH (o:User {user_id: g.owner_id}) "
            "RETURN collect(g.gid) AS gid, collect(g.group_id) AS group_id, "
            "collect(coalesce(o.uid, -1)) AS owner"
        )[0]
        return GroupTable(
            np.asarray(row["gid"], dtype=np.int64),
            row["group_id"],
            np.asarray(row["owner"], dtype=np.int64),
        )

    def edge_batches(
        self,
        kind: EdgeKind,
        batch_size: int = DEFAULT_BATCH_SIZE,
        columns: Sequence[str] | None = None,
        days: tuple[int, int] | None = None,
    ) -> Iterator[EdgeBatch]:
        """Columnar batches of exactly ``batch_size`` edges (the last one shorter).

        The server answers one range per query with whole columns (``collect()``), sized to
        about EXTRACT_TARGET edges; rows never travel one by one. A range is one of
        relationship ids when the type's ids are dense enough (at most EXTRACT_SPREAD ids per
        relationship): each relationship is then read by id, in store order, so records and
        properties are read sequentially and no node's relationship chain is walked (half the
        server CPU of expanding from source users, or less). Sparser types are read by source
        uid range through the uid index. Both ends come back as internal node ids, read off
        the relationship without touching the nodes, and become uids/gids here through id
        lookup tables. Small integer columns travel packed in pairs (see _PACKED): fewer,
        longer lists to build, send and decode. ``extract_workers`` ranges are fetched at a
        time, on their own sessions, so the server works on several cores while the client
        decodes; batches come out in range order (no order within a range is promised).
        A window of ``days`` sums each relationship's ``day_counts`` and ``day_weights`` over
        the ``event_days`` inside it (see _WINDOWED).
        """
        kind = EdgeKind(kind)
        props = window_props(kind, columns, days)
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        names = ("src", "dst", *props)
        pairs = [p for p in _PACKED[kind] if p[0] in names and p[1] in names]
        first_day, last_day = days or (0, 0)
        yield from self._ranged(
            kind,
            lambda by_id: _extract_query(kind, names, pairs, by_id, days is not None),
            {"src": np.int64, "dst": np.int64, **props},
            batch_size,
            pairs,
            codes=_ROLE_CODES,
            first_day=first_day,
            last_day=last_day,
        )

    def _ranged(
        self,
        kind: EdgeKind,
        query: Callable[[bool], str],
        dtypes: Mapping[str, type],
        batch_size: int,
        pairs: Sequence[tuple[str, str, int]] = (),
        **params: Any,
    ) -> Iterator[EdgeBatch]:
        """Batches of exactly ``batch_size`` rows of ``query(by_id)`` (columns ``dtypes``,
        src and dst first, as node ids; ``pairs`` packed) over ranges of ``kind``
        relationships: of ids when dense enough (``by_id``), else of source uids; fetched
        ``extract_workers`` at a time (see edge_batches)."""
        sizes = self.session.rows(_EXTRACT_SIZES[kind])[0]
        n_edges = int(sizes["edges"])
        if n_edges == 0:
            return
        by_id = sizes["last"] - sizes["first"] < EXTRACT_SPREAD * n_edges
        if by_id:
            lo, hi = int(sizes["first"]), int(sizes["last"]) + 1
        else:
            lo, hi = 0, int(sizes["top"] if sizes["top"] is not None else -1) + 1
        width = max(1, (hi - lo) * EXTRACT_TARGET // n_edges)
        text = query(by_id)
        names = tuple(dtypes)
        labels = ("User", _EXTRACT[kind][0])

        def fetch(lo: int) -> dict[str, np.ndarray]:
            row = self.session.rows(text, lo=lo, hi=lo + width, **params)[0]
            for high, low, bits in pairs:
                row[high], row[low] = _unpacked(row.pop(f"{high}_{low}"), bits)
            cols = {n: np.asarray(row[n], dtype=dtypes[n]) for n in names}
            if len({len(c) for c in cols.values()}) > 1:  # collect() leaves nulls out
                raise StoreError(
                    f"{kind} relationships without a value for one of {list(names[2:])}; "
                    "set the missing values or read other columns"
                )
            return cols

        pending: list[dict[str, np.ndarray]] = []
        held = 0
        workers = self.extract_workers
        with ThreadPoolExecutor(workers, thread_name_prefix="neo4j-extract") as pool:
            tables: dict[str, Future[np.ndarray] | np.ndarray] = {
                label: pool.submit(self._node_keys, label) for label in dict.fromkeys(labels)
            }
            starts = iter(range(lo, hi, width))
            window = deque(pool.submit(fetch, lo) for lo in islice(starts, workers + 1))
            while window:
                cols = window.popleft().result()
                for lo in islice(starts, 1):
                    window.append(pool.submit(fetch, lo))
                if not len(cols["src"]):
                    continue
                for end, label in zip(("src", "dst"), labels, strict=True):
                    cols[end], tables[label] = self._keys_at(label, tables[label], cols[end])
                pending.append(cols)
                held += len(cols["src"])
                if held >= batch_size:
                    joined = _concat(pending, names)
                    full = held - held % batch_size
                    for at in range(0, full, batch_size):
                        yield _batch(joined, names, at, at + batch_size)
                    pending = [{n: joined[n][full:] for n in names}]
                    held -= full
        if held:
            yield _batch(_concat(pending, names), names, 0, held)

    def interaction_days(
        self, batch_size: int = DEFAULT_BATCH_SIZE, first_day: int = 0
    ) -> Iterator[EdgeBatch]:
        """From each relationship's ``chat_days``, or its ``event_days`` (dated, since 1970)
        when no event named a group; read in ranges of relationships, in parallel, as
        edge_batches reads them."""
        mask = (1 << CHAT_DAY_BITS) - 1
        for batch in self._ranged(
            EdgeKind.INTERACTED,
            _interaction_days_query,
            {"src": np.int64, "dst": np.int64, "code": np.int64},
            batch_size,
            first_day=max(first_day, 0),
        ):
            code = batch.props["code"]
            yield EdgeBatch(
                batch.src, batch.dst, {"day": code & mask, "gid": code >> CHAT_DAY_BITS}
            )

    def _node_keys(self, label: str) -> np.ndarray:
        """A table from internal node id to the uid (User) or gid (Group) of ``label``
        nodes; -1 for other ids."""
        row = self.session.rows(_NODE_KEYS[label])[0]
        nodes = np.asarray(row["node"], dtype=np.int64)
        table = np.full(int(nodes.max()) + 1 if len(nodes) else 0, -1, dtype=np.int64)
        table[nodes] = np.asarray(row["key"], dtype=np.int64)
        return table

    def _keys_at(
        self, label: str, table: Future[np.ndarray] | np.ndarray, nodes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The keys of internal ``nodes`` and the table used; the table is read again once
        when a node is not in it (created after it was read)."""
        table = table.result() if isinstance(table, Future) else table
        keys = _keys_in(table, nodes)
        if keys is None:
            table = self._node_keys(label)
            keys = _keys_in(table, nodes)
        if keys is None:
            raise StoreError(
                f"a relationship ends at a node that is not a :{label} (or was deleted while "
                "edges were read); edges join users and groups only"
            )
        return keys, table

    def records(self, entity: Entity) -> Iterator[User | Group | Membership | Referral]:
        entity = Entity(entity)
        if entity is Entity.INTERACTIONS:
            raise ValueError(f"records() does not list {entity}: read edge_batches instead")
        query = _RECORDS[entity]
        with (
            self.session.errors(),
            self.session.session(default_access_mode=neo4j.READ_ACCESS) as session,
        ):
            for record in session.run(query):
                yield _record(entity, record)


def _keys_in(table: np.ndarray, nodes: np.ndarray) -> np.ndarray | None:
    """``table[nodes]``, or None when a node has no key in the table."""
    if nodes.max() >= len(table):
        return None
    keys = table[nodes]
    return None if (keys < 0).any() else keys


def _concat(parts: list[dict[str, np.ndarray]], names: Sequence[str]) -> dict[str, np.ndarray]:
    if len(parts) == 1:
        return parts[0]
    return {n: np.concatenate([p[n] for p in parts]) for n in names}


def _batch(cols: dict[str, np.ndarray], names: Sequence[str], lo: int, hi: int) -> EdgeBatch:
    return EdgeBatch(
        src=cols["src"][lo:hi],
        dst=cols["dst"][lo:hi],
        props={n: cols[n][lo:hi] for n in names[2:]},
    )


def _record(entity: Entity, r: neo4j.Record) -> User | Group | Membership | Referral:
    if entity is Entity.USERS:
        attrs = {
            k.removeprefix(ATTR_PREFIX): v
            for k, v in sorted(r["props"].items())
            if k.startswith(ATTR_PREFIX)
        }
        return User(r["user_id"], r["name"], r["joined_at"], attrs)
    if entity is Entity.GROUPS:
        return Group(r["group_id"], r["name"], r["owner_id"], r["created_at"])
    if entity is Entity.MEMBERSHIPS:
        return Membership(
            r["user_id"], r["group_id"], r["joined_at"], MemberRole(r["role"]), r["left_at"]
        )
    return Referral(r["inviter_id"], r["invitee_id"], r["referred_at"], r["campaign"])


_COUNTS = """
CALL () { MATCH (u:User) RETURN count(u) AS users }
CALL () { MATCH (g:Group) RETURN count(g) AS groups }
CALL () { MATCH ()-[m:MEMBER_OF]->() RETURN count(m) AS memberships }
CALL () { MATCH ()-[r:REFERRED]->() RETURN count(r) AS referrals }
CALL () { MATCH ()-[i:INTERACTED]->() RETURN count(i) AS interactions }
CALL () {
  OPTIONAL MATCH (c:Counter {name: 'interaction_events'})
  RETURN coalesce(c.value, 0) AS interaction_events
}
RETURN users, groups, memberships, referrals, interactions, interaction_events"""

# Edge count (count store), first and last relationship id (the type lookup index, in id
# order: two entries read) and the last user uid.
_EXTRACT_SIZES = {
    kind: f"""CALL () {{ MATCH ()-[r:{kind.value}]->() RETURN count(r) AS edges }}
    CALL () {{
      OPTIONAL MATCH ()-[r:{kind.value}]->() WITH r ORDER BY id(r) LIMIT 1 RETURN id(r) AS first
    }}
    CALL () {{
      OPTIONAL MATCH ()-[r:{kind.value}]->() WITH r ORDER BY id(r) DESC LIMIT 1
      RETURN id(r) AS last
    }}
    OPTIONAL MATCH (s:Sequence {{name: 'user'}})
    RETURN edges, first, last, s.next - 1 AS top"""
    for kind in EdgeKind
}

# Per relationship type: the label of the targets (sources are users) and the Cypher of each
# EDGE_PROPS column.
_EXTRACT: dict[EdgeKind, tuple[str, dict[str, str]]] = {
    EdgeKind.INTERACTED: (
        "User",
        {
            "kind": "r.kind",
            "count": "r.count",
            "weight": "r.weight",
            "days": "r.days",
            "first_at": "coalesce(r.first_at, -1)",
            "last_at": "coalesce(r.last_at, -1)",
        },
    ),
    EdgeKind.REFERRED: ("User", {"referred_at": "coalesce(r.referred_at, -1)"}),
    EdgeKind.MEMBER_OF: (
        "Group",
        {
            "role": "$codes[r.role]",
            "joined_at": "coalesce(r.joined_at, -1)",
            "left_at": "coalesce(r.left_at, -1)",
        },
    ),
}

# The aggregates of a window of days, from the per-day lists kept beside event_days
# (relationships written before those lists count their events evenly over their days).
_IN_WINDOW = "$first_day <= {0} <= $last_day"
_DAY_IN_WINDOW = _IN_WINDOW.format("r.event_days[i]")
_DAY_INDEXES = "range(0, size(r.event_days) - 1)"
_WINDOWED = {
    "count": f"""reduce(n = 0, i IN {_DAY_INDEXES} | n + CASE WHEN {_DAY_IN_WINDOW}
        THEN coalesce(r.day_counts[i], r.count / size(r.event_days)) ELSE 0 END)""",
    "weight": f"""reduce(w = 0.0, i IN {_DAY_INDEXES} | w + CASE WHEN {_DAY_IN_WINDOW}
        THEN coalesce(r.day_weights[i], r.weight / size(r.event_days)) ELSE 0.0 END)""",
    "days": f"size([d IN r.event_days WHERE {_IN_WINDOW.format('d')}])",
}

# Column pairs (high, low, bits) read as one integer ``high * 2**bits + low``, split back with
# ``>> bits`` and ``& (2**bits - 1)``: exact for any high (floor shift, negative codes too)
# whenever 0 <= low < 2**bits, and Cypher raises "long overflow" rather than wrap when high is
# too large. Low is a node id (below 2**50 in every Neo4j store format) or days, the distinct
# days of count events (days <= count, and count * 2**32 overflows from 2**31 on).
_PACKED: dict[EdgeKind, tuple[tuple[str, str, int], ...]] = {
    EdgeKind.INTERACTED: (("kind", "dst", 56), ("count", "days", 32)),
    EdgeKind.REFERRED: (),
    EdgeKind.MEMBER_OF: (("role", "dst", 56),),
}

_DAY_CODE = 1 << CHAT_DAY_BITS


def _interaction_days_query(by_id: bool) -> str:
    """Each relationship's chat days (gid * 2**CHAT_DAY_BITS + day), or its dated event days
    as gid -1, from $first_day on, over one range (see _range_match); the day is the code's
    floor modulo (Cypher's ``%`` keeps the sign of negative codes)."""
    return f"""{_range_match(EdgeKind.INTERACTED, by_id)}
UNWIND coalesce(r.chat_days, [d IN r.event_days WHERE d >= 0 | d - {_DAY_CODE}]) AS code
WITH a, b, code WHERE (code % {_DAY_CODE} + {_DAY_CODE}) % {_DAY_CODE} >= $first_day
RETURN collect(id(a)) AS src, collect(id(b)) AS dst, collect(code) AS code"""


_NODE_KEYS = {
    "User": "MATCH (n:User) RETURN collect(id(n)) AS node, collect(n.uid) AS key",
    "Group": "MATCH (n:Group) RETURN collect(id(n)) AS node, collect(n.gid) AS key",
}


def _extract_query(
    kind: EdgeKind,
    names: Sequence[str],
    pairs: Sequence[tuple[str, str, int]],
    by_id: bool,
    windowed: bool = False,
) -> str:
    """Whole columns ``names`` (src, dst and props checked by edge_props) of the edges with
    relationship ids (``by_id``), else source uids, in [$lo, $hi); the ends as node ids, each
    of ``pairs`` packed into one column ``<high>_<low>`` (see _PACKED). ``windowed``: the
    aggregates of the days $first_day..$last_day (see _WINDOWED)."""
    cypher = {
        "src": "id(a)",
        "dst": "id(b)",
        **_EXTRACT[kind][1],
        **(_WINDOWED if windowed else {}),
    }
    returns = {name: f"collect({cypher[name]}) AS {name}" for name in names}
    for high, low, bits in pairs:
        del returns[high]
        returns[low] = f"collect({_packed(cypher[high], cypher[low], bits)}) AS {high}_{low}"
    match = _range_match(kind, by_id)
    if windowed:
        match += f" AND any(d IN r.event_days WHERE {_IN_WINDOW.format('d')})"
    return f"{match} RETURN {', '.join(returns.values())}"


def _range_match(kind: EdgeKind, by_id: bool) -> str:
    """MATCH of the ``kind`` relationships ``r`` from ``a`` to ``b`` with ids (``by_id``),
    else source uids, in [$lo, $hi)."""
    if by_id:
        return f"MATCH (a)-[r:{kind.value}]->(b) WHERE id(r) IN range($lo, $hi - 1)"
    return f"MATCH (a:User)-[r:{kind.value}]->(b) WHERE a.uid >= $lo AND a.uid < $hi"


def _packed(high: str, low: str, bits: int) -> str:
    """Cypher of the integer ``high * 2**bits + low`` (see _PACKED)."""
    return f"{high} * {1 << bits} + {low}"


def _unpacked(packed: Sequence[int], bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(high, low)`` of integers made by ``_packed(high, low, bits)``."""
    values = np.asarray(packed, dtype=np.int64)
    return values >> bits, values & ((1 << bits) - 1)


_RECORDS = {
    Entity.USERS: """MATCH (u:User) RETURN u.user_id AS user_id, u.name AS name,
        u.joined_at AS joined_at, properties(u) AS props ORDER BY u.user_id""",
    Entity.GROUPS: """MATCH (g:Group) RETURN g.group_id AS group_id, g.name AS name,
        g.owner_id AS owner_id, g.created_at AS created_at ORDER BY g.group_id""",
    Entity.MEMBERSHIPS: """MATCH (u:User)-[m:MEMBER_OF]->(g:Group)
        RETURN u.user_id AS user_id, g.group_id AS group_id, m.joined_at AS joined_at,
               m.role AS role, m.left_at AS left_at ORDER BY user_id, group_id""",
    Entity.REFERRALS: """MATCH (a:User)-[r:REFERRED]->(b:User)
        RETURN a.user_id AS inviter_id, b.user_id AS invitee_id, r.referred_at AS referred_at,
               r.campaign AS campaign ORDER BY invitee_id""",
}
