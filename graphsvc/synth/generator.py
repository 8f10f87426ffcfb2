"""``generate``: plan, grow and write one graph with its planted truth."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from graphsvc.synth.events import draw_interactions, grow_referrals, set_join_times
from graphsvc.synth.files import (
    Tables,
    id_width,
    string_table,
    user_id_strings,
    user_names,
    write_files,
)
from graphsvc.synth.fraud import plant_fake_invites, plant_shill_groups
from graphsvc.synth.population import Truth, plan_memberships, plan_population, planted_truth


def generate(
    out_dir: Path | str,
    *,
    users: int,
    seed: int = 0,
    fmt: str = "csv",
    shill_groups: float = 0.0,
    fake_invite_bursts: int = 0,
    on_progress: Callable[[str, int], None] | None = None,
) -> Truth:
    """Write users, groups, memberships, referrals and interactions plus truth.json into out_dir.

    Files are `<name>.csv` (header row) or `<name>.jsonl` when fmt="jsonl", UTF-8, with the
    columns of the README's "Input files"; users.csv holds exactly `users` rows, official accounts
    included. ``shill_groups``: the share of groups (not run by an official account) where 5–8% of
    the members are shills boosting one member; ``fake_invite_bursts``: how many members invite
    8–30 lurkers each within ten minutes (both planted in truth.json; none by default, which
    leaves every other draw as it was). on_progress(stage, rows_written_so_far) is called after
    each chunk a stage writes."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"fmt must be 'csv' or 'jsonl', not {fmt!r}")
    if users < 100:
        raise ValueError(f"users must be at least 100, not {users}")
    if not 0.0 <= shill_groups <= 1.0:
        raise ValueError(f"shill_groups must be a share in [0, 1], not {shill_groups}")
    if fake_invite_bursts < 0:
        raise ValueError(f"fake_invite_bursts must be >= 0, not {fake_invite_bursts}")
    rng = np.random.default_rng(seed)
    fraud_rng = np.random.default_rng([seed, 1])
    pop = plan_population(users, rng)
    if shill_groups:
        plant_shill_groups(pop, shill_groups, fraud_rng)
    memberships = plan_memberships(pop, rng)
    referrals, level, joined = grow_referrals(pop, rng)
    fake = (np.empty(0, np.int64), np.empty(0, np.int64))
    if fake_invite_bursts:
        referrals, *fake = plant_fake_invites(
            pop, referrals, level, joined, fake_invite_bursts, fraud_rng
        )
    set_join_times(pop, memberships, referrals, joined, rng)
    interactions = draw_interactions(pop, memberships, referrals, joined, rng)
    names = user_names(pop, rng)
    uid = user_id_strings(pop)
    gid = [f"g{g:0{id_width(len(pop.sizes), 5)}d}" for g in range(len(pop.sizes))]
    truth = planted_truth(pop, level, uid, gid, tuple(fake))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = Tables(uid=string_table(uid), gid=string_table(gid), names=names, joined=joined)
    write_files(out, fmt, pop, tables, memberships, referrals, interactions, on_progress)
    (out / "truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth
