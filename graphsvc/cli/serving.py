"""Serving the API and dashboard, and the demo that ends by serving."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from graphsvc.cli.analysis import analyze
from graphsvc.cli.context import AppContext, current_run_id
from graphsvc.cli.data import generate, load
from graphsvc.cli.output import echo_rows
from graphsvc.cli.reading import kols
from graphsvc.model import CommunityResult


def serve_app(app: AppContext, host: str, port: int, workers: int) -> None:
    """Serve the API with waitress until Ctrl-C; announces the address once it listens."""
    from graphsvc.server import create_app, http_server

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


@click.command()
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


@click.command()
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
        from graphsvc.service.state import KeyRole, ServiceState

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
