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
from graphsvc.synth.population import Truth, plan_memberships, plan_population, planted_truth


def generate(
    out_dir: Path | str,
    *,
    users: int,
    seed: int = 0,
    fmt: str = "csv",
    on_progress: Callable[[str, int], None] | None = None,
) -> Truth:
    """Write users, groups, memberships, referrals and interactions plus truth.json into out_dir.

    Files are `<name>.csv` (header row) or `<name>.jsonl` when fmt="jsonl", UTF-8, with the
    columns of DESIGN.md §3; users.csv holds exactly `users` rows, official accounts included.
    on_progress(stage, rows_written_so_far) is called after each chunk a stage writes.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"fmt must be 'csv' or 'jsonl', not {fmt!r}")
    if users < 100:
        raise ValueError(f"users must be at least 100, not {users}")
    rng = np.random.default_rng(seed)
    pop = plan_population(users, rng)
    memberships = plan_memberships(pop, rng)
    referrals, level, joined = grow_referrals(pop, rng)
    set_join_times(pop, memberships, referrals, joined, rng)
    interactions = draw_interactions(pop, memberships, referrals, joined, rng)
    names = user_names(pop, rng)
    uid = user_id_strings(pop)
    gid = [f"g{g:0{id_width(len(pop.sizes), 5)}d}" for g in range(len(pop.sizes))]
    truth = planted_truth(pop, level, uid, gid)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = Tables(uid=string_table(uid), gid=string_table(gid), names=names, joined=joined)
    write_files(out, fmt, pop, tables, memberships, referrals, interactions, on_progress)
    (out / "truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth
