"""Shills (托儿, 水军), fake invites and the audience quality of each user, from the graph alone.

A shill's engagement is aimed: nearly all of it at one person (the owner who hired them), at a
closed ring of accounts that engage each other, or at the owners of the many groups they joined;
it comes in bursts (many actions a day on one person) and goes unanswered. Each signal is a
number in [0, 1] and the score is their product, so one innocent explanation keeps it low (a
fan who replies all day to a friend who replies back: answered; a fan of one leader for a
year: no burst):

    shill_score = concentration × burst × (1 + 3 × unanswered) / 4

where concentration = max(focus, ring, owner chasing). Users who sent fewer than
``shill_min_events`` events score 0. Audience quality follows what audit tools report for an
influencer (e.g. HypeAuditor's audience quality score): the share of real engagers, the share
of attention from suspected shills, and the engagement rate against peers of similar audience
size (compared within powers-of-two size bands). Everything is O(m log m) numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.graphs import find_sorted, sorted_unique, stable_argsort
from graphsvc.model import AnalysisParams, GraphSnapshot

__all__ = [
    "RING_MAX_PARTNERS",
    "RING_MIN_MUTUAL",
    "Audience",
    "Shills",
    "attention_discount",
    "audience_quality",
    "fake_invites",
    "shill_scores",
]

# A ring is small and closed: at least two partners who engage back (three accounts or more),
# and no more partners than this.
RING_MIN_MUTUAL = 2
RING_MAX_PARTNERS = 8
# Owner chasing needs this many groups: acting the same way in each of many groups.
CHASE_MIN_GROUPS = 3


@dataclass(frozen=True)
class Shills:
    """Per user: the score and its signals (each in [0, 1]), the burst rate (events a day on
    the busiest target) and the events sent."""

    score: np.ndarray
    focus: np.ndarray
    ring: np.ndarray
    chase: np.ndarray
    burst: np.ndarray
    unanswered: np.ndarray
    rate: np.ndarray
    sent: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # distinct (src, dst) and their events

    def signals(self, threshold: float = 0.0) -> np.ndarray:
        """Each user's signals in words where the score reaches ``threshold`` (> 0), else ""."""
        words = np.full(len(self.score), "", dtype=object)
        for u in np.flatnonzero((self.score >= threshold) & (self.score > 0)).tolist():
            parts = [
                f"{name} {value:.2f}"
                for name, value in (
                    ("focus", self.focus[u]),
                    ("ring", self.ring[u]),
                    ("owner chasing", self.chase[u]),
                )
                if value > 0
            ]
            parts.append(f"burst {self.rate[u]:.0f}/day")
            parts.append(f"unanswered {self.unanswered[u]:.2f}")
            words[u] = "; ".join(parts)
        return words


@dataclass(frozen=True)
class Audience:
    """Per user, of the people who engage with them: the share that is real (not a suspected
    shill), the share of received events sent by suspected shills, the engagement rate's
    percentile (0–1) among users with an audience of similar size, and their product-style
    summary ``quality``; NaN for users nobody engages with."""

    quality: np.ndarray
    real_share: np.ndarray
    suspicious_share: np.ndarray
    rate_percentile: np.ndarray


def _pairs(snapshot: GraphSnapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (src, dst) pairs without self-loops, sorted by src then dst, with the events
    and the most distinct days (a lower bound of the pair's active days) of each."""
    n = snapshot.n_users
    src = np.asarray(snapshot.interaction_src, dtype=np.int64)
    dst = np.asarray(snapshot.interaction_dst, dtype=np.int64)
    count = np.asarray(snapshot.interaction_count, dtype=np.int64)
    days = np.maximum(np.asarray(snapshot.interaction_days, dtype=np.int64), 1)
    keep = src != dst
    key = src[keep] * n + dst[keep]
    order = stable_argsort(key)
    key, count, days = key[order], count[keep][order], days[keep][order]
    unique, runs = sorted_unique(key)
    first = np.cumsum(runs) - runs
    events = np.add.reduceat(count, first) if len(first) else count[:0]
    active = np.maximum.reduceat(days, first) if len(first) else days[:0]
    return unique // max(n, 1), unique % max(n, 1), events, active


def _max_by(owner: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per owner (sorted), the largest value and the position of its first occurrence."""
    best = np.zeros(n)
    at = np.full(n, -1, dtype=np.int64)
    if len(owner) == 0:
        return best, at
    order = np.lexsort((-values, owner))
    first = np.unique(owner[order], return_index=True)[1]
    rows = order[first]
    best[owner[rows]] = values[rows]
    at[owner[rows]] = rows
    return best, at


def _owner_pairs(snapshot: GraphSnapshot) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys member * n + declared owner of the member's groups, and groups per user."""
    n = snapshot.n_users
    user = np.asarray(snapshot.membership_user, dtype=np.int64)
    group = np.asarray(snapshot.membership_group, dtype=np.int64)
    owner = np.asarray(snapshot.group_owner, dtype=np.int64)
    groups_of = np.bincount(user, minlength=n)
    owned = owner[group] if len(group) else group
    keep = (owned >= 0) & (owned != user)
    keys, _ = sorted_unique(user[keep] * n + owned[keep])
    return keys, groups_of


def shill_scores(snapshot: GraphSnapshot, params: AnalysisParams) -> Shills:
    """Every user's shill score and signals (see the module docstring). O(m log m)."""
    n = snapshot.n_users
    src, dst, events, active = _pairs(snapshot)
    sent = np.bincount(src, events, n)
    received = np.bincount(dst, events, n)

    top, at = _max_by(src, events.astype(float), n)
    focus = np.divide(top, sent, out=np.zeros(n), where=sent > 0)
    rate = np.zeros(n)
    has = at >= 0
    rate[has] = events[at[has]] / active[at[has]]
    base, full = params.shill_burst_base, params.shill_burst_full  # full > base (config)
    burst = np.clip(np.log(np.maximum(rate, 1e-12) / base) / np.log(full / base), 0.0, 1.0)

    # ring: events to partners who engage back, for users with few partners
    key = src * n + dst
    back = find_sorted(key, dst * n + src)
    mutual = back >= 0
    mutual_events = np.where(mutual, np.minimum(events, events[np.maximum(back, 0)]), 0)
    partners = np.bincount(src, minlength=n)
    ring = np.divide(np.bincount(src, mutual_events, n), sent, out=np.zeros(n), where=sent > 0)
    ring[
        (partners > RING_MAX_PARTNERS) | (np.bincount(src[mutual], minlength=n) < RING_MIN_MUTUAL)
    ] = 0.0

    # owner chasing: events to the declared owners of one's own groups, in many groups
    owner_keys, groups_of = _owner_pairs(snapshot)
    to_owner = find_sorted(owner_keys, key) >= 0
    chase = np.divide(
        np.bincount(src[to_owner], events[to_owner], n), sent, out=np.zeros(n), where=sent > 0
    )
    chase[groups_of < CHASE_MIN_GROUPS] = 0.0

    # unanswered: what came back from anyone outside a ring, against what was sent
    from_outside = np.bincount(dst[~mutual], events[~mutual], n) + np.bincount(
        dst[mutual], np.maximum(events[mutual] - mutual_events[mutual], 0), n
    )
    if ring.any():
        received = np.where(ring > 0, from_outside, received)
    unanswered = 1.0 - np.minimum(1.0, np.divide(received, sent, out=np.ones(n), where=sent > 0))
    unanswered[sent == 0] = 0.0

    concentration = np.maximum(np.maximum(focus, ring), chase)
    score = concentration * burst * (1.0 + 3.0 * unanswered) / 4.0
    score[sent < params.shill_min_events] = 0.0
    sent = sent.astype(np.int64)
    return Shills(score, focus, ring, chase, burst, unanswered, rate, sent, (src, dst, events))


def fake_invites(
    snapshot: GraphSnapshot, referral_at: np.ndarray | None, params: AnalysisParams
) -> np.ndarray:
    """Per referral row, whether it is a fake invite: the invitee never acted (sent no
    interaction, invited nobody) and the inviter brought at least ``fake_invite_burst``
    invitees within ``fake_invite_window`` seconds of this one. Referrals without a time
    (``referral_at`` None or < 0) are never fake. O(r log r)."""
    inviter = np.asarray(snapshot.referral_inviter, dtype=np.int64)
    invitee = np.asarray(snapshot.referral_invitee, dtype=np.int64)
    if referral_at is None or len(inviter) == 0:
        return np.zeros(len(inviter), dtype=bool)
    at = np.asarray(referral_at, dtype=np.int64)
    n = snapshot.n_users
    acted = np.zeros(n, dtype=bool)
    src = np.asarray(snapshot.interaction_src, dtype=np.int64)
    acted[src[src != np.asarray(snapshot.interaction_dst)]] = True
    acted[inviter] = True
    timed = at >= 0
    key = inviter * (2**40) + np.where(timed, at, 0)  # times below 2^40 s (~35,000 years)
    keys = np.sort(key[timed])
    window = params.fake_invite_window
    nearby = np.searchsorted(keys, key + window, "right") - np.searchsorted(keys, key - window)
    return timed & ~acted[invitee] & (nearby >= params.fake_invite_burst)


def attention_discount(
    shills: Shills, fake: np.ndarray, params: AnalysisParams
) -> tuple[np.ndarray, np.ndarray]:
    """How much each user's attention counts (1 - score for suspected shills, else 1) and
    each referral row's (0 for a fake invite, else 1)."""
    suspect = shills.score >= params.shill_threshold
    per_user = np.where(suspect, 1.0 - shills.score, 1.0)
    return per_user, np.where(fake, 0.0, 1.0)


def _band_percentile(rate: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Per value, its mid-rank percentile (0–1) among the values of its band; NaN stays."""
    out = np.full(len(rate), np.nan)
    idx = np.flatnonzero(~np.isnan(rate))
    if len(idx) == 0:
        return out
    order = np.lexsort((rate[idx], band[idx]))
    b, r = band[idx][order], rate[idx][order]
    new_run = np.r_[True, (b[1:] != b[:-1]) | (r[1:] != r[:-1])]
    run = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.r_[run_start, len(r)])
    band_start = np.searchsorted(b, b, "left")
    band_size = np.searchsorted(b, b, "right") - band_start
    out[idx[order]] = (run_start[run] - band_start + 0.5 * run_len[run]) / band_size
    return out


def audience_quality(snapshot: GraphSnapshot, shills: Shills, params: AnalysisParams) -> Audience:
    """Every user's audience quality (see ``Audience``): quality = real share × (1 −
    suspicious share) × (1 + rate percentile) / 2. The engagement rate is distinct engagers
    over the co-members of one's groups; users in no group are compared with each other."""
    n = snapshot.n_users
    src, dst, events = shills.pairs
    suspect = shills.score >= params.shill_threshold
    engagers = np.bincount(dst, minlength=n).astype(float)
    real = np.bincount(dst[~suspect[src]], minlength=n).astype(float)
    received = np.bincount(dst, events, n)
    from_suspects = np.bincount(dst[suspect[src]], events[suspect[src]], n)
    none = engagers == 0
    real_share = np.divide(real, engagers, out=np.full(n, np.nan), where=~none)
    suspicious = np.divide(from_suspects, received, out=np.full(n, np.nan), where=~none)

    user = np.asarray(snapshot.membership_user, dtype=np.int64)
    group = np.asarray(snapshot.membership_group, dtype=np.int64)
    size = np.bincount(group, minlength=len(snapshot.group_ids))
    audience = np.bincount(user, (size[group] - 1).astype(float), n) if len(user) else np.zeros(n)
    audience = np.where(audience > 0, audience, np.maximum(n - 1, 1))
    rate = np.where(none, np.nan, engagers / audience)
    band = np.floor(np.log2(audience)).astype(np.int64)
    percentile = _band_percentile(rate, band)
    quality = real_share * (1.0 - suspicious) * (1.0 + percentile) / 2.0
    return Audience(quality, real_share, suspicious, percentile)
