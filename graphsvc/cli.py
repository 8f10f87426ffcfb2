"""The ``graphsvc`` command line. Errors are mapped to exit codes here, once."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from graphsvc import __version__
from graphsvc.cli_inputs import chosen_inputs, input_options, progress
from graphsvc.config import Settings
from graphsvc.errors import GraphsvcError, NotFoundError
from graphsvc.model import Role, Tier
from graphsvc.output import FORMATS, render
from graphsvc.store import open_store
from graphsvc.store.base import (
    USER_SORT_ALIASES,
    USER_SORTS,
    GraphStore,
    UserQuery,
    require_filters,
)

__all__ = ["cli", "main"]

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


@dataclass
class AppContext:
    """What every command gets: the settings, and the store opened on first use."""

    settings: Settings
    _store: GraphStore | None = field(default=None, repr=False)

    @property
    def store(self) -> GraphStore:
        if self._store is None:
            self._store = open_store(self.settings.store)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


class GraphsvcGroup(click.Group):
    """Turns graphsvc errors into one line on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraphsvcError as e:
            click.secho(f"Error: {e}", err=True, fg="red")
            ctx.exit(e.exit_code)


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def echo_rows(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str) -> None:
    click.echo(render(rows, columns, fmt))


@click.group(cls=GraphsvcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="GRAPHSVC_STORE",
    metavar="URI",
    help="sqlite:///file.db (default sqlite:///graphsvc.db) or bolt://host:7687 for Neo4j.",
)
@click.version_option(__version__, prog_name="graphsvc")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """Find the KOLs of community commerce: load users, groups, referrals and interactions,
    analyse influence, communities and tiers, and serve the rankings."""
    settings = Settings.from_env()
    if store:
        settings = replace(settings, store=store)
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)


# -- data in ------------------------------------------------------------------------------


@cli.command()
@click.option("--users", "n_users", type=click.IntRange(min=100), default=10_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv")
def generate(n_users: int, seed: int, out: Path, fmt: str) -> None:
    """Generate a realistic community-commerce graph with planted truth (truth.json)."""
    from graphsvc import synth

    started = time.perf_counter()
    truth = synth.generate(
        out, users=n_users, seed=seed, fmt=fmt, on_progress=lambda stage, rows: None
    )
    click.echo(
        f"Generated {n_users:,} users in {len(truth.leaders):,} groups into {out} "
        f"({time.perf_counter() - started:.1f}s); planted truth in {out / 'truth.json'}"
    )


@cli.command()
@input_options
@click.pass_obj
def load(
    app: AppContext,
    directory: Path | None,
    encoding: str | None,
    on_error: str,
    rejects: Path | None,
    **files: Path | None,
) -> None:
    """Load users, groups, memberships, referrals and interactions (CSV or JSON Lines).

    Give a DIRECTORY holding users.csv, referrals.csv, … or name files one by one.
    Loading the same files again changes nothing.
    """
    from graphsvc import ingest

    chosen = chosen_inputs(directory, files)
    total = sum(path.stat().st_size for path in chosen.values())
    with progress("Loading", total) as bar:
        report = ingest.load_files(
            chosen,
            app.store,
            encoding=encoding,
            on_error=on_error,
            rejects=rejects,
            on_bytes=bar.update,
        )
    click.echo(report.summary())


# -- analysis -----------------------------------------------------------------------------


class ResolutionType(click.ParamType):
    """A positive number, or "auto" (chosen to agree best with the explicit groups)."""

    name = "NUMBER|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, float) or value == "auto":
            return value
        try:
            number = float(value)
        except ValueError:
            number = 0.0
        if not number > 0:
            self.fail(f"{value!r} is not a positive number or 'auto'", param, ctx)
        return number


@cli.command()
@click.option(
    "--resolution",
    type=ResolutionType(),
    help="Leiden resolution (higher: smaller communities), or 'auto': the one agreeing best "
    "with the explicit groups.",
)
@click.option(
    "--min-community-size",
    type=click.IntRange(min=1),
    help="Smaller communities are reported as unassigned (default 3).",
)
@click.option("--seed", type=int, help="Random seed (default from GRAPHSVC_SEED or 0).")
@click.option("--damping", type=click.FloatRange(0, 1, max_open=True), help="PageRank damping.")
@click.option("--force", is_flag=True, help="Run even if the input has not changed.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Warm-start from the current run (for small deltas; betweenness is carried over).",
)
@click.pass_obj
def analyze(
    app: AppContext,
    resolution: float | str | None,
    min_community_size: int | None,
    seed: int | None,
    damping: float | None,
    force: bool,
    refresh: bool,
) -> None:
    """Compute influence, communities, group-owner KOLs, roles, tiers, referral levels and
    community health, and publish them as the current run."""
    from graphsvc.jobs.analyze import analyze as run_analysis

    params = app.settings.with_analysis(
        resolution=None if resolution == "auto" else resolution,
        auto_resolution=True if resolution == "auto" else None,
        min_community_size=min_community_size,
        seed=seed,
        damping=damping,
    )
    started = time.perf_counter()

    def on_stage(name: str) -> None:
        click.echo(f"  {time.perf_counter() - started:7.1f}s  {name}", err=True)

    outcome = run_analysis(
        app.store, params.analysis, force=force, refresh=refresh, on_stage=on_stage
    )
    run = outcome.run
    if outcome.up_to_date:
        click.echo(f"up to date (run {run.run_id}); use --force to run again")
        return
    stats = run.stats
    click.echo(
        f"Run {run.run_id}: {stats.get('n_users', 0):,} users, "
        f"{stats.get('n_communities', 0):,} communities "
        f"(modularity {stats.get('modularity', float('nan')):.3f}) in "
        f"{time.perf_counter() - started:.1f}s, peak memory {stats.get('peak_rss_mb', 0):,.0f} MB"
    )
    click.echo("  " + ", ".join(f"{k} {v:.2f}s" for k, v in outcome.timings.items()))
    if stats.get("resolution_agreement"):
        tried = ", ".join(f"{r}: {v:.3f}" for r, v in stats["resolution_agreement"].items())
        click.echo(f"  resolution {stats['resolution']} agrees best with the groups (NMI {tried})")


def current_run_id(app: AppContext) -> str:
    run = app.store.current_run()
    if run is None:
        raise NotFoundError("no analysis run yet: run `graphsvc analyze` first")
    return run.run_id


@cli.command()
@format_option
@click.pass_obj
def stats(app: AppContext, fmt: str) -> None:
    """Counts per entity in the store, and the current run."""
    counts = app.store.counts()
    run = app.store.current_run()
    rows = [{"entity": k, "count": v} for k, v in counts.items()]
    rows.append({"entity": "current_run", "count": run.run_id if run else "none"})
    echo_rows(rows, ("entity", "count"), fmt)


@cli.command()
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
        sort=USER_SORT_ALIASES.get(sort, sort),
        limit=limit,
    )
    rows = app.store.user_page(run_id, query)
    if not rows:
        require_filters(app.store, run_id, query)
    extra = [query.sort] if query.sort not in KOL_COLUMNS else []
    if query.min_level is not None or query.max_level is not None:
        extra.append("referral_level")
    echo_rows(rows, (*KOL_COLUMNS, *extra), fmt)


@cli.group(invoke_without_command=True)
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
    from graphsvc.jobs.diff import diff_runs, load_run_view, run_pair

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
    "owner_changes": ("owner changes", ("community_id", "size", "from", "to")),
    "communities_born": ("communities born", ("community_id", "size")),
    "communities_dissolved": ("communities dissolved", ("community_id", "size")),
    "communities_split": ("communities split", ("community_id", "size", "into")),
    "communities_merged": ("communities merged", ("community_id", "size", "from")),
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


@cli.group()
def community() -> None:
    """Name communities: names stay with the id across runs."""


@community.command("label")
@click.argument("community_id")
@click.argument("label", required=False)
@click.option("--remove", is_flag=True, help="Remove the name.")
@click.pass_obj
def community_label(app: AppContext, community_id: str, label: str | None, remove: bool) -> None:
    """Name COMMUNITY_ID (e.g. c-0042 "母婴团购群A"), or --remove its name."""
    from graphsvc.jobs.labels import label_community

    if (label is None) != remove:
        raise click.UsageError("give a LABEL, or --remove")
    label_community(app.store, community_id, label)
    click.echo(f"{community_id}: {label}" if label else f"{community_id}: name removed")


@cli.command()
@click.argument("user_id")
@click.option("--run", "run_id", help="A run id (default: the current run).")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@click.pass_obj
def explain(app: AppContext, user_id: str, run_id: str | None, as_json: bool) -> None:
    """Why USER_ID ranks where they do: tier, rank and the strongest signals behind them."""
    from graphsvc.analysis.explain import explain as explain_row

    run_id = run_id or current_run_id(app)
    row = app.store.user_result(run_id, user_id)
    if row is None:
        raise NotFoundError(f"user {user_id!r} is not in run {run_id}")
    signals = explain_row(row)
    if as_json:
        keys = ("user_id", "name", "tier", "role", "influence_rank", "community_id")
        body = {"run_id": run_id, **{k: row.get(k) for k in keys}, "why": signals}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    name = f" ({row['name']})" if row.get("name") else ""
    click.echo(
        f"{user_id}{name}: {row['tier']}, influence rank #{row['influence_rank']:,}, "
        f"community {row['community_id'] or 'none'} (run {run_id})"
    )
    for signal in signals or [{"text": "no signal: nobody engages with this user"}]:
        click.echo(f"  - {signal['text']}")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--run", "run_id", help="A run id (default: the current run).")
@click.pass_obj
def export(app: AppContext, out: Path, run_id: str | None) -> None:
    """Write users.csv, communities.csv and groups.csv of a run."""
    from graphsvc.jobs.export import export_run

    written = export_run(app.store, out, run_id)
    click.echo(", ".join(f"{name}: {n:,} rows" for name, n in written.items()) + f" in {out}")


# -- serving ------------------------------------------------------------------------------


def serve_app(app: AppContext, host: str, port: int, workers: int) -> None:
    """Serve the API with waitress until Ctrl-C; announces the address once it listens."""
    from waitress import create_server

    from graphsvc.api import create_app

    settings = replace(app.settings, host=host, port=port)
    server = create_server(create_app(settings), host=host, port=port, threads=workers)
    url = f"http://{host}:{server.effective_port}"
    click.echo(f"Serving {settings.store} on {url}/api/v1/kols (Ctrl-C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.close()


@cli.command()
@click.option("--host", default=None, help="Interface (default GRAPHSVC_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Default 8000.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Worker threads of the WSGI server.",
)
@click.pass_obj
def serve(app: AppContext, host: str | None, port: int | None, workers: int) -> None:
    """Serve the API with a production WSGI server (waitress)."""
    serve_app(app, host or app.settings.host, app.settings.port if port is None else port, workers)


@cli.command()
@click.option("--users", "n_users", type=click.IntRange(min=100), default=20_000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("graphsvc-demo"),
    show_default=True,
)
@click.option("--serve/--no-serve", default=True, help="Serve the API afterwards.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.pass_context
def demo(
    ctx: click.Context, n_users: int, seed: int, workdir: Path, serve: bool, port: int
) -> None:
    """Generate a graph, load it, analyse it, print the KOLs, and serve the API.

    Uses its own store and service state in --dir unless --store or GRAPHSVC_STORE names one.
    """
    app: AppContext = ctx.obj
    if ctx.parent is not None and ctx.parent.params.get("store") is None:
        app.settings = replace(
            app.settings,
            store=f"sqlite:///{workdir / 'graphsvc.db'}",
            state=str(workdir / "graphsvc-state.db"),
        )
    data = workdir / "data"
    click.secho(f"1/4 Generating {n_users:,} users into {data}", bold=True)
    ctx.invoke(generate, n_users=n_users, seed=seed, out=data, fmt="csv")
    click.secho(f"2/4 Loading into {app.settings.store}", bold=True)
    ctx.invoke(load, directory=data, encoding=None, on_error="fail", rejects=None)
    click.secho("3/4 Analysing", bold=True)
    ctx.invoke(
        analyze,
        resolution=None,
        min_community_size=None,
        seed=None,
        damping=None,
        force=False,
        refresh=False,
    )
    click.secho("4/4 Results", bold=True)
    click.echo("Top KOLs:")
    ctx.invoke(kols, limit=10, community=None, tier=None, fmt="table")
    big = [c for c in app.store.community_results(current_run_id(app)) if c.size >= 150]
    click.echo(f"\nOwners of the {len(big)} communities over Dunbar's 150:")
    echo_rows(
        [vars(c) for c in big[:20]],
        ("community_id", "size", "owner_id", "owner_margin", "shape", "owner_share"),
        "table",
    )
    if serve:
        from graphsvc.service_state import KeyRole, ServiceState

        _, secret = ServiceState(app.settings.state).create_key(KeyRole.READER, "demo")
        url = f"http://{app.settings.host}:{port}/api/v1/kols?limit=5"
        click.echo(f"\nAPI key (reader, shown once): {secret}")
        click.echo(f"  curl -H 'Authorization: Bearer {secret}' '{url}'\n")
        serve_app(app, app.settings.host, port, workers=8)


def _register_optional_commands() -> None:
    """Neo4j commands (db init, cypher) live beside the Neo4j store; API keys beside the
    service state."""
    from graphsvc.cli_apikey import apikey_group
    from graphsvc.cli_neo4j import cypher_command, db_group

    cli.add_command(db_group)
    cli.add_command(cypher_command)
    cli.add_command(apikey_group)


_register_optional_commands()


def main() -> None:
    cli(prog_name="graphsvc", auto_envvar_prefix=None)


if __name__ == "__main__":
    main()
