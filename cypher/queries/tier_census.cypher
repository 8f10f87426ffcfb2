// Question: how many users are in each tier (core, kol, active, member, lurker), and how
// much influence does each tier hold?
// Parameters: none.
// Example: graphsvc cypher -f cypher/queries/tier_census.cypher
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (r:UserResult {run_id: run.run_id})
RETURN r.tier AS tier, count(r) AS users, sum(r.influence) AS influence
ORDER BY users DESC, tier;
