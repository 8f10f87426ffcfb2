// Question: which communities are over Dunbar's number (~150), too big for one owner to hold
// together, and who leads them and their sub-communities?
// Parameters: $dunbar (int, usually 150).
// Example: graphsvc cypher -f cypher/queries/dunbar_communities.cypher -p dunbar=150
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (c:Community {run_id: run.run_id})
WHERE c.size > $dunbar
OPTIONAL MATCH (sub:Community {run_id: run.run_id, parent_id: c.community_id})
WITH c, collect(sub.community_id) AS subs
RETURN c.community_id AS community_id, c.size AS size, c.owner_id AS owner_id,
       c.owner_margin AS owner_margin, c.shape AS shape, subs AS sub_communities
ORDER BY size DESC, community_id;
