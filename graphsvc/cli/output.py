"""The output options of the listing commands: ``--format table|json|csv`` and ``--no-bom``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from graphsvc.output import FORMATS, render

__all__ = ["BOM", "bom_option", "echo_rows", "format_option", "wants_bom"]

F = TypeVar("F", bound=Callable[..., Any])

BOM = "\ufeff"
_BOM_KEY = "graphsvc.bom"


def _remember_bom(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    ctx.meta[_BOM_KEY] = value


bom_option = click.option(
    "--bom/--no-bom",
    default=True,
    show_default=True,
    expose_value=False,
    callback=_remember_bom,
    help="Start CSV with a UTF-8 byte order mark, so that Excel (e.g. on Chinese Windows) "
    "reads the text right; --no-bom for pipelines.",
)
_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def format_option(command: F) -> F:
    """``--format`` (as ``fmt``) and ``--bom/--no-bom`` (read with ``wants_bom``)."""
    return _format(bom_option(command))


def wants_bom() -> bool:
    """Whether CSV output starts with a BOM: ``--bom`` (the default) or ``--no-bom``."""
    return click.get_current_context().meta.get(_BOM_KEY, True)


def echo_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> None:
    """Print rows in ``fmt``; CSV with a BOM unless ``--no-bom``."""
    text = render(rows, columns, fmt)
    click.echo(BOM + text if fmt == "csv" and wants_bom() else text)
