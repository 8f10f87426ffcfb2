"""The input options that ``graphsvc load`` and ``graphsvc db import`` share: directories and
files (each named for its input), or one file per input option, --encoding, --on-error and
--rejects."""

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
        "inputs",
        nargs=-1,
        metavar="[DIRECTORY|FILE]...",
        type=click.Path(exists=True, path_type=Path),
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
    """[DIRECTORY|FILE]..., --users … --interactions, --encoding, --on-error, --rejects."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def chosen_inputs(inputs: tuple[Path, ...], files: dict[str, Path | None]) -> dict[Entity, Path]:
    """The files of the directories and files in ``inputs`` (what a file holds comes from its
    name, as in a directory), overridden by the files given as --users F …; UsageError if
    none, or if two of ``inputs`` hold the same input."""
    from graphsvc import ingest

    found: dict[Entity, Path] = {}
    for path in inputs:
        for entity, file in (
            ingest.discover(path) if path.is_dir() else {ingest.entity_of(path): path}
        ).items():
            if entity in found:
                raise click.UsageError(
                    f"{found[entity]} and {file} both hold {entity}: load one, then the other"
                )
            found[entity] = file
    chosen = found | {Entity(name): path for name, path in files.items() if path is not None}
    if not chosen:
        raise click.UsageError(
            "give a DIRECTORY, input files, or at least one of --users, --referrals, …"
        )
    return chosen


def progress(label: str, length: int) -> Any:
    """A progress bar on stderr, so stdout stays machine-readable."""
    return click.progressbar(length=length, label=label, file=sys.stderr, show_pos=False)
