"""``graphsvc apikey``: create, list and revoke API keys (kept hashed in GRAPHSVC_STATE)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from graphsvc.cli.context import AppContext
from graphsvc.cli.output import echo_rows, format_option
from graphsvc.errors import NotFoundError
from graphsvc.service.state import KeyRole, ServiceState

__all__ = ["apikey_group"]


def _state(app: AppContext, *, create: bool = False) -> ServiceState:
    """The service state file; only ``create`` (a new key) makes one that is not there, so a
    typo'd GRAPHSVC_STATE is not taken for a state without keys."""
    path = Path(app.settings.state)
    if not create and not path.exists():
        raise NotFoundError(
            f"no service state at {path.resolve()} (graphsvc apikey create makes one)"
        )
    return ServiceState(path)


@click.group("apikey")
def apikey_group() -> None:
    """API keys of the HTTP API: roles reader < operator < admin."""


@apikey_group.command("create")
@click.option("--role", type=click.Choice([r.value for r in KeyRole]), required=True)
@click.option("--name", default="", help="Who or what uses the key.")
@click.pass_obj
def create_key(app: AppContext, role: str, name: str) -> None:
    """Create a key and print it once (only its SHA-256 hash is stored)."""
    key, secret = _state(app, create=True).create_key(KeyRole(role), name)
    click.echo(secret)
    click.echo(f"key {key.key_id} ({key.role}): shown once, store it now", err=True)


@apikey_group.command("list")
@format_option
@click.pass_obj
def list_keys(app: AppContext, fmt: str) -> None:
    """Keys with their id, name, role and state (never the key itself)."""
    rows = [
        {
            "key_id": k.key_id,
            "name": k.name,
            "role": k.role.value,
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(k.created_at)),
            "revoked": "revoked" if k.revoked_at else "",
        }
        for k in _state(app).api_keys()
    ]
    echo_rows(rows, ("key_id", "name", "role", "created", "revoked"), fmt)


@apikey_group.command("revoke")
@click.argument("key_id")
@click.pass_obj
def revoke_key(app: AppContext, key_id: str) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    _state(app).revoke_key(key_id)
    click.echo(f"revoked {key_id}")
