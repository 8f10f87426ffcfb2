"""The Neo4j store: the property graph of the README's "Input files" in a Neo4j 5 server, over Bolt.

Layout (see ``schema.cypher`` beside this package, linked from ``cypher/``):

- ``(:User {user_id, uid, name, joined_at, attr_<name>...})``; ``uid`` is a compact integer
  handed out by ``(:Sequence {name: 'user'})`` so edges read back as integer columns.
- ``(:Group {group_id, gid, name, owner_id, created_at})``.
- ``(:User)-[:MEMBER_OF {joined_at, role}]->(:Group)``.
- ``(:User)-[:REFERRED {referred_at, campaign}]->(:User)``: at most one per invitee, the
  earliest ``(referred_at, inviter user_id)`` wins whatever the load order.
- ``(:User)-[:INTERACTED {kind, count, weight, first_at, last_at, event_keys}]->(:User)``: one
  per (src, dst, kind); ``kind`` is the InteractionKind code (0..6). ``event_keys`` holds the
  63-bit keys of the events aggregated into it (8 bytes each in the array store), so adding a
  known event again changes nothing.

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

Interactions: writers take the event counter's lock first, so they run one at a time; each
transaction looks its users' internal node ids up once (endpoints are then matched by id, a
NodeByIdSeek, not by the user_id index at every row), then per chunk of WRITE_CHUNK
relationships reads those it touches (skipped while there are none) with their event keys,
compares key sets in Python (a bot sending one user 100k messages stays linear), CREATEs the
missing relationships and SETs the others, every statement on whole parameter columns.
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
