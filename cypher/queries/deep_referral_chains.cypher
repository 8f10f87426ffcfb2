// Question: which referral chains go deeper than N levels (multi-level commission beyond 3
// levels is a legal risk in China)?
// Parameters: $levels (int, usually 3).
// Example: graphsvc cypher -f cypher/queries/deep_referral_chains.cypher -p levels=3
// One row per user more than $levels below the root of their tree, with the chain from the
// root down to them (read from the stored REFERRED relationships).
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (r:UserResult {run_id: run.run_id})
WHERE r.referral_level > $levels
MATCH path = (root:User)-[:REFERRED*]->(:User {user_id: r.user_id})
WHERE NOT ()-[:REFERRED]->(root)
RETURN r.user_id AS user_id, r.referral_level AS level, root.user_id AS root_id,
       [n IN nodes(path) | n.user_id] AS chain
ORDER BY level DESC, user_id;
