"""`graphsvc analyze`: one analysis run, with what changed since the last one."""

from __future__ import annotations

import calendar
import math
import re
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click

from graphsvc.cli.context import AppContext, day_option
from graphsvc.errors import shown
from graphsvc.model import AnalysisParams, param_bound


def _spark_master(value: str) -> str:
    """A Spark master URL this engine can use, else a usage error naming the forms."""
    if not re.fullmatch(r"local(\[(\d+|\*)\])?|(spark|sc)://[^\s/]+(:\d+)?/?", value):
        raise click.BadParameter(
            f"{shown(value)} is not local, local[N], local[*], spark://HOST:PORT or sc://HOST:PORT",
            param_hint="--spark-master",
        )
    return value


class SparkSettings(typing.NamedTuple):
    master: str
    memory: str
    workdir: str | None


@contextmanager
def _engine(name: str, spark: SparkSettings) -> Iterator[Any]:
    """The engine ``name`` for one run (a Spark engine's files go when it ends)."""
    if name == "igraph":
        yield None  # the job's default
        return
    from graphsvc.engines.spark import SparkEngine, SparkOptions

    options = SparkOptions(
        master=spark.master,
        driver_memory=spark.memory,
        workdir=spark.workdir,
        progress=lambda message: click.echo(f"           {message}", err=True),
    )
    with SparkEngine(options) as engine:
        yield engine


def bounded(name: str) -> click.ParamType:
    """The option type of analysis parameter ``name``: its type and bound (model.param_bound),
    so the CLI accepts what the environment and the API accept."""
    kind, bound = typing.get_type_hints(AnalysisParams)[name], param_bound(name)
    high = None if bound.high == math.inf else bound.high
    ranged = click.IntRange if kind is int else click.FloatRange
    return ranged(bound.low, high, min_open=bound.low_open, max_open=bound.high_open)


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
        if not param_bound("resolution").holds(number):
            self.fail(f"{shown(value)} is not a positive number or 'auto'", param, ctx)
        return number


@click.command()
@click.option(
    "--resolution",
    type=ResolutionType(),
    help="Leiden resolution (higher: smaller communities), or 'auto': the one agreeing best "
    "with the explicit groups.",
)
@click.option(
    "--min-community-size",
    type=bounded("min_community_size"),
    help="Smaller communities are reported as unassigned (default 3).",
)
@click.option("--seed", type=bounded("seed"), help="Random seed (default from GRAPHSVC_SEED or 0).")
@click.option("--damping", type=bounded("damping"), help="PageRank damping.")
@day_option("--since", "Only interactions from this day on (UTC) make the graph.")
@day_option(
    "--until",
    "Only interactions up to this day (UTC, inclusive); referrals and joins after it are not yet.",
)
@day_option(
    "--as-of", "Assess groups' health over time on this day (default: --until, else the latest)."
)
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
@click.option(
    "--engine",
    type=click.Choice(["igraph", "spark"]),
    default="igraph",
    envvar="GRAPHSVC_ENGINE",
    show_default=True,
    help="Where the graph-scale stages run: igraph on this machine, or Apache Spark "
    "(pip install 'graphsvc[spark]').",
)
@click.option(
    "--spark-master",
    default="local[2]",
    envvar="GRAPHSVC_SPARK_MASTER",
    show_default=True,
    help="With --engine spark: local[N], spark://HOST:PORT, or sc://HOST:PORT (Spark Connect).",
    callback=lambda ctx, param, value: _spark_master(value),
)
@click.option(
    "--spark-memory",
    default="8g",
    envvar="GRAPHSVC_SPARK_MEMORY",
    show_default=True,
    help="With --engine spark in local mode: the driver's memory (JVM).",
)
@click.option(
    "--spark-workdir",
    envvar="GRAPHSVC_SPARK_WORKDIR",
    type=click.Path(file_okay=False),
    help="With --engine spark on a cluster: a directory every executor reads at the same path "
    "(the Parquet seam; default: the temporary directory, enough for local[N]).",
)
@click.pass_obj
def analyze(
    app: AppContext,
    resolution: float | str | None,
    min_community_size: int | None,
    seed: int | None,
    damping: float | None,
    since: datetime | None,
    until: datetime | None,
    as_of: datetime | None,
    force: bool,
    cold: bool,
    refresh: bool,
    engine: str,
    spark_master: str,
    spark_memory: str,
    spark_workdir: str | None,
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
        since=_seconds(since),
        until=_seconds(until, end_of_day=True),
        as_of=_seconds(as_of, end_of_day=True),
    )
    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    started = time.perf_counter()

    def on_stage(name: str) -> None:
        click.echo(f"  {time.perf_counter() - started:7.1f}s  {name}", err=True)

    spark = SparkSettings(spark_master, spark_memory, spark_workdir)
    with _engine(engine, spark) as graph_engine:
        outcome = run_analysis(
            app.store,
            params.analysis,
            force=force,
            cold=cold,
            refresh=refresh,
            on_stage=on_stage,
            engine=graph_engine,
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
    if stats.get("health_as_of"):
        alarms = ", ".join(f"{k} {v}" for k, v in stats.get("group_alarms", {}).items()) or "none"
        stages = ", ".join(f"{k} {v}" for k, v in stats.get("group_stages", {}).items())
        click.echo(f"  groups on {stats['health_as_of']}: {stages}; alarms: {alarms}")
    if stats.get("churn"):
        click.echo(describe_churn(stats["churn"], stats["previous_run"]))


def _seconds(day: datetime | None, *, end_of_day: bool = False) -> int | None:
    """Unix seconds of a UTC day's start, or of its last second (everything dated that day
    counts)."""
    if day is None:
        return None
    return calendar.timegm(day.timetuple()) + (86_399 if end_of_day else 0)


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
    if stats.get("community_start") == "spark":
        pieces = stats.get("spark_pieces_round_0", 0)
        return (
            f"communities: on Spark ({stats.get('spark_master')}), Leiden on {pieces:,} pieces "
            f"of label propagation, then per shard ({stats.get('spark_shards')} shards); "
            f"Spark stages {stats.get('spark_seconds')}"
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
