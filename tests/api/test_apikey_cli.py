"""``graphsvc apikey create|list|revoke`` against a real server: the key printed once works
with its role, list never shows it, revoke makes it a 401; the state file is its owner's."""

from __future__ import annotations

import os
import stat

from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.service.state import KeyRole, ServiceState


def apikey(served, *args: str):
    env = {"GRAPHSVC_STATE": served.settings.state}
    return CliRunner().invoke(cli, ["--store", served.store.uri, "apikey", *args], env=env)


def test_create_list_revoke(served):
    created = apikey(served, "create", "--role", "operator", "--name", "etl")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("gsk_")
    assert len(secret) > 40
    assert served.post("/api/v1/jobs", key=secret).status == 202

    listed = apikey(served, "list", "--format", "json")
    assert secret not in listed.stdout
    key_id = next(line for line in created.stderr.splitlines() if "key " in line).split()[1]
    assert key_id in listed.stdout
    assert "etl" in listed.stdout

    assert apikey(served, "revoke", key_id).exit_code == 0
    assert served.get("/api/v1/runs", key=secret).status == 401
    assert apikey(served, "revoke", "no-such-key").exit_code == 66
    assert apikey(served, "create", "--role", "root").exit_code == 2


def test_the_state_file_is_created_readable_by_its_owner_only(tmp_path):
    """Created 0600 from the start (never world-readable, even for a moment), whatever the
    umask; SQLite gives its -wal and -shm files the same mode."""
    path = tmp_path / "new" / "state.db"
    umask = os.umask(0o022)
    try:
        created = CliRunner().invoke(
            cli, ["apikey", "create", "--role", "admin"], env={"GRAPHSVC_STATE": str(path)}
        )
        state = ServiceState(path)
    finally:
        os.umask(umask)
    try:
        assert created.exit_code == 0, created.output
        state.create_key(KeyRole.READER)
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
    finally:
        state.close()
    assert set(modes) == {"state.db", "state.db-wal", "state.db-shm"}
    assert set(modes.values()) == {0o600}, modes
