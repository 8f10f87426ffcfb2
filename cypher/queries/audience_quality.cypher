// Question: which influential users have a real audience (few shills, engaged for its size)?
// Parameters: $min_quality (number 0-1) audience quality at least this; $tier (string or null)
// only this tier, e.g. 'kol'; $limit (int) how many users.
// Example: graphsvc cypher -f cypher/queries/audience_quality.cypher -p min_quality=0.8 -p tier=kol -p limit=20
// By influence rank; users nobody engages with have no audience quality and never match.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (r:UserResult {run_id: run.run_id})
WHERE ($tier IS NULL OR r.tier = $tier) AND r.audience_quality >= $min_quality
WITH r
ORDER BY r.influence_rank
LIMIT $limit
OPTIONAL MATCH (u:User {user_id: r.user_id})
RETURN r.influence_rank AS influence_rank, r.user_id AS user_id, u.name AS name, r.tier AS tier,
       r.audience_quality AS audience_quality, r.real_audience_share AS real_share,
       r.suspicious_audience_share AS suspicious_share,
       r.engagement_rate_percentile AS engagement_rate_percentile
ORDER BY influence_rank;
