// graphsvc schema for Neo4j 5.26 (community edition). Applied by `graphsvc db init` and
// Neo4jStore.init_schema(); every statement is idempotent (IF NOT EXISTS).
// Statements end with a semicolon at the end of a line.

// -- input graph -------------------------------------------------------------------------
// (:User {user_id, uid, name, joined_at, attr_<column>...}): uid is a compact integer
// (0, 1, 2, ...) handed out by (:Sequence {name: 'user'}), used for columnar extraction.
CREATE CONSTRAINT user_id_unique IF NOT EXISTS FOR (u:User) REQUIRE u.user_id IS UNIQUE;
CREATE CONSTRAINT user_uid_unique IF NOT EXISTS FOR (u:User) REQUIRE u.uid IS UNIQUE;
// names: the dashboard's search by name prefix
CREATE INDEX user_name IF NOT EXISTS FOR (u:User) ON (u.name);
// (:Group {group_id, gid, name, owner_id, created_at})
CREATE CONSTRAINT group_id_unique IF NOT EXISTS FOR (g:Group) REQUIRE g.group_id IS UNIQUE;
CREATE CONSTRAINT group_gid_unique IF NOT EXISTS FOR (g:Group) REQUIRE g.gid IS UNIQUE;
// (:User)-[:INTERACTED {kind, count, weight, days, first_at, last_at, event_days, day_counts,
//   day_weights, chat_days}]
// ->(:User): one per (src, dst, kind); kind is the InteractionKind code (0 message .. 6
// purchase); days counts the distinct UTC days in event_days (undated events share one);
// day_counts and day_weights, the events and weight of each of those days, are kept once a
// relationship spans two days or more (with one day, count and weight are its figures);
// chat_days, once an event names a group, the distinct (group, day) of dated events as
// gid * 2^20 + day (gid -1: no group named). MEMBER_OF {joined_at, role, left_at}. A
// graph written before kind codes converts with
//   MATCH ()-[r:INTERACTED]->() WHERE r.kind IS :: STRING
//   CALL (r) { SET r.kind = {message: 0, reply: 1, mention: 2, like: 3, share: 4,
//     red_packet: 5, purchase: 6}[r.kind] } IN TRANSACTIONS OF 50000 ROWS
// (:EventLedger {slot, keys}): the fingerprints of the events stored (sorted long[] per node;
// slot: the events' UTC day, see graphsvc/store/neo4j/ledger.py), read by every load so that
// an event is added once.
CREATE INDEX event_ledger_slot IF NOT EXISTS FOR (l:EventLedger) ON (l.slot);
// (:Sequence {name, next}) hands out uids and gids; (:Counter {name, value}) keeps totals; the
// 'interaction_events' counter is also the lock that lets one interaction writer run at a time;
// (:Counter {name: 'revision'}) gets a new random value in every write transaction.
CREATE CONSTRAINT sequence_name_unique IF NOT EXISTS FOR (s:Sequence) REQUIRE s.name IS UNIQUE;
CREATE CONSTRAINT counter_name_unique IF NOT EXISTS FOR (c:Counter) REQUIRE c.name IS UNIQUE;
// (:Lock {name: 'loads'}) is write-locked by an open transaction of a load writing referrals,
// from its cycle check to its last write, so such loads write one at a time.
CREATE CONSTRAINT lock_name_unique IF NOT EXISTS FOR (l:Lock) REQUIRE l.name IS UNIQUE;

// -- analysis runs (written under their run_id; one run is current) --------------------
// (:AnalysisRun {run_id, started_at, finished_at, params, stats, fingerprint, complete, current})
CREATE CONSTRAINT run_id_unique IF NOT EXISTS FOR (r:AnalysisRun) REQUIRE r.run_id IS UNIQUE;
CREATE INDEX run_current IF NOT EXISTS FOR (r:AnalysisRun) ON (r.current);
// (:UserResult {run_id, user_id, community_id, tier, role, influence, influence_rank, ...})
CREATE CONSTRAINT user_result_unique IF NOT EXISTS
  FOR (r:UserResult) REQUIRE (r.run_id, r.user_id) IS UNIQUE;
CREATE INDEX user_result_rank IF NOT EXISTS FOR (r:UserResult) ON (r.run_id, r.influence_rank);
CREATE INDEX user_result_community IF NOT EXISTS
  FOR (r:UserResult) ON (r.run_id, r.community_id);
CREATE INDEX user_result_tier IF NOT EXISTS FOR (r:UserResult) ON (r.run_id, r.tier);
// (:Community {run_id, community_id, size, owner_id, ..., parent_id, derived_from}),
// derived_from: lineage "c-0001=0.62;c-0007=0.3" (previous-run id = share of members),
// (:User)-[:IN_COMMUNITY]->(:Community), (:Community)-[:LED_BY]->(:User)
CREATE CONSTRAINT community_unique IF NOT EXISTS
  FOR (c:Community) REQUIRE (c.run_id, c.community_id) IS UNIQUE;
// (:CommunityLabel {community_id, label, updated_at}): a marketer's name for a community id;
// ids are stable across runs, so names are kept apart from any one run.
CREATE CONSTRAINT community_label_unique IF NOT EXISTS
  FOR (l:CommunityLabel) REQUIRE l.community_id IS UNIQUE;
// (:GroupResult {run_id, group_id, size, declared_owner_id, effective_owner_id, ...})
CREATE CONSTRAINT group_result_unique IF NOT EXISTS
  FOR (g:GroupResult) REQUIRE (g.run_id, g.group_id) IS UNIQUE;
// Groups and communities also carry their lifecycle (stage, stage_reason, alarms, joins_7d,
// quits_7d, active_share_7d, silent_share_7d, ...; README "Community health over time").
// (:HealthSeries {run_id, unit: 'group' | 'community', unit_id, start, series}): daily series
// up to the run's as-of day from start (YYYY-MM-DD); series holds a line per series,
// name=values with runs of equal days as value*days ("joins=0*3,2,0").
CREATE CONSTRAINT health_series_unique IF NOT EXISTS
  FOR (h:HealthSeries) REQUIRE (h.run_id, h.unit, h.unit_id) IS UNIQUE;
