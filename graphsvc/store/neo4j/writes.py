"""Loads: users, groups, memberships and referrals upserted, interaction events added once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import neo4j

from graphsvc.errors import StoreError
from graphsvc.model import (
    CHAT_DAY_BITS,
    EventColumns,
    Group,
    Interaction,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    User,
    event_day,
)
from graphsvc.store.base import add_events_as_records
from graphsvc.store.neo4j.session import StoreParts

ATTR_PREFIX = "attr_"  # extra user columns become properties attr_<column>
_NEVER = 2**62  # an unknown referral time sorts after every known one
WRITE_CHUNK = 50_000  # interaction relationships per statement, at most


class Writes(StoreParts):
    """Neo4jStore's loads (see the package docstring for how events are added once)."""

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
        return add_events_as_records(self, events)

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        """New events join their (src, dst, kind) relationship; see ``_add_interactions_tx``."""
        pending = _pending_interactions(rows)
        return self.session.write(self._add_interactions_tx, pending) if pending else 0

    @staticmethod
    def _add_interactions_tx(
        tx: neo4j.ManagedTransaction, pending: dict[tuple[str, str, int], list[_Event]]
    ) -> int:
        """Lock the event counter (interaction writers go one at a time, so what is read here
        stays true until commit), look the users up once, then write WRITE_CHUNK
        relationships per statement (see ``_add_chunk``)."""
        if tx.run(_LOCK_EVENTS).single() is None:
            raise StoreError("the Neo4j schema is not initialised: run `graphsvc db init`")
        # internal node ids, so that statements match endpoints by id (a NodeByIdSeek)
        # rather than by the user_id index at every row
        users = {user for triple in pending for user in triple[:2]}
        nodes = _lookup(tx, _USER_NODES, users, "users")
        chats = {e[3] for events in pending.values() for e in events if e[3] is not None}
        gids = _lookup(tx, _GROUP_GIDS, chats, "groups") if chats else {}
        stored = tx.run(_ANY_INTERACTION).single()["any"]
        triples = list(pending)
        added = sum(
            _add_chunk(tx, pending, triples[lo : lo + WRITE_CHUNK], nodes, gids, stored)
            for lo in range(0, len(triples), WRITE_CHUNK)
        )
        tx.run(_COUNT_EVENTS, added=added).consume()
        return added


_Event = tuple[int, int | None, float, str | None]  # key, occurred_at, weight, group_id


def _pending_interactions(rows: Sequence[Interaction]) -> dict[tuple[str, str, int], list[_Event]]:
    """Events grouped per (src, dst, kind code), repeated keys dropped, sorted by source so
    consecutive rows touch the same nodes and pages."""
    groups: dict[tuple[str, str, int], list[_Event]] = {}
    seen: set[int] = set()
    for e in rows:
        key = int(e.key)
        if key in seen:
            continue
        seen.add(key)
        at = None if e.occurred_at is None else int(e.occurred_at)
        triple = (str(e.src_id), str(e.dst_id), InteractionKind(e.kind).code)
        groups.setdefault(triple, []).append((key, at, float(e.weight), e.group_id))
    return {t: groups[t] for t in sorted(groups)}


def _lookup(tx: neo4j.ManagedTransaction, query: str, ids: set[str], what: str) -> dict[str, int]:
    """``query``'s ``value`` for each of ``ids`` (``keys``), looked up once per transaction;
    StoreError naming the first missing ones (``what``: users or groups)."""
    found = tx.run(query, ids=list(ids)).single()
    values = dict(zip(found["keys"], found["values"], strict=True))
    if len(values) < len(ids):
        missing = sorted(ids - values.keys())
        raise StoreError(f"interactions name unknown {what} {missing[:5]}: ensure_{what} first")
    return values


def _add_chunk(
    tx: neo4j.ManagedTransaction,
    pending: dict[tuple[str, str, int], list[_Event]],
    triples: list[tuple[str, str, int]],
    nodes: dict[str, int],
    gids: dict[str, int],
    stored: bool,
) -> int:
    """Events of ``triples`` added: read the relationships they already have (only if any
    is ``stored``), compare key sets in Python (a bot sending one user 100k messages stays
    linear), CREATE the missing relationships and SET the others. The CREATE is not waited
    for: the server runs it while the client prepares the next chunk."""
    ends = {
        "s": [nodes[t[0]] for t in triples],
        "d": [nodes[t[1]] for t in triples],
        "k": [t[2] for t in triples],
    }
    found: dict[int, dict[str, Any]] = {}
    if stored:
        row = tx.run(_FIND_INTERACTIONS, ends).single()
        found = dict(zip(row["rows"], row["rels"], strict=True))
    new = [i for i in range(len(triples)) if i not in found]
    if new:
        columns = {name: [ends[name][i] for i in new] for name in ends}
        totals = _totals([pending[triples[i]] for i in new], gids)
        tx.run(_CREATE_INTERACTIONS, **columns, **totals)
    added = sum(len(pending[triples[i]]) for i in new)
    updates = [
        (rel, fresh)
        for i, rel in found.items()
        for known in (set(rel["keys"]),)
        if (fresh := [e for e in pending[triples[i]] if e[0] not in known])
    ]
    if updates:
        rels = [rel for rel, _ in updates]
        totals = _totals([fresh for _, fresh in updates], gids, rels)
        tx.run(_UPDATE_INTERACTIONS, ids=[r["id"] for r in rels], **totals)
        added += sum(len(fresh) for _, fresh in updates)
    return added


def _totals(
    events: list[list[_Event]], gids: dict[str, int], stored: list[dict[str, Any]] | None = None
) -> dict[str, list]:
    """Columns ``n``, ``w``, ``f``, ``l``, ``keys``, ``days``, ``day_list``, ``day_counts``,
    ``day_weights``, ``chat_days``: count, weight sum, first and last time (None when
    unknown), keys, number and list of distinct UTC days (with the events and weight of each)
    of each relationship after adding ``events`` to its ``stored`` totals
    (none: new relationships), and its ``chat_days`` (see ``chat_days``); ``keys`` holds only
    the added keys."""
    names = ("n", "w", "f", "l", "keys", "days", "day_list", "day_counts", "day_weights")
    names += ("chat_days",)
    out: dict[str, list] = {k: [] for k in names}
    for i, group in enumerate(events):
        old = stored[i] if stored else {"n": 0, "w": 0.0, "f": None, "l": None, "dl": None}
        ats = [at for _, at, _, _ in group if at is not None]
        if old["f"] is not None:
            ats.append(old["f"])
            ats.append(old["l"])
        out["n"].append(old["n"] + len(group))
        out["w"].append(old["w"] + sum(w for _, _, w, _ in group))
        out["f"].append(min(ats, default=None))
        out["l"].append(max(ats, default=None))
        out["keys"].append([key for key, _, _, _ in group])
        per_day = _per_day(old)
        for _, at, weight, _ in group:
            count, total = per_day.get(event_day(at), (0, 0.0))
            per_day[event_day(at)] = (count + 1, total + weight)
        days = sorted(per_day)
        out["days"].append(len(days))
        out["day_list"].append(days)
        out["day_counts"].append([per_day[d][0] for d in days])
        out["day_weights"].append([per_day[d][1] for d in days])
        out["chat_days"].append(chat_days(group, gids, old.get("cd"), old["dl"]))
    return out


def _per_day(old: dict[str, Any]) -> dict[int, tuple[int, float]]:
    """A stored relationship's (count, weight) per day (written before those were kept:
    its events spread evenly over its days)."""
    days = old["dl"] or []
    if not days:
        return {}
    counts = old.get("dc") or [old["n"] // len(days)] * len(days)
    weights = old.get("dw") or [old["w"] / len(days)] * len(days)
    return {d: (c, w) for d, c, w in zip(days, counts, weights, strict=True)}


def chat_days(
    group: list[_Event], gids: dict[str, int], old: list[int] | None, old_days: list[int] | None
) -> list[int] | None:
    """A relationship's distinct (group, day) of dated events since 1970, as
    gid * 2**CHAT_DAY_BITS + day (gid -1: no group named), once an event names a group;
    None while none has (its event_days say it all)."""
    if old is None and all(e[3] is None for e in group):
        return None
    if old is None:  # the days stored so far named no group
        old = [(-1 << CHAT_DAY_BITS) + d for d in old_days or () if d >= 0]
    fresh = {
        ((gids[chat] if chat is not None else -1) << CHAT_DAY_BITS) + event_day(at)
        for _, at, _, chat in group
        if at is not None and at >= 0
    }
    return sorted(set(old) | fresh)


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
                keys: r.event_keys, dl: r.event_days, dc: r.day_counts, dw: r.day_weights,
                cd: r.chat_days}) AS rels"""

# kind, count, weight and days first: the properties analysis reads share property records.
_CREATE_INTERACTIONS = """
UNWIND range(0, size($s) - 1) AS i
MATCH (a:User), (b:User) WHERE id(a) = $s[i] AND id(b) = $d[i]
CREATE (a)-[:INTERACTED {kind: $k[i], count: $n[i], weight: $w[i], days: $days[i],
                         first_at: $f[i], last_at: $l[i], event_keys: $keys[i],
                         event_days: $day_list[i], day_counts: $day_counts[i],
                         day_weights: $day_weights[i], chat_days: $chat_days[i]}]->(b)"""

_UPDATE_INTERACTIONS = """
UNWIND range(0, size($ids) - 1) AS i
MATCH ()-[r:INTERACTED]->() WHERE elementId(r) = $ids[i]
SET r.count = $n[i], r.weight = $w[i], r.days = $days[i], r.first_at = $f[i],
    r.last_at = $l[i], r.event_keys = r.event_keys + $keys[i], r.event_days = $day_list[i],
    r.day_counts = $day_counts[i], r.day_weights = $day_weights[i], r.chat_days = $chat_days[i]"""

_COUNT_EVENTS = """
MATCH (c:Counter {name: 'interaction_events'}) SET c.value = c.value + $added REMOVE c._lock"""
