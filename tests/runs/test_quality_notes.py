"""The notes a marketer reads before trusting a user: shill suspicion, a doubtful audience,
fake invites — and nothing when nothing stands out or the run predates these figures."""

from __future__ import annotations

from graphsvc.runs.explain import quality_notes

CLEAN = {
    "shill_score": 0.1,
    "shill_signals": "focus 0.40; burst 4/day; unanswered 0.10",
    "audience_quality": 0.9,
    "real_audience_share": 1.0,
    "suspicious_audience_share": 0.0,
    "engagement_rate_percentile": 0.8,
    "fake_invites": 0,
    "direct_referrals": 3,
}


def test_nothing_stands_out():
    assert quality_notes(CLEAN) == []
    assert quality_notes({"user_id": "u1"}) == []  # a run from before these figures
    assert quality_notes({**CLEAN, "audience_quality": float("nan")}) == []


def test_a_suspect_a_doubtful_audience_and_fake_invites_are_each_said():
    row = {
        **CLEAN,
        "shill_score": 0.97,
        "shill_signals": "focus 1.00; burst 53/day; unanswered 1.00",
        "real_audience_share": 0.6,
        "suspicious_audience_share": 0.38,
        "audience_quality": 0.33,
        "fake_invites": 12,
        "direct_referrals": 12,
    }
    assert quality_notes(row) == [
        "suspected shill (score 0.97): focus 1.00; burst 53/day; unanswered 1.00",
        "audience quality 0.33: 60% of the people engaging are real, 38% of the actions they "
        "receive come from suspected shills; engagement rate above 80% of peers with a similar "
        "audience",
        "12 of 12 direct invites look fake (invitees who never act)",
    ]
    assert quality_notes(row, shill_threshold=0.99)[0].startswith("audience quality")
