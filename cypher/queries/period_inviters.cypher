// Question: who brought in the new members of a period (campaign attribution)?
// Parameters: $from, $to (Unix seconds; referred_at in [from, to)); $limit (int).
// Example: graphsvc cypher -f cypher/queries/period_inviters.cypher -p from=1700000000 -p to=1702592000 -p limit=20
// One row per inviter, most invitees first, with the inviter's tier in the current run.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (inviter:User)-[ref:REFERRED]->(invitee:User)
WHERE ref.referred_at >= $from AND ref.referred_at < $to
WITH run, inviter, count(invitee) AS invitees
OPTIONAL MATCH (r:UserResult {run_id: run.run_id, user_id: inviter.user_id})
RETURN inviter.user_id AS user_id, invitees, r.tier AS tier, r.influence_rank AS influence_rank
ORDER BY invitees DESC, user_id
LIMIT $limit;
