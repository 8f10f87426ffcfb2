// Question: who connects two communities — which interactions cross from one to the other?
// Parameters: $a, $b (community ids of the current run).
// Example: graphsvc cypher -f cypher/queries/community_bridges.cypher -p a=c-0001 -p b=c-0002
// One row per (member of a, member of b) pair with interactions in either direction, heaviest
// first: these are the bridges (brokers) a cross-community campaign should go through.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (ca:Community {run_id: run.run_id, community_id: $a})<-[:IN_COMMUNITY]-(x:User)
MATCH (x)-[i:INTERACTED]-(y:User)-[:IN_COMMUNITY]->(cb:Community {run_id: run.run_id, community_id: $b})
WITH x, y, sum(i.weight) AS weight, sum(i.count) AS events
RETURN x.user_id AS user_a, y.user_id AS user_b, weight, events
ORDER BY weight DESC, user_a, user_b;
