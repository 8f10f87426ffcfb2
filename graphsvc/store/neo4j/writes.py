"""Loads: users, groups, memberships and referrals upserted, interaction events added once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from typing import Any

import neo4j
import numpy as np

from graphsvc.errors import StoreError
from graphsvc.model import (
    EventColumns,
    Group,
    Interaction,
    MemberRole,
    Membership,
    Referral,
    User,
    event_keys,
)
from graphsvc.model.order import lex_order
from graphsvc.store.neo4j.ledger import known_keys, ledger_slots, move_event_keys, write_parts
from graphsvc.store.neo4j.session import StoreParts
from graphsvc.store.neo4j.totals import PairTotals, pair_totals, ranges, with_stored

ATTR_PREFIX = "attr_"  # extra user columns become properties attr_<column>
_NEVER = 2**62  # an unknown referral time sorts after every known one
WRITE_CHUNK = 50_000  # interaction relationships per statement, at most
EVENTS_PER_TX = 200_000  # new events per transaction, about (a relationship's all in one)


class Writes(StoreParts):
    """Neo4jStore's loads (see the package docstring for how events are added once)."""

    _ledger_ready = False  # this store has moved any event_keys into the ledger

    def check_writable(self) -> None:
        """Nothing to check ahead: the server decides per transaction."""

    @contextmanager
    def load_lock(self) -> Iterator[None]:
        """A transaction of its own holding the write lock of ``(:Lock {name: 'loads'})``
        until the load is done, then rolled back (it changes nothing); the server releases
        it if the process dies."""
        with self.session.session() as session:
            with self.session.errors():
                tx = session.begin_transaction()
                locked = tx.run(_TAKE_LOAD_LOCK).single()
            try:
                if locked is None:
                    raise StoreError("the Neo4j schema is not initialised: run `graphsvc db init`")
                yield
            finally:
                with suppress(Exception):  # the lock goes with the transaction either way
                    tx.close()

    @staticmethod
    def _ensure_tx(tx: neo4j.ManagedTransaction, label: str, ids: Sequence[str]) -> int:
        """Create bare nodes for ids not yet stored, with consecutive integer ids; the
        sequence node is locked first, so concurrent writers never hand out an id twice."""
        ids = list(dict.fromkeys(str(i) for i in ids))
        if not ids:
            return 0
        if label == "User":
            seq, find, create = "user", _FRESH_USERS, _CREATE_USERS
        else:
            seq, find, create = "group", _FRESH_GROUPS, _CREATE_GROUPS
        base = tx.run(_LOCK_SEQUENCE, name=seq).single()
        if base is None:
            raise StoreError("the Neo4j schema is not initialised: run `graphsvc db init`")
        fresh = tx.run(find, ids=ids).single()["fresh"]
        if fresh:
            tx.run(create, ids=fresh, base=base["next"]).consume()
        tx.run(_UNLOCK_SEQUENCE, name=seq, next=base["next"] + len(fresh)).consume()
        return len(fresh)

    def ensure_users(self, user_ids: Sequence[str]) -> int:
        return self.session.write(self._ensure_tx, "User", user_ids)

    def ensure_groups(self, group_ids: Sequence[str]) -> int:
        return self.session.write(self._ensure_tx, "Group", group_ids)

    def upsert_users(self, rows: Sequence[User]) -> int:
        merged: dict[str, dict[str, Any]] = {}
        for u in rows:  # later rows win field by field, as sequential upserts would
            row = merged.setdefault(str(u.user_id), {"id": str(u.user_id), "attrs": {}})
            if u.name is not None:
                row["name"] = u.name
            if u.joined_at is not None:
                row["joined_at"] = int(u.joined_at)
            row["attrs"].update({ATTR_PREFIX + str(k): str(v) for k, v in u.attributes.items()})
        params = [{"name": None, "joined_at": None, **r} for r in merged.values()]

        def work(tx: neo4j.ManagedTransaction) -> int:
            created = self._ensure_tx(tx, "User", list(merged))
            tx.run(_UPSERT_USERS, rows=params).consume()
            return created

        return self.session.write(work)

    def upsert_groups(self, rows: Sequence[Group]) -> int:
        merged: dict[str, dict[str, Any]] = {}
        for g in rows:
            row = merged.setdefault(str(g.group_id), {"id": str(g.group_id)})
            for name in ("name", "owner_id", "created_at"):
                value = getattr(g, name)
                if value is not None:
                    row[name] = value
        params = [
            {"name": None, "owner_id": None, "created_at": None, **r} for r in merged.values()
        ]
        owners = [r["owner_id"] for r in params if r["owner_id"] is not None]

        def work(tx: neo4j.ManagedTransaction) -> int:
            self._ensure_tx(tx, "User", owners)
            created = self._ensure_tx(tx, "Group", list(merged))
            tx.run(_UPSERT_GROUPS, rows=params).consume()
            return created

        return self.session.write(work)

    def upsert_memberships(self, rows: Sequence[Membership]) -> int:
        params = [
            {
                "user": str(m.user_id),
                "group": str(m.group_id),
                "joined_at": m.joined_at,
                "role": MemberRole(m.role).value,
                "left_at": m.left_at,
            }
            for m in rows
        ]

        def work(tx: neo4j.ManagedTransaction) -> int:
            summary = tx.run(_UPSERT_MEMBERSHIPS, rows=params).consume()
            return summary.counters.relationships_created

        return self.session.write(work)

    def upsert_referrals(self, rows: Sequence[Referral]) -> int:
        best: dict[str, tuple[tuple[int, str], Referral]] = {}
        for r in rows:  # the batch's own winner per invitee, then one comparison in Cypher
            order = (_NEVER if r.referred_at is None else int(r.referred_at), str(r.inviter_id))
            if r.invitee_id not in best or order < best[r.invitee_id][0]:
                best[str(r.invitee_id)] = (order, r)
        params = [
            {
                "inviter": str(r.inviter_id),
                "invitee": str(r.invitee_id),
                "referred_at": r.referred_at,
                "order_at": order[0],
                "campaign": r.campaign,
            }
            for order, r in best.values()
        ]

        def work(tx: neo4j.ManagedTransaction) -> int:
            return tx.run(_UPSERT_REFERRALS, rows=params, never=_NEVER).single()["first"]

        return self.session.write(work)

    def add_events(self, events: EventColumns) -> int:
        return self._add_keyed(events, event_keys(events))

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        """Events given one by one, each identified by its own ``key``."""
        if not rows:
            return 0
        keys = np.fromiter((int(e.key) for e in rows), np.int64, len(rows))
        return self._add_keyed(EventColumns.of(rows), keys)

    def _add_keyed(self, events: EventColumns, keys: np.ndarray) -> int:
        """Add the events whose fingerprint ``keys`` the ledger does not hold (the first of
        a key repeated in the input): read the ledger slots they fall in once, then write
        them in transactions of about EVENTS_PER_TX events sorted by relationship, each
        relationship's new events in one transaction (see ``_add_batch``)."""
        first = np.sort(np.unique(keys, return_index=True)[1])  # in input order
        slots = ledger_slots(events.at, events.dated)
        if not self._ledger_ready:  # relationships written before it hand their keys over
            move_event_keys(self.session)
            self._ledger_ready = True
        state = self.session.read(_read_state, np.unique(slots[first]), events.ids)
        fresh = first[~_isin_sorted(keys[first], state.known)]
        if not len(fresh):
            return 0
        fresh = fresh[lex_order(events.kind[fresh], events.dst[fresh], events.src[fresh])]
        gids = self.session.read(_group_gids, events.groups) if len(events.groups) else []
        chat = np.append(np.asarray(gids, dtype=np.int64), -1)[events.group]
        columns = _Batch(
            state.nodes[events.src], state.nodes[events.dst], events.kind.astype(np.int64),
            events.at, events.dated, events.weight, chat, keys, slots,
        )  # fmt: skip
        added = 0
        for part in _cut(fresh, columns, EVENTS_PER_TX):
            added += self.session.write(_add_batch, columns.take(part), state)
        return added


@dataclass(frozen=True)
class _Batch:
    """Events as columns, their users as internal node ids, their group as its gid (-1)."""

    src: np.ndarray
    dst: np.ndarray
    kind: np.ndarray
    at: np.ndarray
    dated: np.ndarray
    weight: np.ndarray
    chat: np.ndarray
    key: np.ndarray
    slot: np.ndarray

    def take(self, rows: np.ndarray) -> _Batch:
        return _Batch(*(getattr(self, f.name)[rows] for f in fields(self)))


@dataclass
class _State:
    """What a load read before writing: the fingerprints of its slots (sorted), the users'
    node ids, the event counter and whether any relationship was stored. Each write
    transaction checks the counter: another writer in between means reading again."""

    known: np.ndarray
    nodes: np.ndarray
    counter: int
    stored: bool


def _read_state(tx: neo4j.ManagedTransaction, slots: np.ndarray, ids: np.ndarray) -> _State:
    counter = tx.run(_EVENT_COUNTER).single()
    if counter is None:
        raise StoreError("the Neo4j schema is not initialised: run `graphsvc db init`")
    nodes = _lookup(tx, _USER_NODES, ids.tolist(), "users")
    stored = tx.run(_ANY_INTERACTION).single()["any"]
    return _State(known_keys(tx, slots), nodes, counter["value"], stored)


def _group_gids(tx: neo4j.ManagedTransaction, groups: np.ndarray) -> np.ndarray:
    return _lookup(tx, _GROUP_GIDS, groups.tolist(), "groups")


def _lookup(tx: neo4j.ManagedTransaction, query: str, ids: list[str], what: str) -> np.ndarray:
    """``query``'s ``value`` for each of ``ids`` (``keys``), in their order; StoreError
    naming the first missing ones (``what``: users or groups)."""
    found = tx.run(query, ids=ids).single()
    values = dict(zip(found["keys"], found["values"], strict=True))
    if len(values) < len(set(ids)):
        missing = sorted(set(ids) - values.keys())
        raise StoreError(f"interactions name unknown {what} {missing[:5]}: ensure_{what} first")
    return np.array([values[i] for i in ids], dtype=np.int64)


def _isin_sorted(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``np.isin(values, table)`` for a sorted ``table``, by binary search."""
    if not len(table):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return table[at] == values


def _cut(rows: np.ndarray, batch: _Batch, size: int) -> Iterator[np.ndarray]:
    """``rows`` (sorted by relationship) in pieces of about ``size``, cut where a
    relationship ends."""
    src, dst, kind = batch.src[rows], batch.dst[rows], batch.kind[rows]
    ends = np.flatnonzero(
        np.r_[(src[1:] != src[:-1]) | (dst[1:] != dst[:-1]) | (kind[1:] != kind[:-1]), True]
    )
    lo = 0
    while lo < len(rows):
        hi = int(ends[min(np.searchsorted(ends, lo + size - 1), len(ends) - 1)]) + 1
        yield rows[lo:hi]
        lo = hi


def _add_batch(tx: neo4j.ManagedTransaction, batch: _Batch, state: _State) -> int:
    """One transaction: lock the event counter (interaction writers go one at a time); if
    another writer added events since ``state`` was read, read the batch's ledger slots
    again; CREATE the relationships not stored (WRITE_CHUNK per statement, not waited for:
    the server runs one while the client prepares the next), SET the stored ones (read
    first, and only if any relationship was stored before this load), write the
    fingerprints to the ledger and count the events."""
    counter = tx.run(_LOCK_EVENTS).single()["value"]
    if counter != state.counter:
        batch = batch.take(~_isin_sorted(batch.key, known_keys(tx, np.unique(batch.slot))))
        state.stored = tx.run(_ANY_INTERACTION).single()["any"]
    totals = pair_totals(
        batch.src, batch.dst, batch.kind, batch.at, batch.dated, batch.weight, batch.chat
    )
    found = np.empty(0, dtype=np.int64)
    stored: list[dict[str, Any]] = []
    if state.stored:
        ends = {"s": totals.src.tolist(), "d": totals.dst.tolist(), "k": totals.kind.tolist()}
        row = tx.run(_FIND_INTERACTIONS, ends).single()
        found, stored = np.asarray(row["rows"], dtype=np.int64), row["rels"]
    fresh = np.setdiff1d(np.arange(len(totals)), found)
    pending = [
        tx.run(_CREATE_INTERACTIONS, _columns(totals, fresh[lo : lo + WRITE_CHUNK]))
        for lo in range(0, len(fresh), WRITE_CHUNK)
    ]
    if len(found):
        merged = with_stored(totals, found, stored)
        tx.run(
            _UPDATE_INTERACTIONS,
            ids=[r["id"] for r in stored],
            **_columns(merged, np.arange(len(merged))),
        ).consume()
    created = sum(result.consume().counters.relationships_created for result in pending)
    if created != len(fresh):
        raise StoreError("users were deleted while their interactions were loaded: load again")
    write_parts(tx, batch.slot, batch.key)
    tx.run(_COUNT_EVENTS, added=len(batch.key)).consume()
    state.counter = counter + len(batch.key)
    return len(batch.key)


def _columns(totals: PairTotals, rows: np.ndarray) -> dict[str, list]:
    """Statement parameters for relationships ``rows`` of ``totals``: one list per property,
    lists of each relationship as slices ``[o[i]..o[i + 1]]`` of one flat list."""
    day_rel, day_at = ranges(totals.day_offsets, rows)
    chat_rel, chat_at = ranges(totals.chat_offsets, rows)
    dated = totals.dated[rows]
    return {
        "s": totals.src[rows].tolist(),
        "d": totals.dst[rows].tolist(),
        "k": totals.kind[rows].tolist(),
        "n": totals.count[rows].tolist(),
        "w": totals.weight[rows].tolist(),
        "f": np.where(dated, totals.first_at[rows], None).tolist(),
        "l": np.where(dated, totals.last_at[rows], None).tolist(),
        "do": np.r_[0, np.cumsum(np.bincount(day_rel, minlength=len(rows)))].tolist(),
        "day": totals.day[day_at].tolist(),
        "dc": totals.day_count[day_at].tolist(),
        "dw": totals.day_weight[day_at].tolist(),
        "named": totals.named[rows].tolist(),
        "co": np.r_[0, np.cumsum(np.bincount(chat_rel, minlength=len(rows)))].tolist(),
        "cd": totals.chat_day[chat_at].tolist(),
    }


_TAKE_LOAD_LOCK = "MATCH (l:Lock {name: 'loads'}) SET l._lock = true RETURN l"

_LOCK_SEQUENCE = "MATCH (s:Sequence {name: $name}) SET s._lock = true RETURN s.next AS next"

_UNLOCK_SEQUENCE = "MATCH (s:Sequence {name: $name}) SET s.next = $next REMOVE s._lock"

_FRESH_USERS = """
UNWIND $ids AS id
WITH id WHERE NOT EXISTS { MATCH (:User {user_id: id}) }
RETURN collect(id) AS fresh"""

_CREATE_USERS = """
UNWIND range(0, size($ids) - 1) AS i
CREATE (:User {user_id: $ids[i], uid: $base + i})"""

_FRESH_GROUPS = """
UNWIND $ids AS id
WITH id WHERE NOT EXISTS { MATCH (:Group {group_id: id}) }
RETURN collect(id) AS fresh"""

_CREATE_GROUPS = """
UNWIND range(0, size($ids) - 1) AS i
CREATE (:Group {group_id: $ids[i], gid: $base + i})"""

_UPSERT_USERS = """
UNWIND $rows AS row
MATCH (u:User {user_id: row.id})
SET u.name = coalesce(row.name, u.name), u.joined_at = coalesce(row.joined_at, u.joined_at)
SET u += row.attrs"""

_UPSERT_GROUPS = """
UNWIND $rows AS row
MATCH (g:Group {group_id: row.id})
SET g.name = coalesce(row.name, g.name),
    g.owner_id = coalesce(row.owner_id, g.owner_id),
    g.created_at = coalesce(row.created_at, g.created_at)"""

_UPSERT_MEMBERSHIPS = """
UNWIND $rows AS row
MATCH (u:User {user_id: row.user})
MATCH (g:Group {group_id: row.group})
MERGE (u)-[m:MEMBER_OF]->(g)
SET m.left_at = CASE WHEN row.left_at IS NOT NULL THEN row.left_at
                    WHEN row.joined_at > m.left_at THEN null ELSE m.left_at END
SET m.joined_at = coalesce(row.joined_at, m.joined_at), m.role = row.role"""

# Replace the stored inviter only by a strictly earlier (referred_at, inviter_id).
_UPSERT_REFERRALS = """
UNWIND $rows AS row
MATCH (invitee:User {user_id: row.invitee})
MATCH (inviter:User {user_id: row.inviter})
OPTIONAL MATCH (old_inviter:User)-[old:REFERRED]->(invitee)
WITH row, inviter, invitee, old, old_inviter, coalesce(old.referred_at, $never) AS old_at
WITH row, inviter, invitee, old,
     old IS NULL OR row.order_at < old_at
       OR (row.order_at = old_at AND row.inviter < old_inviter.user_id) AS wins
CALL (row, inviter, invitee, old, wins) {
  WITH * WHERE wins
  DELETE old
  CREATE (inviter)-[:REFERRED {referred_at: row.referred_at, campaign: row.campaign}]->(invitee)
}
RETURN count(CASE WHEN old IS NULL THEN 1 END) AS first"""

_EVENT_COUNTER = "MATCH (c:Counter {name: 'interaction_events'}) RETURN c.value AS value"

# Interaction writers lock the event counter first and keep it until commit.
_LOCK_EVENTS = """
MATCH (c:Counter {name: 'interaction_events'}) SET c._lock = true RETURN c.value AS value"""

_ANY_INTERACTION = "MATCH ()-[r:INTERACTED]->() RETURN count(r) > 0 AS any"  # the count store

_GROUP_GIDS = """
UNWIND $ids AS key
MATCH (g:Group {group_id: key})
RETURN collect(key) AS keys, collect(g.gid) AS values"""

_USER_NODES = """
UNWIND $ids AS key
MATCH (u:User {user_id: key})
RETURN collect(key) AS keys, collect(id(u)) AS values"""

# Relationships (src, dst, kind) already stored for columns s, d (node ids), k, by position.
_FIND_INTERACTIONS = """
UNWIND range(0, size($s) - 1) AS i
MATCH (a:User), (b:User) WHERE id(a) = $s[i] AND id(b) = $d[i]
MATCH (a)-[r:INTERACTED {kind: $k[i]}]->(b)
RETURN collect(i) AS rows,
       collect({id: elementId(r), n: r.count, w: r.weight, f: r.first_at, l: r.last_at,
                dl: r.event_days, dc: r.day_counts, dw: r.day_weights,
                cd: r.chat_days}) AS rels"""

# kind, count, weight and days first: the properties analysis reads share property records.
# A relationship of one day keeps no day_counts / day_weights: its count and weight say it
# (readers take count / size(event_days) where day_counts is missing: exact for one day).
_CREATE_INTERACTIONS = """
UNWIND range(0, size($s) - 1) AS i
MATCH (a:User), (b:User) WHERE id(a) = $s[i] AND id(b) = $d[i]
CREATE (a)-[:INTERACTED {kind: $k[i], count: $n[i], weight: $w[i],
                         days: $do[i + 1] - $do[i], first_at: $f[i], last_at: $l[i],
                         event_days: $day[$do[i]..$do[i + 1]],
                         day_counts: CASE WHEN $do[i + 1] - $do[i] > 1
                                          THEN $dc[$do[i]..$do[i + 1]] END,
                         day_weights: CASE WHEN $do[i + 1] - $do[i] > 1
                                           THEN $dw[$do[i]..$do[i + 1]] END,
                         chat_days: CASE WHEN $named[i] THEN $cd[$co[i]..$co[i + 1]] END}]->(b)"""

_UPDATE_INTERACTIONS = """
UNWIND range(0, size($ids) - 1) AS i
MATCH ()-[r:INTERACTED]->() WHERE elementId(r) = $ids[i]
SET r.count = $n[i], r.weight = $w[i], r.days = $do[i + 1] - $do[i], r.first_at = $f[i],
    r.last_at = $l[i], r.event_days = $day[$do[i]..$do[i + 1]],
    r.day_counts = CASE WHEN $do[i + 1] - $do[i] > 1 THEN $dc[$do[i]..$do[i + 1]] END,
    r.day_weights = CASE WHEN $do[i + 1] - $do[i] > 1 THEN $dw[$do[i]..$do[i + 1]] END,
    r.chat_days = CASE WHEN $named[i] THEN $cd[$co[i]..$co[i + 1]] END"""

_COUNT_EVENTS = """
MATCH (c:Counter {name: 'interaction_events'}) SET c.value = c.value + $added REMOVE c._lock"""
