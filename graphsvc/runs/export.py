"""Write the current run as CSV files for spreadsheets and CRMs."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from graphsvc.model import LIFECYCLE_FIELDS, USER_RESULT_COLUMNS, CommunityResult
from graphsvc.output import plain
from graphsvc.runs.current import run_or_current, shill_threshold
from graphsvc.runs.explain import explain, quality_notes
from graphsvc.store.base import GraphStore

__all__ = ["EXPORT_FILES", "export_run"]

EXPORT_FILES = ("users.csv", "communities.csv", "groups.csv")
USER_EXPORT_COLUMNS = ("user_id", "name", *USER_RESULT_COLUMNS, "why", "notes")
# each result's own fields first (its id leading), then its lifecycle (health over time)
COMMUNITY_EXPORT_COLUMNS = (
    *(f.name for f in dataclasses.fields(CommunityResult) if f.name not in LIFECYCLE_FIELDS),
    "label",
    *LIFECYCLE_FIELDS,
)
GROUP_EXPORT_COLUMNS = (
    "group_id",
    "size",
    "declared_owner_id",
    "effective_owner_id",
    "owner_margin",
    "owner_mismatch",
    *LIFECYCLE_FIELDS,
)


def _write(path: Path, columns: tuple[str, ...], rows: list[dict], bom: bool) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows([plain(row.get(c)) for c in columns] for row in rows)
    tmp.replace(path)  # readers never see a half-written file


def export_run(
    store: GraphStore, out_dir: Path, run_id: str | None = None, *, bom: bool = True
) -> dict[str, int]:
    """Write users.csv, communities.csv and groups.csv of a run (default: the current one),
    UTF-8 with a byte order mark unless not ``bom`` (Excel needs it to read UTF-8 text).

    Returns the number of rows written per file.
    """
    run = run_or_current(store, run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    users = store.user_results(run)
    threshold = shill_threshold(store, run)
    for row in users:
        row["why"] = "; ".join(signal["text"] for signal in explain(row))
        row["notes"] = "; ".join(quality_notes(row, threshold))
    labels = store.community_labels()
    communities = [
        {**dataclasses.asdict(c), "label": labels.get(c.community_id)}
        for c in store.community_results(run)
    ]
    groups = [
        {**dataclasses.asdict(g), "owner_mismatch": int(g.owner_mismatch)}
        for g in store.group_results(run)
    ]
    _write(out_dir / "users.csv", USER_EXPORT_COLUMNS, users, bom)
    _write(out_dir / "communities.csv", COMMUNITY_EXPORT_COLUMNS, communities, bom)
    _write(out_dir / "groups.csv", GROUP_EXPORT_COLUMNS, groups, bom)
    return {"users.csv": len(users), "communities.csv": len(communities), "groups.csv": len(groups)}
