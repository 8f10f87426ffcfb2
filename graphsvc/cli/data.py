"""Data in: generate a graph, load files."""

from __future__ import annotations

import time
from pathlib import Path

import click

from graphsvc.cli.context import AppContext
from graphsvc.cli.inputs import chosen_inputs, input_options, progress
from graphsvc.store import store_location


@click.command()
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


@click.command()
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
