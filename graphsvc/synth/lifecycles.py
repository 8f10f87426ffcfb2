"""Groups with planted lifecycles: each grows, peaks and decays on known days, and some carry
planted trouble (a silent majority, early quits, a leader gone quiet), for checking
analysis.lifecycle against ground truth."""

from __future__ import annotations

__all__ = ["PLANTED_ALARMS", "LifecycleTruth", "planted_stage", "write_lifecycles"]

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from graphsvc.synth.population import DAY

START_DAY = 20_454  # 2026-01-01
DAYS = 150
HEALTHY_RATE = 0.2  # daily share of members who interact in a healthy group
# trouble planted on some groups -> the alarm it must raise
PLANTED_ALARMS = {
    "silent": "silent_majority",
    "early_quits": "early_quits",
    "quiet_leader": "leader_quiet",
}


@dataclass(frozen=True)
class PlantedGroup:
    group_id: str
    created: int  # day index: the owner founds the group, members start joining
    peak: int  # joining stops
    decline: int | None  # members start quitting and talking less (None: never)
    trouble: str = ""  # a key of PLANTED_ALARMS, or ""
    owner: str = ""
    rising: tuple[str, ...] = ()  # members who step up when the leader goes quiet


@dataclass(frozen=True)
class LifecycleTruth:
    start_day: int  # UTC day number of day index 0
    days: int
    groups: list[PlantedGroup]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, path: Path) -> LifecycleTruth:
        data = json.loads(Path(path).read_text())
        groups = [PlantedGroup(**{**g, "rising": tuple(g["rising"])}) for g in data["groups"]]
        return cls(data["start_day"], data["days"], groups)


def planted_stage(group: PlantedGroup, day: int, grace: int = 7) -> str | None:
    """The stage ``group`` is in on day index ``day`` by construction; None within ``grace``
    days after a change of phase (what any rule needs to see it)."""
    age = day - group.created
    if age < 0:
        return None
    if age < 14:
        return "emerging"
    changes = [group.created + 14, group.peak] + ([group.decline] if group.decline else [])
    if any(0 <= day - c < grace for c in changes[1:]):
        return None
    if group.decline is not None and day >= group.decline:
        return "declining"
    return "growing" if day < group.peak else "interacting"


def _plan(n_groups: int, rng: np.random.Generator) -> list[PlantedGroup]:
    """A mix of lifecycles: late founders (emerging), long growth, plateaus, decays."""
    shapes = []
    for g in range(n_groups):
        kind = g % 5
        if kind == 0:  # grows, peaks, decays
            created = int(rng.integers(0, 20))
            shapes.append(
                (created, created + int(rng.integers(40, 60)), int(rng.integers(100, 115)))
            )
        elif kind == 1:  # grows the whole time
            shapes.append((int(rng.integers(60, 80)), DAYS, None))
        elif kind == 2:  # an early plateau
            shapes.append((int(rng.integers(0, 10)), int(rng.integers(40, 50)), None))
        elif kind == 3:  # founded lately
            shapes.append((DAYS - int(rng.integers(5, 12)), DAYS, None))
        else:  # grows, plateaus, decays late
            created = int(rng.integers(0, 30))
            shapes.append((created, created + 50, int(rng.integers(125, 135))))
    troubles = ["silent", "quiet_leader"]
    planted = []
    for g, (created, peak, decline) in enumerate(shapes):
        trouble = troubles[g // 5] if g % 5 == 2 and g // 5 < len(troubles) else ""
        planted.append(PlantedGroup(f"lc{g:03d}", created, peak, decline, trouble))
    # a new group that loses a quarter of its members in its fourth week
    planted.append(PlantedGroup(f"lc{n_groups:03d}", DAYS - 28, DAYS - 8, DAYS - 7, "early_quits"))
    return planted


def write_lifecycles(out: Path, *, groups: int = 30, seed: int = 0) -> LifecycleTruth:
    """Write users, groups, memberships, referrals and interactions (CSV) of ``groups``
    planted groups of 40–80 members over DAYS days, and lifecycle_truth.json."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    plans = _plan(groups, rng)
    members, events, referrals, truth = [], [], [], []
    for g, plan in enumerate(plans):
        size = int(rng.integers(40, 81))
        users = [f"{plan.group_id}-u{i:03d}" for i in range(size)]
        # joins spread over [created, peak); the owner first
        span = max(min(plan.peak, DAYS) - plan.created, 1)
        join = np.sort(plan.created + rng.integers(0, span, size))
        join[0] = plan.created
        leave = np.full(size, -1)
        if plan.decline is not None:
            share = 0.25 if plan.trouble == "early_quits" else 0.5
            quitters = rng.choice(np.arange(1, size), int(share * size), replace=False)
            days = 7 if plan.trouble == "early_quits" else 21
            leave[quitters] = plan.decline + rng.integers(0, days, len(quitters))
            leave[quitters] = np.maximum(leave[quitters], join[quitters] + 1)
            leave[leave >= DAYS] = -1  # not yet
        named = g % 2 == 0  # half the groups' events name the chat
        rising = tuple(users[1:4]) if plan.trouble == "quiet_leader" else ()
        truth.append(PlantedGroup(**{**asdict(plan), "owner": users[0], "rising": rising}))
        for i, user in enumerate(users):
            stay_end = leave[i] if leave[i] >= 0 else DAYS
            members.append((user, plan.group_id, join[i], leave[i], "owner" if i == 0 else ""))
            if i:
                referrals.append((users[0], user, join[i]))
            for day in range(join[i], min(stay_end, DAYS)):
                rate = HEALTHY_RATE
                if plan.trouble == "silent":
                    rate = 0.015
                if plan.decline is not None and day >= plan.decline:
                    rate = max(0.04, HEALTHY_RATE * (1 - (day - plan.decline) / 20))
                if i == 0:  # the owner speaks most days, less in a silent group
                    rate = 0.1 if plan.trouble == "silent" else 0.8
                    rate = 0.0 if plan.trouble == "quiet_leader" and day >= DAYS - 10 else rate
                if user in rising and day >= DAYS - 10:
                    rate = 0.9
                if rng.random() >= rate:
                    continue
                present = np.flatnonzero((join <= day) & ((leave < 0) | (leave > day)))
                quiet_owner = plan.trouble == "quiet_leader" and day >= DAYS - 10
                present = present[(present != i) & ((present != 0) | (not quiet_owner))]
                if not len(present):
                    continue
                to_owner = i != 0 and not quiet_owner and rng.random() < 0.3 and 0 in present
                j = 0 if to_owner else int(rng.choice(present))
                at = (START_DAY + day) * DAY + int(rng.integers(8, 22)) * 3600
                events.append((user, users[j], at, plan.group_id if named else ""))
    _write(out / "users.csv", ["user_id"], sorted({(m[0],) for m in members}))
    owners = {p.group_id: p.owner for p in truth}
    _write(
        out / "groups.csv",
        ["group_id", "owner_id", "created_at"],
        [(p.group_id, owners[p.group_id], _seconds(p.created)) for p in truth],
    )
    _write(
        out / "memberships.csv",
        ["user_id", "group_id", "joined_at", "left_at", "role"],
        [(u, gid, _seconds(j), _seconds(lv) if lv >= 0 else "", r) for u, gid, j, lv, r in members],
    )
    _write(
        out / "referrals.csv",
        ["inviter_id", "invitee_id", "referred_at"],
        [(a, b, _seconds(d)) for a, b, d in referrals],
    )
    _write(
        out / "interactions.csv",
        ["src_id", "dst_id", "kind", "occurred_at", "group_id"],
        [(s, d, "message", at, gid) for s, d, at, gid in events],
    )
    result = LifecycleTruth(START_DAY, DAYS, truth)
    (out / "lifecycle_truth.json").write_text(result.to_json())
    return result


def _seconds(day: int) -> str:
    """Day index ``day`` at 10:00 UTC, in Unix seconds."""
    return str((START_DAY + int(day)) * DAY + 10 * 3600)


def _write(path: Path, header: list[str], rows: list) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
