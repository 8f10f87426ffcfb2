// Question: which communities are star-shaped (fan economy, 粉丝经济: everyone talks only to
// the owner) rather than a mesh (社群: members talk to each other)?
// Parameters: $min_owner_share (float) keep stars whose owner takes at least this share of the
// internal interaction weight (0.0 keeps every star).
// Example: graphsvc cypher -f cypher/queries/star_communities.cypher -p min_owner_share=0.5
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (c:Community {run_id: run.run_id, shape: 'star'})
WHERE c.owner_share >= $min_owner_share
OPTIONAL MATCH (c)-[:LED_BY]->(leader:User)
RETURN c.community_id AS community_id, c.size AS size, leader.user_id AS owner_id,
       c.owner_share AS owner_share, c.centralization AS centralization
ORDER BY size DESC, community_id;
