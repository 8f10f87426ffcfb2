// Question: which groups raised a health alarm in the current run, why, and who is rising?
// Parameters: $alarm (string or null) only this alarm, e.g. 'leader_quiet' (low_interaction,
// silent_majority, early_quits, leader_quiet); $limit (int) how many groups.
// Example: graphsvc cypher -f cypher/queries/group_alarms.cypher -p alarm=leader_quiet -p limit=20
// Largest groups first; stage and reasons as `graphsvc health --alarms` prints them.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (g:GroupResult {run_id: run.run_id})
WHERE g.alarms <> '' AND ($alarm IS NULL OR $alarm IN split(g.alarms, ','))
RETURN g.group_id AS group_id, g.stage AS stage, g.members AS members, g.alarms AS alarms,
       g.alarm_reasons AS reasons, g.effective_owner_id AS leader, g.successors AS successors
ORDER BY members DESC, group_id
LIMIT $limit;
