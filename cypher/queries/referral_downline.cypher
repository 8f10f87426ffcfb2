// Question: whom did this user bring in, directly and through their invitees (the downline)?
// Parameters: $user_id (string); $max_depth (int) how many levels down to follow.
// Example: graphsvc cypher -f cypher/queries/referral_downline.cypher -p user_id=u000042 -p max_depth=10
// One row per downline member with its depth below the user (1 = invited directly).
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH path = (:User {user_id: $user_id})-[:REFERRED*1..]->(member:User)
WHERE length(path) <= $max_depth
OPTIONAL MATCH (r:UserResult {run_id: run.run_id, user_id: member.user_id})
RETURN member.user_id AS user_id, length(path) AS depth, r.tier AS tier,
       r.community_id AS community_id
ORDER BY depth, user_id;
