// Question: everything the current run says about one user: scores, tier, role, community and
// its leader, inviter and direct invitees.
// Parameters: $user_id (string).
// Example: graphsvc cypher -f cypher/queries/user_profile.cypher -p user_id=u000042
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (u:User {user_id: $user_id})
OPTIONAL MATCH (r:UserResult {run_id: run.run_id, user_id: u.user_id})
OPTIONAL MATCH (u)-[:IN_COMMUNITY]->(c:Community {run_id: run.run_id})
OPTIONAL MATCH (inviter:User)-[:REFERRED]->(u)
RETURN u.user_id AS user_id, u.name AS name, r.influence_rank AS influence_rank,
       r.influence AS influence, r.tier AS tier, r.role AS role, c.community_id AS community_id,
       c.owner_id AS community_leader_id, inviter.user_id AS inviter_id,
       COUNT { (u)-[:REFERRED]->() } AS direct_referrals, run.run_id AS run_id;
