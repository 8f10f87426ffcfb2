"""Stores the commands must handle with one line, never a traceback: an empty store URI, a
read-only file, referrals without interactions, a run without communities."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli

CLIQUES = "src_id,dst_id,kind\n" + "".join(
    f"{c}{i},{c}{j},reply\n" for c in "ab" for i in range(5) for j in range(5) if i != j
)


def run(store: str, *args: str):
    return CliRunner().invoke(cli, ["--store", store, *args], catch_exceptions=False)


def loaded(tmp_path: Path, entity: str, text: str) -> str:
    """A SQLite store holding one input file."""
    store = f"sqlite:///{tmp_path / 'graph.db'}"
    path = tmp_path / f"{entity}.csv"
    path.write_text(text)
    assert run(store, "load", f"--{entity}", str(path)).exit_code == 0
    return store


def test_an_empty_store_uri_is_bad_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("", "stats")
    assert result.exit_code == 78
    assert result.output.count("\n") == 1
    assert not (tmp_path / "graphsvc.db").exists()


def test_referrals_without_interactions_analyze(tmp_path):
    store = loaded(tmp_path, "referrals", "inviter_id,invitee_id\na,b\nb,c\na,d\n")
    result = run(store, "analyze")
    assert result.exit_code == 0, result.output
    assert "Run run-" in result.output


def test_refresh_after_a_run_without_communities(tmp_path):
    store = loaded(tmp_path, "interactions", CLIQUES)
    first = run(store, "analyze", "--resolution", "1e300")
    assert "0 communities" in first.output
    result = run(store, "analyze", "--refresh", "--force")
    assert result.exit_code == 0, result.output
    assert "Run run-" in result.output


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A store file nobody may write (root too: immutable), and an input file."""
    store = loaded(tmp_path, "interactions", CLIQUES)
    path = tmp_path / "graph.db"
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make a file read-only for root: {done.stderr!r}")
    try:
        yield store, tmp_path / "interactions.csv"
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("command", ["load", "analyze"])
def test_a_read_only_store_is_refused_before_the_work(read_only, command):
    store, interactions = read_only
    args = ["--interactions", str(interactions)] if command == "load" else ["--force"]
    result = run(store, command, *args)
    assert result.exit_code == 69
    assert "graph.db is read-only" in result.output
    assert "Traceback" not in result.output
    assert "influence" not in result.output  # refused before the analysis stages
