// Question: who referred this user, who referred the referrer, ... up to the root of the tree?
// Parameters: $user_id (string).
// Example: graphsvc cypher -f cypher/queries/referral_upline.cypher -p user_id=u000042
// Returns one row per ancestor, nearest first (distance 1 = the direct inviter), with the
// ancestor's tier and referral level in the current run.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH path = (ancestor:User)-[:REFERRED*1..]->(:User {user_id: $user_id})
WITH run, ancestor, length(path) AS distance
OPTIONAL MATCH (r:UserResult {run_id: run.run_id, user_id: ancestor.user_id})
RETURN distance, ancestor.user_id AS user_id, ancestor.name AS name, r.tier AS tier,
       r.referral_level AS referral_level
ORDER BY distance;
