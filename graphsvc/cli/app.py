"""The ``graphsvc`` command group: settings and store for every command, graphsvc errors as one
line and their exit code, and the commands of every family registered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from graphsvc import __version__
from graphsvc.cli import analysis, apikey, data, db, health, reading, runs, seeds, serving
from graphsvc.cli.context import AppContext
from graphsvc.config import Settings
from graphsvc.errors import GraphsvcError, NoRunError

__all__ = ["cli", "main"]


class GraphsvcGroup(click.Group):
    """Turns graphsvc errors into one line on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraphsvcError as e:
            hint = ": run `graphsvc analyze` first" if isinstance(e, NoRunError) else ""
            click.secho(f"Error: {e}{hint}", err=True, fg="red")
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


for command in (
    data.generate,
    data.load,
    analysis.analyze,
    reading.stats,
    reading.kols,
    reading.shills,
    health.health,
    reading.explain,
    reading.export,
    reading.community,
    runs.runs,
    serving.serve,
    serving.demo,
    seeds.seeds_command,
    db.db_group,
    db.cypher_command,
    apikey.apikey_group,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="graphsvc", auto_envvar_prefix=None)
