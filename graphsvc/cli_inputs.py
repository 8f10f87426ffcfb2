"""The input options that ``graphsvc load`` and ``graphsvc db import`` share: a DIRECTORY or
one file per input, --encoding, --on-error and --rejects."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from graphsvc.model import Entity

__all__ = ["chosen_inputs", "input_options", "progress"]

F = TypeVar("F", bound=Callable[..., Any])

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OPTIONS = [
    click.argument(
        "directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
    ),
    *(click.option(f"--{entity}", type=_FILE) for entity in Entity),
    click.option("--encoding", help="Force the files' encoding (default: detect UTF-8, BOM, GBK)."),
    click.option(
        "--on-error",
        type=click.Choice(["fail", "skip"]),
        default="fail",
        show_default=True,
        help="fail: refuse a load with a bad row; skip: load valid rows, bad ones to --rejects.",
    ),
    click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path)),
]


def input_options(command: F) -> F:
    """DIRECTORY, --users … --interactions, --encoding, --on-error, --rejects."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def chosen_inputs(directory: Path | None, files: dict[str, Path | None]) -> dict[Entity, Path]:
    """The files named one by one, over those found in ``directory``; UsageError if none."""
    from graphsvc import ingest

    chosen = {Entity(name): path for name, path in files.items() if path is not None}
    if directory is not None:
        chosen = ingest.discover(directory) | chosen
    if not chosen:
        raise click.UsageError("give a DIRECTORY or at least one of --users, --referrals, …")
    return chosen


def progress(label: str, length: int) -> Any:
    """A progress bar on stderr, so stdout stays machine-readable."""
    return click.progressbar(length=length, label=label, file=sys.stderr, show_pos=False)
