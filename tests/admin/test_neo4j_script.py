"""scripts/neo4j: idempotent start, status codes, clear errors."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from neo4j.exceptions import ClientError

from tests.builders import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "neo4j"


def script(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def fake_tool(directory: Path, name: str, body: str) -> None:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_usage_without_a_command_exits_64():
    done = script()
    assert done.returncode == 64
    assert "start" in done.stderr


def test_status_and_stop_of_a_home_never_started(tmp_path):
    home = {"NEO4J_HOME_DIR": str(tmp_path / "home"), "NEO4J_BOLT_PORT": str(free_port())}
    status = script("status", **home)
    assert status.returncode == 3
    assert "not running" in status.stdout
    stop = script("stop", **home)
    assert stop.returncode == 0
    assert "not running" in stop.stderr


def test_wrong_java_is_a_clear_error(tmp_path):
    fake_tool(tmp_path / "bin", "java", "echo 'openjdk version \"11.0.2\" 2019-01-15' >&2")
    done = script(
        "start",
        PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        NEO4J_HOME_DIR=str(tmp_path / "home"),
        NEO4J_BOLT_PORT=str(free_port()),
    )
    assert done.returncode == 1
    assert "needs Java 17 or 21" in done.stderr


def test_maven_failure_is_a_clear_error(tmp_path):
    fake_tool(tmp_path / "bin", "mvn", "echo 'Could not resolve dependencies' >&2; exit 1")
    done = script(
        "install",
        PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        GRAPHSVC_CACHE=str(tmp_path / "cache"),
    )
    assert done.returncode == 1
    assert "Maven could not fetch the Neo4j jars" in done.stderr
    assert "Could not resolve dependencies" in done.stderr
    assert not (tmp_path / "cache" / "neo4j-5.26.24" / ".installed").exists()


@pytest.mark.neo4j
def test_second_start_reuses_the_running_server(neo4j_server):
    if not neo4j_server.started_here and os.environ.get("NEO4J_URI"):
        pytest.skip("the server comes from NEO4J_URI, not from scripts/neo4j")
    t0 = time.monotonic()
    done = script("start")
    assert done.returncode == 0, done.stderr
    assert "reusing the running server" in done.stderr
    assert time.monotonic() - t0 < 15
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines())
    assert lines["NEO4J_URI"] == neo4j_server.uri
    assert lines["NEO4J_USER"] == "neo4j"
    assert lines["NEO4J_PASSWORD"] == neo4j_server.password
    status = script("status")
    assert status.returncode == 0
    assert status.stdout.startswith("running")


@pytest.mark.neo4j
def test_the_server_refuses_load_csv_and_loads_only_the_listed_procedures(
    neo4j_server, neo4j_store
):
    """What the analyst's guard refuses, the server refuses too (scripts/neo4j's conf)."""
    if os.environ.get("NEO4J_URI"):
        pytest.skip("the server comes from NEO4J_URI, not from scripts/neo4j")
    for url, reason in (
        ("file:///neo4j.conf", "allow_csv_import_from_file_urls"),
        (f"http://127.0.0.1:{free_port()}/x.csv", "cypher_ip_blocklist"),
        ("http://localhost/x.csv", "cypher_ip_blocklist"),
    ):
        with pytest.raises(ClientError, match=reason):
            neo4j_store.session.rows(f"LOAD CSV FROM '{url}' AS r RETURN r")
    loaded = neo4j_store.session.rows(
        "SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'gds.graph'"
    )
    assert {r["name"] for r in loaded} == {"gds.graph.project", "gds.graph.drop"}
