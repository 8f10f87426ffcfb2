// Question: which inviters brought fake invites, and how do they rank without them?
// Parameters: $limit (int) how many inviters.
// Example: graphsvc cypher -f cypher/queries/fake_invites.cypher -p limit=20
// Fake invites: invitees who never act, among a burst of invites from one inviter within
// minutes. One row per inviter with any, most fake invites first: direct invites with them
// (direct_referrals) and without them (genuine_referrals), as SCRM tools de-duplicate.
MATCH (run:AnalysisRun {current: true})
WHERE run.complete
MATCH (r:UserResult {run_id: run.run_id})
WHERE r.fake_invites > 0
WITH r
ORDER BY r.fake_invites DESC, r.user_id
LIMIT $limit
OPTIONAL MATCH (u:User {user_id: r.user_id})
RETURN r.user_id AS user_id, u.name AS name, r.fake_invites AS fake_invites,
       r.direct_referrals AS direct_referrals, r.genuine_referrals AS genuine_referrals
ORDER BY fake_invites DESC, user_id;
