"""Reading the current run: stats, KOLs, explanations, export, community names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from graphsvc.cli.context import AppContext, current_run_id
from graphsvc.cli.output import bom_option, echo_rows, format_option, wants_bom
from graphsvc.errors import NotFoundError, shown
from graphsvc.model import Role, Tier
from graphsvc.store import store_location
from graphsvc.store.base import (
    USER_SORT_ALIASES,
    USER_SORTS,
    UserQuery,
    require_filters,
)

KOL_COLUMNS = (
    "influence_rank",
    "user_id",
    "name",
    "tier",
    "role",
    "community_id",
    "influence",
    "in_strength",
    "downline",
)


# What each line of `graphsvc stats` counts.
STATS_MEANING = {
    "users": "people: loaded, or named in a group, referral or interaction",
    "groups": "explicit groups (chats, clubs) loaded or named in memberships",
    "memberships": "user-in-group pairs",
    "referrals": "invitees with their inviter (the earliest one)",
    "interactions": "distinct (src, dst, kind) pairs, repeated events counted once",
    "interaction_events": "interaction events loaded, each counted once however often loaded",
    "current_run": "the analysis run that kols, explain, export and the API serve",
    "store": "where the data lives",
}


@click.command()
@format_option
@click.pass_obj
def stats(app: AppContext, fmt: str) -> None:
    """Counts per entity in the store, the current run and where the store is."""
    counts = app.store.counts()
    run = app.store.current_run()
    rows: list[dict[str, Any]] = [
        {"entity": k, "count": f"{v:,}" if fmt == "table" else v} for k, v in counts.items()
    ]
    rows.append({"entity": "current_run", "count": run.run_id if run else "none"})
    rows.append({"entity": "store", "count": store_location(app.settings.store)})
    for row in rows:
        row["what"] = STATS_MEANING.get(row["entity"], "")
    echo_rows(rows, ("entity", "count", "what"), fmt)


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--sort",
    type=click.Choice([*USER_SORTS, *USER_SORT_ALIASES]),
    default="influence",
    show_default=True,
    help="Descending; ties by influence rank (pagerank is influence).",
)
@click.option("--community", help="Only this community (e.g. c-0042) and its sub-communities.")
@click.option("--group", help="Only members of this explicit group.")
@click.option("--tier", type=click.Choice([t.value for t in Tier]))
@click.option("--role", type=click.Choice([r.value for r in Role]))
@click.option("--min-level", type=click.IntRange(min=0), help="Referral level at least (0: root).")
@click.option("--max-level", type=click.IntRange(min=0), help="Referral level at most.")
@click.option(
    "--min-quality",
    type=click.FloatRange(0, 1),
    help="Audience quality at least (0-1: real engagers, few from shills, engaged for its size).",
)
@format_option
@click.pass_obj
def kols(app: AppContext, limit: int, sort: str, fmt: str, **filters: Any) -> None:
    """The most influential users of the current run, filtered and sorted."""
    run_id = current_run_id(app)
    query = UserQuery(
        community_id=filters.get("community"),
        group_id=filters.get("group"),
        tier=filters.get("tier"),
        role=filters.get("role"),
        min_level=filters.get("min_level"),
        max_level=filters.get("max_level"),
        min_quality=filters.get("min_quality"),
        sort=USER_SORT_ALIASES.get(sort, sort),
        limit=limit,
    )
    rows = app.store.user_page(run_id, query)
    if not rows:
        require_filters(app.store, run_id, query)
    extra = [query.sort] if query.sort not in KOL_COLUMNS else []
    if query.min_level is not None or query.max_level is not None:
        extra.append("referral_level")
    if query.min_quality is not None and "audience_quality" not in extra:
        extra.append("audience_quality")
    echo_rows(rows, (*KOL_COLUMNS, *extra), fmt)


SHILL_COLUMNS = ("user_id", "name", "shill_score", "signals", "community_id", "influence_rank")


@click.command()
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    help="Shill score at least this (default: the run's shill threshold).",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@format_option
@click.pass_obj
def shills(app: AppContext, min_score: float | None, limit: int, fmt: str) -> None:
    """Suspected shills of the current run, highest score first, with the signals behind each
    score: listed for review, never removed (their attention counts less in the analysis)."""
    from graphsvc.runs.current import shill_threshold

    run_id = current_run_id(app)
    bound = shill_threshold(app.store, run_id) if min_score is None else min_score
    query = UserQuery(min_shill_score=bound, sort="shill_score", limit=limit)
    rows = [{**row, "signals": row["shill_signals"]} for row in app.store.user_page(run_id, query)]
    echo_rows(rows, SHILL_COLUMNS, fmt)


@click.group()
def community() -> None:
    """Name communities: names stay with the id across runs."""


@community.command("label")
@click.argument("community_id")
@click.argument("label", required=False)
@click.option("--remove", is_flag=True, help="Remove the name.")
@click.pass_obj
def community_label(app: AppContext, community_id: str, label: str | None, remove: bool) -> None:
    """Name COMMUNITY_ID (e.g. c-0042 "母婴团购群A"), or --remove its name."""
    from graphsvc.runs.labels import label_community

    if (label is None) != remove:
        raise click.UsageError("give a LABEL, or --remove")
    label_community(app.store, community_id, label)
    click.echo(f"{community_id}: {label}" if label else f"{community_id}: name removed")


@click.command()
@click.argument("user_id")
@click.option("--run", "run_id", help="A run id (default: the current run).")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@click.pass_obj
def explain(app: AppContext, user_id: str, run_id: str | None, as_json: bool) -> None:
    """Why USER_ID ranks where they do: tier, rank and the strongest signals behind them."""
    from graphsvc.runs.current import shill_threshold
    from graphsvc.runs.explain import explain as explain_row
    from graphsvc.runs.explain import influence_text, quality_notes

    run_id = run_id or current_run_id(app)
    row = app.store.user_result(run_id, user_id)
    if row is None:
        raise NotFoundError(f"user {shown(user_id)} is not in run {run_id}")
    signals = explain_row(row)
    if as_json:
        keys = (
            *("user_id", "name", "tier", "tier_reason", "role"),
            *("influence_rank", "influence", "community_id"),
        )
        notes = quality_notes(row, shill_threshold(app.store, run_id))
        body = {"run_id": run_id, **{k: row.get(k) for k in keys}, "why": signals, "notes": notes}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    run = next(r for r in app.store.runs() if r.run_id == run_id)
    n_users = run.stats.get("n_users", 0)
    name = f" ({row['name']})" if row.get("name") else ""
    click.echo(
        f"{user_id}{name}: {row['tier']}, influence rank #{row['influence_rank']:,} of "
        f"{n_users:,}, {influence_text(row['influence'], row['influence_rank'], n_users)}, "
        f"community {row['community_id'] or 'none'} (run {run_id})"
    )
    if row.get("tier_reason"):
        click.echo(f"  - tier: {row['tier_reason']}")
    for signal in signals or [{"text": "no signal: nobody engages with this user"}]:
        click.echo(f"  - {signal['text']}")
    for note in quality_notes(row, shill_threshold(app.store, run_id)):
        click.echo(f"  ! {note}")


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--run", "run_id", help="A run id (default: the current run).")
@bom_option
@click.pass_obj
def export(app: AppContext, out: Path, run_id: str | None) -> None:
    """Write users.csv, communities.csv and groups.csv of a run."""
    from graphsvc.runs.export import export_run

    written = export_run(app.store, out, run_id, bom=wants_bom())
    click.echo(", ".join(f"{name}: {n:,} rows" for name, n in written.items()) + f" in {out}")
