// Question: who are the top KOLs inside each community (the local opinion leaders, 局部意见领袖)?
// Parameters: $per_community (int) users per community; $min_size (int) skip smaller communities.
// Example: graphsvc cypher -f cypher/queries/community_kols.cypher -p per_community=3 -p min_size=10
// Reads the current analysis run only; communities largest first. A community split into
// sub-communities (over Dunbar's number) answers for all its members, and each
// sub-community has its own row too.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (c:Community {run_id: run.run_id})
WHERE c.size >= $min_size
OPTIONAL MATCH (r:UserResult {run_id: run.run_id})
WHERE r.community_id STARTS WITH c.community_id
  AND (r.community_id = c.community_id OR r.community_id STARTS WITH c.community_id + '.')
WITH c, r
ORDER BY r.influence_rank
WITH c, collect(r)[..$per_community] AS top
RETURN c.community_id AS community_id, c.size AS size, c.owner_id AS leader_id,
       [r IN top | r.user_id] AS top_user_ids, [r IN top | r.influence_rank] AS ranks
ORDER BY size DESC, community_id;
