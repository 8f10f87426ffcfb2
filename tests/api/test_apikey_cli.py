"""``graphsvc apikey create|list|revoke`` against a real server: the key printed once works
with its role, list never shows it, revoke makes it a 401."""

from __future__ import annotations

from click.testing import CliRunner

from graphsvc.cli import cli


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
