"""`graphsvc runs` and `runs diff`: the runs kept, and what changed between two."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from graphsvc.cli.context import AppContext
from graphsvc.cli.output import echo_rows, format_option
from graphsvc.output import render


@click.group(invoke_without_command=True)
@format_option
@click.pass_context
def runs(ctx: click.Context, fmt: str) -> None:
    """Analysis runs, newest first; `runs diff` compares two of them."""
    if ctx.invoked_subcommand is not None:
        return
    store = ctx.obj.store
    current = store.current_run()
    rows = [
        {
            "run_id": r.run_id,
            "current": "*" if current and r.run_id == current.run_id else "",
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at)),
            "users": r.stats.get("n_users"),
            "communities": r.stats.get("n_communities"),
            "modularity": r.stats.get("modularity"),
        }
        for r in store.runs()
    ]
    echo_rows(rows, ("run_id", "current", "started_at", "users", "communities", "modularity"), fmt)


@runs.command("diff")
@click.argument("run_a", required=False)
@click.argument("run_b", required=False)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Top entries shown per section.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="A summary and tables, or the whole diff as JSON.",
)
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Same as --format json.")
@click.pass_obj
def runs_diff(
    app: AppContext, run_a: str | None, run_b: str | None, limit: int, fmt: str, as_json: bool
) -> None:
    """What changed from RUN_A to RUN_B (default: the previous run to the current one): the
    count of every section first, then each section's top entries by size of change."""
    from graphsvc.runs.diff import diff_runs, load_run_view, run_pair

    run_a, run_b = run_pair(app.store, run_a, run_b)
    diff = diff_runs(load_run_view(app.store, run_a), load_run_view(app.store, run_b), limit=limit)
    if as_json or fmt == "json":
        click.echo(json.dumps(diff, ensure_ascii=False, indent=2))
    else:
        click.echo(describe_diff(diff))


_USER_CHANGE = ("user_id", "tier_before", "tier_after", "rank_before", "rank_after")


# Section: (title, columns of its entries).
DIFF_SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kols_new": ("KOLs won", _USER_CHANGE),
    "kols_lost": ("KOLs lost", _USER_CHANGE),
    "tier_moves": ("tier moves", _USER_CHANGE),
    "owner_changes": ("owner changes", ("community_id", "size", "from", "to", "reason")),
    "communities_born": ("communities born", ("community_id", "size")),
    "communities_dissolved": ("communities dissolved", ("community_id", "size")),
    "communities_split": ("communities split", ("community_id", "size", "into")),
    "communities_merged": ("communities merged", ("community_id", "size", "from")),
    "stage_changes": ("group stage changes", ("group_id", "size", "from", "to", "reason")),
    "risers": ("risers", _USER_CHANGE),
    "fallers": ("fallers", _USER_CHANGE),
}


def describe_diff(diff: dict[str, Any]) -> str:
    """The diff for a terminal: users, the count of every section, then the top entries of
    each section that has any."""
    users = diff["users"]
    summary = [
        {"section": title, "count": f"{diff[key]['count']:,}"}
        for key, (title, _) in DIFF_SECTIONS.items()
    ]
    lines = [
        f"{diff['from_run']} -> {diff['to_run']}: {users['before']:,} -> {users['after']:,} "
        f"users ({users['new']:,} new, {users['gone']:,} gone)",
        "",
        render(summary, ("section", "count"), "table"),
    ]
    for key, (title, columns) in DIFF_SECTIONS.items():
        section = diff[key]
        if not section["count"]:
            continue
        rows = [
            {k: " ".join(v) if isinstance(v, list) else v for k, v in row.items()}
            for row in section["top"]
        ]
        lines += ["", f"{title}: top {len(rows)} of {section['count']:,}"]
        if "by_move" in section:
            lines.append(", ".join(f"{k} {v:,}" for k, v in section["by_move"].items()))
        lines.append(render(rows, columns, "table"))
    return "\n".join(lines)
