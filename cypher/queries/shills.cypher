// Question: who are the suspected shills (托儿) of the current run, and whom do they boost?
// Parameters: $min_score (number) shill score at least this (the default threshold is 0.5);
// $limit (int) how many suspects.
// Example: graphsvc cypher -f cypher/queries/shills.cypher -p min_score=0.5 -p limit=50
// One row per suspect, highest score first (ties by influence rank): the signals behind the
// score, and the user they send the most events to (the account they were hired to boost).
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (r:UserResult {run_id: run.run_id})
WHERE r.shill_score >= $min_score
WITH r
ORDER BY r.shill_score DESC, r.influence_rank
LIMIT $limit
MATCH (u:User {user_id: r.user_id})
OPTIONAL MATCH (u)-[i:INTERACTED]->(t:User)
WITH r, u, t, sum(i.count) AS events
ORDER BY events DESC, t.user_id
WITH r, u, collect({user_id: t.user_id, events: events})[0] AS top
RETURN r.user_id AS user_id, u.name AS name, r.shill_score AS shill_score,
       r.shill_signals AS signals, top.user_id AS boosts, top.events AS events_to_them
ORDER BY shill_score DESC, r.influence_rank;
