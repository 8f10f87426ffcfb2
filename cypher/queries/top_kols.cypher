// Question: who are the most influential users overall (the KOLs to seed a campaign with)?
// Parameters: $limit (int) how many users; $tier (string or null) only this tier, e.g. 'kol'.
// Example: graphsvc cypher -f cypher/queries/top_kols.cypher -p limit=20 -p tier=null
// Reads the current analysis run only.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (r:UserResult {run_id: run.run_id})
WHERE $tier IS NULL OR r.tier = $tier
WITH run, r
ORDER BY r.influence_rank
LIMIT $limit
OPTIONAL MATCH (u:User {user_id: r.user_id})
RETURN r.influence_rank AS influence_rank, r.user_id AS user_id, u.name AS name, r.tier AS tier,
       r.role AS role, r.community_id AS community_id, r.influence AS influence,
       run.run_id AS run_id
ORDER BY influence_rank;
