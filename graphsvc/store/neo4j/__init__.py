"""The Neo4j store: the property graph of the README's "Input files" in a Neo4j 5 server, over Bolt.

Layout (see ``schema.cypher`` beside this package, linked from ``cypher/``):

- ``(:User {user_id, uid, name, joined_at, attr_<name>...})``; ``uid`` is a compact integer
  handed out by ``(:Sequence {name: 'user'})`` so edges read back as integer columns.
- ``(:Group {group_id, gid, name, owner_id, created_at})``.
- ``(:User)-[:MEMBER_OF {joined_at, role}]->(:Group)``.
- ``(:User)-[:REFERRED {referred_at, campaign}]->(:User)``: at most one per invitee, the
  earliest ``(referred_at, inviter user_id)`` wins whatever the load order.
- ``(:User)-[:INTERACTED {kind, count, weight, days, first_at, last_at, event_days, ...}]->
  (:User)``: one per (src, dst, kind); ``kind`` is the InteractionKind code (0..6).
- ``(:EventLedger {slot, keys})``: the 63-bit fingerprints of the events stored, by UTC day
  (``ledger.py``), so adding a known event again changes nothing.

Every write call is one transaction of parameterized ``UNWIND`` statements (labels and types are
constants, never built from input), run through ``execute_write`` so transient errors
(deadlocks, leader switches) are retried.

Analysis runs are written under their ``run_id``: ``(:AnalysisRun {complete: false})``, then
``(:UserResult)``, ``(:Community)`` with ``IN_COMMUNITY`` / ``LED_BY`` relationships and
``(:GroupResult)`` nodes in batches, and finally one small transaction marks the run complete
and current. Readers only ever look at complete runs (queries in ``cypher/queries`` start from
``(:AnalysisRun {current: true})``), so they see the previous run until the switch, and a run
that fails midway is invisible; its leftovers are removed by the next successful run.
Result values are not copied onto ``:User``: that would make the switch O(users) and let
readers of ``u.influence`` see a half-copied run; queries join ``(:UserResult {run_id})``.

Interactions (``writes.py``): a load computes its events' fingerprints, reads the ledger
slots (days) they fall in and the users' internal node ids once, and keeps the events not
seen; it aggregates them per (src, dst, kind) with numpy (``totals.py``) and writes them in
transactions of about EVENTS_PER_TX events, a relationship's new events all in one, each
taking the event counter's lock first (interaction writers run one at a time, and one that
finds the counter moved since its read reads its slots again). A transaction CREATEs the new
relationships (endpoints matched by node id, a NodeByIdSeek; every statement on whole
parameter columns, list properties as slices of one flat list), SETs the stored ones (read
first, only if any relationship was stored before the load), and writes its fingerprints to
the ledger, so a load killed midway is completed by loading again.
"""

from graphsvc.store.neo4j.schema import schema_statements
from graphsvc.store.neo4j.session import DEFAULT_PASSWORD, Neo4jSession, neo4j_login
from graphsvc.store.neo4j.store import Neo4jStore, open_neo4j
from graphsvc.store.neo4j.writes import ATTR_PREFIX

__all__ = [
    "ATTR_PREFIX",
    "DEFAULT_PASSWORD",
    "Neo4jSession",
    "Neo4jStore",
    "neo4j_login",
    "open_neo4j",
    "schema_statements",
]
