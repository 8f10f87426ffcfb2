"""The CLI on a real SQLite file: help, exit codes, output formats, export."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.store.sqlite import SqliteStore
from tests.builders import sample_run


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(db: str, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["--store", db, *args], env=env, catch_exceptions=False)


@pytest.fixture
def db_with_run(db) -> str:
    store = SqliteStore(db.removeprefix("sqlite:///"))
    store.init_schema()
    store.ensure_users(["a", "b", "c"])
    store.write_run(sample_run("r1", 1.0, {"a": 1, "b": 2, "c": 3}))
    store.close()
    return db


@pytest.mark.parametrize("command", list(cli.commands))
def test_every_command_has_help(db, command):
    result = run(db, command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_stats_on_a_new_store_counts_zero(db):
    result = run(db, "stats", "--format", "json")
    rows = json.loads(result.output)
    assert {r["entity"]: r["count"] for r in rows}["users"] == 0
    assert rows[-1] == {"entity": "current_run", "count": "none"}


def test_kols_before_any_run_exits_66_with_a_hint(db):
    result = run(db, "kols")
    assert result.exit_code == 66
    assert "graphsvc analyze" in result.output


def test_bad_setting_exits_78_naming_it(db):
    result = run(db, "stats", env={"GRAPHSVC_SEED": "x"})
    assert result.exit_code == 78
    assert "GRAPHSVC_SEED='x' is not an integer" in result.output


def test_unknown_store_scheme_exits_78(tmp_path):
    result = run("mysql://x", "stats")
    assert result.exit_code == 78
    assert "unknown scheme 'mysql'" in result.output


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_kols_formats(db_with_run, fmt):
    result = run(db_with_run, "kols", "--limit", "2", "--format", fmt)
    assert result.exit_code == 0
    if fmt == "json":
        assert [r["user_id"] for r in json.loads(result.output)] == ["a", "b"]
    elif fmt == "csv":
        rows = list(csv.DictReader(result.output.splitlines()))
        assert [r["user_id"] for r in rows] == ["a", "b"]
    else:
        lines = result.output.splitlines()
        assert lines[0].split()[:2] == ["influence_rank", "user_id"]
        assert len(lines) == 4  # header, rule, two rows


def test_kols_filters_by_tier(db_with_run):
    result = run(db_with_run, "kols", "--tier", "kol", "--format", "json")
    assert [r["user_id"] for r in json.loads(result.output)] == ["a"]


def test_export_writes_three_files(db_with_run, tmp_path):
    out = tmp_path / "export"
    result = run(db_with_run, "export", "--out", str(out))
    assert result.exit_code == 0
    with (out / "users.csv").open(encoding="utf-8") as f:
        users = list(csv.DictReader(f))
    assert [u["user_id"] for u in users] == ["a", "b", "c"]
    assert {"user_id", "name", "community_id", "tier", "influence"} <= set(users[0])
    with (out / "groups.csv").open(encoding="utf-8") as f:
        groups = list(csv.DictReader(f))
    assert groups == [
        {
            "group_id": "g1",
            "size": "3",
            "declared_owner_id": "official",
            "effective_owner_id": "a",
            "owner_margin": "0.5",
            "owner_mismatch": "1",
        }
    ]
    with (out / "communities.csv").open(encoding="utf-8") as f:
        assert [c["community_id"] for c in csv.DictReader(f)] == ["c-0001", "c-0002"]
