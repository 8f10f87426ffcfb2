// Question: in which explicit groups is the declared owner (群主) not the effective leader?
// Parameters: $min_size (int) skip smaller groups.
// Example: graphsvc cypher -f cypher/queries/owner_mismatch_groups.cypher -p min_size=1
// Reads the current analysis run only; by group id.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (g:GroupResult {run_id: run.run_id})
WHERE g.owner_mismatch AND g.size >= $min_size
OPTIONAL MATCH (grp:Group {group_id: g.group_id})
RETURN g.group_id AS group_id, grp.name AS name, g.size AS size,
       g.declared_owner_id AS declared_owner_id, g.effective_owner_id AS effective_owner_id,
       g.owner_margin AS owner_margin
ORDER BY group_id;
