"""The event ledger: fingerprints of the interaction events stored, kept apart from the graph.

An event is added once: its 63-bit fingerprint (``event_key``) goes into
``(:EventLedger {slot, keys})`` nodes in the transaction that adds it to its relationship. A
slot is the event's UTC day (``UNDATED_DAY`` for undated events), so a load reads only the
days it delivers — a daily export overlapping the last week reads that week's fingerprints,
not the whole history. Each transaction of a load writes one node per slot it touched with
its keys sorted (a ``long[]``: 8 bytes a key); slots that grow past ``COMPACT_PARTS`` nodes are
merged into one. Fingerprints that stores written before the ledger kept as ``event_keys``
arrays on their relationships move into the ``LEGACY_SLOT``, which every load reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j
import numpy as np

from graphsvc.model import DAY_SECONDS, UNDATED_DAY
from graphsvc.store.neo4j.session import Neo4jSession

__all__ = [
    "LEGACY_SLOT",
    "LedgerParts",
    "known_keys",
    "ledger_parts",
    "ledger_slots",
    "migrate_event_keys",
    "move_event_keys",
    "write_parts",
]

LEGACY_SLOT = UNDATED_DAY - 1  # fingerprints moved from relationships written before the ledger
PART_KEYS = 1 << 18  # keys per ledger node, at most
COMPACT_PARTS = 64  # a slot with more nodes than this is merged into one per PART_KEYS
MIGRATE_RELATIONSHIPS = 100_000  # relationships per transaction moving event_keys
LEDGER_MARKER = "event_ledger"  # (:Counter {name}) present once event_keys have moved


@dataclass(frozen=True)
class LedgerParts:
    """Ledger nodes to write: node i holds ``keys[offsets[i]:offsets[i + 1]]`` (sorted)."""

    slot: np.ndarray  # int64
    offsets: np.ndarray  # int64, len + 1
    keys: np.ndarray  # int64


def ledger_slots(at: np.ndarray, dated: np.ndarray) -> np.ndarray:
    """The ledger slot of each event: its UTC day, ``UNDATED_DAY`` when it has no time."""
    return np.where(dated, at // DAY_SECONDS, UNDATED_DAY).astype(np.int64)


def ledger_parts(slots: np.ndarray, keys: np.ndarray) -> LedgerParts:
    """``keys`` (distinct) grouped into nodes by slot, sorted, at most PART_KEYS a node."""
    order = np.lexsort((keys, slots))
    slots, keys = slots[order], keys[order]
    new_slot = np.r_[len(slots) > 0, slots[1:] != slots[:-1]]
    run_start = np.maximum.accumulate(np.where(new_slot, np.arange(len(slots)), 0))
    starts = np.flatnonzero(new_slot | ((np.arange(len(slots)) - run_start) % PART_KEYS == 0))
    return LedgerParts(slots[starts], np.r_[starts, len(keys)].astype(np.int64), keys)


def known_keys(tx: neo4j.ManagedTransaction, slots: np.ndarray) -> np.ndarray:
    """The sorted fingerprints stored in ``slots`` and the legacy slot."""
    wanted = np.union1d(slots, [LEGACY_SLOT]).tolist()
    parts = tx.run(_READ_SLOTS, slots=wanted).single()["keys"]
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.sort(np.concatenate([np.asarray(p, dtype=np.int64) for p in parts]))


def write_parts(tx: neo4j.ManagedTransaction, slots: np.ndarray, keys: np.ndarray) -> None:
    """Ledger nodes holding ``keys`` (distinct, none stored yet) by their ``slots``; slots
    that now have more than COMPACT_PARTS nodes are merged."""
    if not len(keys):
        return
    parts = ledger_parts(slots, keys)
    _create(tx, parts)
    crowded = tx.run(_CROWDED, slots=np.unique(parts.slot).tolist(), most=COMPACT_PARTS)
    for row in list(crowded):
        merged = np.concatenate([np.asarray(k, dtype=np.int64) for k in row["keys"]])
        tx.run(_DELETE_PARTS, ids=row["ids"]).consume()
        _create(tx, ledger_parts(np.full(len(merged), row["slot"], dtype=np.int64), merged))


def _create(tx: neo4j.ManagedTransaction, parts: LedgerParts) -> None:
    tx.run(
        _CREATE_PARTS,
        slot=parts.slot.tolist(),
        off=parts.offsets.tolist(),
        keys=parts.keys.tolist(),
    ).consume()


def move_event_keys(session: Neo4jSession) -> None:
    """Move every relationship's ``event_keys`` into the ledger, MIGRATE_RELATIONSHIPS a
    transaction (at once when the ledger marker says it was done)."""
    while not session.write(migrate_event_keys):
        pass


def migrate_event_keys(tx: neo4j.ManagedTransaction) -> bool:
    """Move the ``event_keys`` of up to MIGRATE_RELATIONSHIPS relationships into the legacy
    slot; True once none is left (then the ledger marker is set)."""
    if tx.run(_MARKED, name=LEDGER_MARKER).peek():
        return True
    found = tx.run(_TAKE_EVENT_KEYS, n=MIGRATE_RELATIONSHIPS).single()
    if found["taken"]:
        keys = np.unique(np.concatenate([np.asarray(k, dtype=np.int64) for k in found["keys"]]))
        write_parts(tx, np.full(len(keys), LEGACY_SLOT, dtype=np.int64), keys)
        return False
    tx.run(_MARK, name=LEDGER_MARKER).consume()
    return True


_READ_SLOTS = """
UNWIND $slots AS slot
MATCH (l:EventLedger {slot: slot})
RETURN collect(l.keys) AS keys"""

_CREATE_PARTS = """
UNWIND range(0, size($slot) - 1) AS i
CREATE (:EventLedger {slot: $slot[i], keys: $keys[$off[i]..$off[i + 1]]})"""

_CROWDED = """
UNWIND $slots AS slot
MATCH (l:EventLedger {slot: slot})
WITH slot, collect(l) AS parts
WHERE size(parts) > $most
RETURN slot, [p IN parts | elementId(p)] AS ids, [p IN parts | p.keys] AS keys"""

_DELETE_PARTS = """
UNWIND $ids AS id
MATCH (l:EventLedger) WHERE elementId(l) = id
DELETE l"""

_MARKED = "MATCH (c:Counter {name: $name}) RETURN c"

_MARK = "MERGE (c:Counter {name: $name}) ON CREATE SET c.value = 1"

_TAKE_EVENT_KEYS = """
OPTIONAL MATCH ()-[r:INTERACTED]->() WHERE r.event_keys IS NOT NULL
WITH r LIMIT $n
WITH collect(r) AS rels, collect(r.event_keys) AS keys
FOREACH (r IN rels | REMOVE r.event_keys)
RETURN size(rels) AS taken, keys"""
