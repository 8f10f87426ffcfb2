"""Shills, fake invites and audience quality: each signal on hand-built graphs, then precision
and recall against the shills and fake-invite bursts planted by the generator."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from graphsvc import synth
from graphsvc.analysis.pipeline import run_pipeline
from graphsvc.analysis.shills import audience_quality, fake_invites, shill_scores
from graphsvc.model import AnalysisParams
from tests.builders import generated_snapshot, snapshot_of

PARAMS = AnalysisParams()


def test_a_shill_aims_bursts_at_one_person_and_goes_unanswered():
    # 0: 240 likes to the owner (1) in 4 days; 2: a fan replying to 1 for a year (60 days);
    # 3 and 4: friends who reply to each other all day; 5: a casual user
    snap = snapshot_of(
        6,
        [
            (0, 1, "like", 240, 4),
            (2, 1, "reply", 120, 60),
            (3, 4, "reply", 90, 2),
            (4, 3, "reply", 90, 2),
            (5, 1, "like", 3, 3),
            (1, 2, "reply", 5, 5),
        ],
    )
    found = shill_scores(snap, PARAMS)
    assert found.score[0] >= 0.95
    assert found.focus[0] == 1.0
    assert found.rate[0] == 60.0
    assert found.unanswered[0] == 1.0
    assert found.score[2] == 0.0  # no burst: 2 a day
    assert found.score[3] < PARAMS.shill_threshold  # answered
    assert found.score[5] == 0.0  # too few events to judge
    words = found.signals()
    assert words[0] == "focus 1.00; burst 60/day; unanswered 1.00"
    assert words[2] == ""


def test_a_closed_ring_that_engages_itself_is_caught_and_a_slow_one_is_not():
    ring = [(a, b, "like", 60, 2) for a in range(4) for b in range(4) if a != b]
    slow = [(a, b, "reply", 60, 40) for a in range(4, 8) for b in range(4, 8) if a != b]
    found = shill_scores(snapshot_of(8, ring + slow), PARAMS)
    assert (found.ring[:4] == 1.0).all()
    assert (found.score[:4] >= 0.95).all()
    assert (found.score[4:] == 0.0).all()


def test_accounts_chasing_the_owners_of_many_groups_are_caught():
    # user 0 joined four groups (owners 1-4) and likes each owner 30 times on one day
    groups = [(f"g{j}", j + 1) for j in range(4)]
    members = [(0, j) for j in range(4)] + [(j + 1, j) for j in range(4)]
    rows = [(0, j + 1, "like", 30, 1) for j in range(4)]
    found = shill_scores(snapshot_of(5, rows, groups=groups, memberships=members), PARAMS)
    assert found.focus[0] == 0.25
    assert found.chase[0] == 1.0
    assert found.score[0] >= 0.95


def test_fake_invites_are_bursts_of_invitees_who_never_act():
    # inviter 0: invitees 1-6 within five minutes (6 acts); inviter 7: invitees 8-13 a day apart
    referrals = [(0, v) for v in range(1, 7)] + [(7, v) for v in range(8, 14)]
    times = [1000 + 60 * i for i in range(6)] + [86_400 * i for i in range(1, 7)]
    snap = snapshot_of(14, [(6, 0, "reply", 1)], referrals)
    timed = dataclasses.replace(snap, referral_at=np.array(times))
    flags = fake_invites(timed, timed.referral_at, PARAMS)
    assert flags.tolist() == [True] * 5 + [False] * 7
    assert not fake_invites(snap, None, PARAMS).any()


def test_audience_quality_counts_real_engagers_and_compares_within_size_bands():
    # 0 is engaged by three real fans and two shills (5, 6 burst at 0); 7 by two real fans
    rows = [(u, 0, "reply", 2, 2) for u in (1, 2, 3)] + [(u, 7, "reply", 2, 2) for u in (8, 9)]
    rows += [(u, 0, "like", 200, 2) for u in (5, 6)]
    snap = snapshot_of(10, rows)
    shills = shill_scores(snap, PARAMS)
    audience = audience_quality(snap, shills, PARAMS)
    assert audience.real_share[0] == pytest.approx(3 / 5)
    assert audience.suspicious_share[0] == pytest.approx(400 / 406)
    assert audience.real_share[7] == 1.0
    assert audience.suspicious_share[7] == 0.0
    assert audience.quality[7] > audience.quality[0]
    assert np.isnan(audience.quality[1])  # nobody engages with 1


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    work = tmp_path_factory.mktemp("shills")
    snapshot, truth = generated_snapshot(20_000, 3, work, shill_groups=0.2, fake_invite_bursts=15)
    return snapshot, truth


def _precision_recall(found: np.ndarray, planted: np.ndarray) -> tuple[float, float]:
    hits = (found & planted).sum()
    return hits / max(found.sum(), 1), hits / max(planted.sum(), 1)


def test_planted_shills_and_fake_invites_are_found(planted):
    snapshot, truth = planted
    ids = np.asarray(snapshot.user_ids)
    assert len(truth.shills) > 200
    assert len(truth.fake_invitees) > 100
    found = shill_scores(snapshot, PARAMS).score >= PARAMS.shill_threshold
    precision, recall = _precision_recall(found, np.isin(ids, truth.shills))
    assert precision >= 0.9
    assert recall >= 0.8
    flags = fake_invites(snapshot, snapshot.referral_at, PARAMS)
    fake = np.isin(ids[snapshot.referral_invitee], truth.fake_invitees)
    precision, recall = _precision_recall(flags, fake)
    assert precision >= 0.9
    assert recall >= 0.8


def test_discounting_shills_moves_boosted_members_down_and_leaders_stay(planted):
    snapshot, truth = planted
    ids = np.asarray(snapshot.user_ids)
    discounted = run_pipeline(snapshot, PARAMS)
    trusting = run_pipeline(snapshot, dataclasses.replace(PARAMS, shill_threshold=1.0))
    assert trusting.stats["suspected_shills"] < discounted.stats["suspected_shills"]

    def ranks(out, users):
        return out.users.columns["influence_rank"][np.isin(ids, users)]

    boosted_before, boosted_after = ranks(trusting, truth.boosted), ranks(discounted, truth.boosted)
    assert (boosted_after > boosted_before).mean() >= 0.8
    leaders = list(truth.leaders.values())
    moved = np.abs(ranks(discounted, leaders) - ranks(trusting, leaders))
    assert np.median(moved) <= 0.01 * len(ids)
    owners = {g.group_id: g.effective_owner_id for g in discounted.groups}
    assert np.mean([owners[g] == u for g, u in truth.leaders.items()]) >= 0.95
    fake_inviters = np.isin(ids, truth.fake_inviters)
    columns = discounted.users.columns
    assert (columns["fake_invites"][fake_inviters] >= 5).all()
    assert (columns["genuine_referrals"] <= columns["direct_referrals"]).all()
    quality = columns["audience_quality"]
    assert np.nanmedian(quality[np.isin(ids, truth.boosted)]) < 0.2
    assert np.nanmedian(quality[np.isin(ids, leaders)]) > 0.8


def test_the_generator_plants_nothing_unless_asked(tmp_path):
    plain = synth.generate(tmp_path / "plain", users=2_000, seed=5)
    asked = synth.generate(tmp_path / "asked", users=2_000, seed=5, shill_groups=0.5)
    assert plain.boosted == []
    assert plain.fake_invitees == []
    assert len(asked.boosted) > 0
    assert len(asked.shills) > len(plain.shills)
