"""`graphsvc health`: groups' and communities' lifecycle stage, figures and alarms."""

from __future__ import annotations

__all__ = ["health"]

from datetime import date

import click

from graphsvc.cli.context import AppContext, day_option
from graphsvc.cli.output import echo_rows, format_option
from graphsvc.runs.current import current_run
from graphsvc.runs.health import UNITS, HealthQuery, health_rows, parse_window


def _window(text: str) -> int:
    try:
        return parse_window(text)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.command()
@click.option("--alarms", "alarms_only", is_flag=True, help="Only groups with an alarm.")
@click.option("--group", "group_id", metavar="ID", help="One group.")
@click.option("--community", "community_id", metavar="ID", help="One community.")
@click.option(
    "--communities", is_flag=True, help="Communities (found by the analysis) instead of groups."
)
@day_option(
    "--as-of", "Assess on this day, within the days the run kept (default: the run's as-of day)."
)
@click.option(
    "--window",
    default="7d",
    show_default=True,
    callback=lambda ctx, param, value: _window(value),
    help="Days of the figures: 1d, 7d or 30d.",
)
@format_option
@click.pass_obj
def health(
    app: AppContext,
    alarms_only: bool,
    group_id: str | None,
    community_id: str | None,
    communities: bool,
    as_of: date | None,
    window: int,
    fmt: str,
) -> None:
    """Lifecycle of every group (or community) in the current run: stage (emerging, growing,
    interacting, declining), members, joins, quits, active and silent shares, alarms and
    the reasons, on the run's as-of day (the latest event unless `analyze --as-of`)."""
    if group_id and community_id:
        raise click.UsageError("give --group or --community, not both")
    unit = "community" if communities or community_id else UNITS[0]
    days = window
    query = HealthQuery(
        unit=unit,
        unit_id=group_id or community_id,
        as_of=as_of.date() if as_of else None,
        window=days,
        alarms_only=alarms_only,
    )
    rows = health_rows(app.store, current_run(app.store), query)
    w = f"_{days}d"
    columns = (
        f"{unit}_id",
        "stage",
        "members",
        *(f"{name}{w}" for name in ("joins", "quits", "active_share", "silent_share")),
        "alarms",
        "reasons",
    )
    if fmt != "table":
        columns = tuple(dict.fromkeys([*columns, *(rows[0] if rows else ())]))
    echo_rows(rows, columns, fmt)
