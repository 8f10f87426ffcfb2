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
from graphsvc.cli_output import bom_option, echo_rows, format_option, wants_bom
from graphsvc.config import Settings
from graphsvc.errors import GraphsvcError, NotFoundError, shown
from graphsvc.model import CommunityResult, Role, Tier
from graphsvc.output import render
from graphsvc.store import open_store, store_location
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
        """The store, which must exist: reading a SQLite file that is not there is refused."""
        return self.open_store(create=False)

    def open_store(self, *, create: bool) -> GraphStore:
        """The store; ``create`` (load, demo) makes a SQLite file that is not there yet."""
        if self._store is None:
            self._store = open_store(
                self.settings.store,
                create=create,
                connect_timeout=self.settings.connect_timeout,
            )
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
    if store is not None:  # "" too: refused when opened, never the default
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
    inputs: tuple[Path, ...],
    encoding: str | None,
    on_error: str,
    rejects: Path | None,
    **files: Path | None,
) -> None:
    """Load users, groups, memberships, referrals and interactions (CSV or JSON Lines).

    Give a DIRECTORY holding users.csv, referrals.csv, …, the files themselves (users.csv
    holds users, …), or --users F, --referrals F, … for files named otherwise. Creates the
    store if it does not exist. Loading the same files again changes nothing.
    """
    from graphsvc import ingest

    chosen = chosen_inputs(inputs, files)
    total = sum(path.stat().st_size for path in chosen.values())
    store = app.open_store(create=True)
    with progress("Loading", total) as bar:
        report = ingest.load_files(
            chosen,
            store,
            encoding=encoding,
            on_error=on_error,
            rejects=rejects,
            on_bytes=bar.update,
        )
    click.echo(report.summary())
    click.echo(f"Loaded into {store_location(app.settings.store)}")


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
            self.fail(f"{shown(value)} is not a positive number or 'auto'", param, ctx)
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
    "--cold",
    is_flag=True,
    help="Detect communities from scratch instead of starting from the current run's.",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="The quick update after a small delta: also carry betweenness over from the current "
    "run, and skip the check of the warm start against a cold run.",
)
@click.pass_obj
def analyze(
    app: AppContext,
    resolution: float | str | None,
    min_community_size: int | None,
    seed: int | None,
    damping: float | None,
    force: bool,
    cold: bool,
    refresh: bool,
) -> None:
    """Compute influence, communities, group-owner KOLs, roles, tiers, referral levels and
    community health, and publish them as the current run. Starts warm from the current run
    (its communities, owners and tiers move only as far as the data moved them) unless
    --cold; prints what changed since."""
    from graphsvc.jobs.analyze import analyze as run_analysis

    if cold and refresh:
        raise click.UsageError("--refresh starts warm from the current run: not with --cold")

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
        app.store, params.analysis, force=force, cold=cold, refresh=refresh, on_stage=on_stage
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
        f"{time.perf_counter() - started:.1f}s, process peak memory (RSS) "
        f"{outcome.peak_rss_mb:,.0f} MB"
    )
    click.echo("  " + ", ".join(f"{k} {v:.2f}s" for k, v in outcome.timings.items()))
    if stats.get("resolution_agreement"):
        tried = ", ".join(f"{r}: {v:.3f}" for r, v in stats["resolution_agreement"].items())
        click.echo(f"  resolution {stats['resolution']} agrees best with the groups (NMI {tried})")
    click.echo("  " + describe_start(stats))
    if stats.get("churn"):
        click.echo(describe_churn(stats["churn"], stats["previous_run"]))


def describe_start(stats: dict[str, Any]) -> str:
    """How the run found its communities: warm from a run (and the cold check), or cold."""
    if stats.get("warm_fallback"):
        return f"communities: {stats['warm_fallback']}"
    if stats.get("community_start") == "warm":
        check = (
            f"; a cold run: {stats['cold_modularity']:.4f}" if stats.get("cold_modularity") else ""
        )
        return (
            f"communities: warm start from {stats['warm_from']} "
            f"(modularity {stats['warm_modularity']:.4f}{check})"
        )
    rounds = stats.get("consensus_rounds")
    how = f"consensus of seeded runs ({rounds} rounds)" if rounds else "one seeded run"
    return f"communities: cold start, {how}"


def describe_churn(churn: dict[str, Any], since: str) -> str:
    """The churn stats as a small table: what changed since the previous run."""

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    events = churn["communities"]
    rows = [
        ("users keeping their community", share(churn["kept_community"])),
        ("users keeping their tier", share(churn["kept_tier"])),
        ("KOLs in / out", f"+{churn['kols_in']:,} / -{churn['kols_out']:,}"),
        ("KOL set overlap (Jaccard)", share(churn["kol_jaccard"])),
        ("owners changed", f"{churn['owners_changed']:,} of {churn['owners_compared']:,}"),
        (
            "communities born / split / merged / died",
            " / ".join(str(events[k]) for k in ("born", "split", "merged", "died")),
        ),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join([f"  changes since {since}:", *(f"    {n:<{width}}  {v}" for n, v in rows)])


def current_run_id(app: AppContext) -> str:
    run = app.store.current_run()
    if run is None:
        raise NotFoundError("no analysis run yet: run `graphsvc analyze` first")
    return run.run_id


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


@cli.command()
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
    "owner_changes": ("owner changes", ("community_id", "size", "from", "to", "reason")),
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
    from graphsvc.analysis.explain import influence_text

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
        body = {"run_id": run_id, **{k: row.get(k) for k in keys}, "why": signals}
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


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--run", "run_id", help="A run id (default: the current run).")
@bom_option
@click.pass_obj
def export(app: AppContext, out: Path, run_id: str | None) -> None:
    """Write users.csv, communities.csv and groups.csv of a run."""
    from graphsvc.jobs.export import export_run

    written = export_run(app.store, out, run_id, bom=wants_bom())
    click.echo(", ".join(f"{name}: {n:,} rows" for name, n in written.items()) + f" in {out}")


# -- serving ------------------------------------------------------------------------------


def serve_app(app: AppContext, host: str, port: int, workers: int) -> None:
    """Serve the API with waitress until Ctrl-C; announces the address once it listens."""
    from graphsvc.api import create_app
    from graphsvc.api.server import http_server

    settings = replace(app.settings, host=host, port=port)
    server = http_server(create_app(settings), host, port, threads=workers)
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
    ctx.invoke(load, inputs=(data,), encoding=None, on_error="fail", rejects=None)
    click.secho("3/4 Analysing", bold=True)
    ctx.invoke(
        analyze,
        resolution=None,
        min_community_size=None,
        seed=None,
        damping=None,
        force=False,
        cold=False,
        refresh=False,
    )
    click.secho("4/4 Results", bold=True)
    click.echo("Top KOLs:")
    ctx.invoke(kols, limit=10, community=None, tier=None, fmt="table")
    dunbar = app.settings.analysis.dunbar
    see = f"graphsvc --store {app.settings.store} export --out DIR, or /api/v1/communities"
    title, big = over_dunbar(app.store.community_results(current_run_id(app)), dunbar, see)
    click.echo(f"\n{title}")
    if big:
        echo_rows(
            [vars(c) for c in big],
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


def over_dunbar(
    communities: list[CommunityResult], dunbar: int, see: str, shown: int = 20
) -> tuple[str, list[CommunityResult]]:
    """The demo's last table: a title saying what it lists and where to ``see`` the rest,
    and the largest ``shown`` top-level communities of more than ``dunbar`` members
    (sub-communities are the parts such a community is split into)."""
    big = sorted(
        (c for c in communities if not c.parent_id and c.size > dunbar),
        key=lambda c: (-c.size, c.community_id),
    )
    if not big:
        return f"No community has more than Dunbar's {dunbar} members.", []
    rest = see
    if len(big) > shown:
        head = f"Owners of the {shown} largest of the {len(big)} communities"
        rest = f"all of them, and their sub-communities: {rest}"
    else:
        head = f"Owners of the {len(big)} communities"
        rest = f"their sub-communities: {rest}"
    return f"{head} over Dunbar's {dunbar} members ({rest}):", big[:shown]


def _register_optional_commands() -> None:
    """Neo4j commands (db init, cypher) live beside the Neo4j store; API keys beside the
    service state; campaign seeding in its own module."""
    from graphsvc.cli_apikey import apikey_group
    from graphsvc.cli_neo4j import cypher_command, db_group
    from graphsvc.cli_seeds import seeds_command

    cli.add_command(db_group)
    cli.add_command(cypher_command)
    cli.add_command(apikey_group)
    cli.add_command(seeds_command)


_register_optional_commands()


def main() -> None:
    cli(prog_name="graphsvc", auto_envvar_prefix=None)


if __name__ == "__main__":
    main()
