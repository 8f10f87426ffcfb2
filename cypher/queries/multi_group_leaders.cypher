// Question: which users effectively lead several explicit groups (super users across groups)?
// Parameters: $min_groups (int) at least this many groups.
// Example: graphsvc cypher -f cypher/queries/multi_group_leaders.cypher -p min_groups=2
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (g:GroupResult {run_id: run.run_id})
WHERE g.effective_owner_id IS NOT NULL AND g.effective_owner_id <> ''
WITH run, g
ORDER BY g.group_id
WITH run, g.effective_owner_id AS user_id, collect(g.group_id) AS groups
WHERE size(groups) >= $min_groups
OPTIONAL MATCH (r:UserResult {run_id: run.run_id, user_id: user_id})
RETURN user_id, size(groups) AS n_groups, groups AS group_ids, r.tier AS tier
ORDER BY n_groups DESC, user_id;
