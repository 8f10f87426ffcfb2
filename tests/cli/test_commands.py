"""The CLI on a real SQLite file: help, exit codes, output formats, export."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.cli.serving import over_dunbar
from graphsvc.config import Settings
from graphsvc.errors import NotFoundError
from graphsvc.model import LIFECYCLE_FIELDS, CommunityResult
from graphsvc.server import create_app
from graphsvc.store.sqlite import SqliteStore
from tests.builders import free_port, sample_run


@pytest.fixture
def db(tmp_path) -> str:
    """An empty store that exists (schema applied)."""
    SqliteStore(tmp_path / "cli.db").init_schema()
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
    rows = {r["entity"]: r["count"] for r in json.loads(result.output)}
    assert rows["users"] == 0
    assert rows["current_run"] == "none"


def test_stats_says_what_each_line_counts_with_thousands_separators(db, tmp_path):
    store = SqliteStore(tmp_path / "cli.db")
    store.ensure_users([f"u{i}" for i in range(1234)])
    store.close()
    lines = run(db, "stats").output.splitlines()
    users = next(line for line in lines if line.startswith("users "))
    assert users.split()[1] == "1,234"
    assert "people" in users
    body = lines[2:]  # after the header and the rule
    assert all(len(line.split()) >= 3 for line in body)  # entity, count, what it counts
    assert lines[-1].split()[:2] == ["store", str(tmp_path / "cli.db")]
    rows = json.loads(run(db, "stats", "--format", "json").output)
    assert rows[0] == {"entity": "users", "count": 1234, "what": rows[0]["what"]}
    assert all(row["what"] for row in rows)


READING_COMMANDS = [
    ["stats"],
    ["kols"],
    ["runs"],
    ["runs", "diff"],
    ["analyze"],
    ["explain", "u1"],
    ["export", "--out", "out"],
    ["community", "label", "c-0001", "x"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_reading_a_store_that_does_not_exist_exits_66_and_creates_nothing(
    tmp_path, monkeypatch, command
):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--store", "sqlite:///grapsvc.db", *command])
    assert result.exit_code == 66, result.output
    assert result.output == (
        f"Error: no store at {tmp_path / 'grapsvc.db'} (run graphsvc load first)\n"
    )
    assert not (tmp_path / "grapsvc.db").exists()


def test_the_api_refuses_a_store_that_does_not_exist(tmp_path):
    """What `graphsvc serve` builds first: it exits 66 instead of serving an empty store."""
    settings = Settings(store=f"sqlite:///{tmp_path / 'grapsvc.db'}", state=str(tmp_path / "s.db"))
    with pytest.raises(NotFoundError, match=r"no store at .*grapsvc\.db"):
        create_app(settings)
    assert not (tmp_path / "grapsvc.db").exists()


def test_load_creates_a_relative_store_and_says_its_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "users.csv").write_text("user_id,name\nu1,Ann\n", encoding="utf-8")
    db = "sqlite:///tmp/x.db"  # relative, as in SQLAlchemy: ./tmp/x.db
    result = run(db, "load", "users.csv")
    assert result.exit_code == 0, result.output
    where = tmp_path / "tmp" / "x.db"
    assert where.is_file()
    assert result.output.splitlines()[-1] == f"Loaded into {where}"
    assert f"store               {where}" in run(db, "stats").output


def test_apikey_list_on_a_missing_state_exits_66_and_create_makes_it(db, tmp_path):
    env = {"GRAPHSVC_STATE": str(tmp_path / "typo-state.db")}
    listed = run(db, "apikey", "list", env=env)
    assert listed.exit_code == 66
    assert f"no service state at {tmp_path / 'typo-state.db'}" in listed.output
    assert not (tmp_path / "typo-state.db").exists()
    assert run(db, "apikey", "revoke", "k1", env=env).exit_code == 66
    assert run(db, "apikey", "create", "--role", "reader", env=env).exit_code == 0
    assert run(db, "apikey", "list", env=env).exit_code == 0


def test_load_takes_files_named_for_their_input(db, tmp_path):
    (tmp_path / "users.csv").write_text("user_id,name\nu1,Ann\nu2,Bo\n", encoding="utf-8")
    (tmp_path / "referrals.jsonl").write_text(
        '{"inviter_id": "u1", "invitee_id": "u3"}\n', encoding="utf-8"
    )
    result = run(db, "load", str(tmp_path / "users.csv"), str(tmp_path / "referrals.jsonl"))
    assert result.exit_code == 0, result.output
    counts = {
        r["entity"]: r["count"] for r in json.loads(run(db, "stats", "--format", "json").output)
    }
    assert (counts["users"], counts["referrals"]) == (3, 1)


def test_load_refuses_a_file_whose_name_names_no_input(db, tmp_path):
    (tmp_path / "export.csv").write_text("user_id\nu1\n", encoding="utf-8")
    result = run(db, "load", str(tmp_path / "export.csv"))
    assert result.exit_code == 65
    assert "export.csv: which input is it?" in result.output
    assert "--users FILE" in result.output


def test_load_refuses_two_files_of_one_input(db, tmp_path):
    (tmp_path / "d").mkdir()
    for folder in (tmp_path, tmp_path / "d"):
        (folder / "users.csv").write_text("user_id\nu1\n", encoding="utf-8")
    result = run(db, "load", str(tmp_path / "d"), str(tmp_path / "users.csv"))
    assert result.exit_code == 2
    assert "both hold users" in result.output


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
        assert result.output.startswith("\ufeffinfluence_rank,")  # Excel reads UTF-8 right
        rows = list(csv.DictReader(result.output.removeprefix("\ufeff").splitlines()))
        assert [r["user_id"] for r in rows] == ["a", "b"]
    else:
        lines = result.output.splitlines()
        assert lines[0].split()[:2] == ["influence_rank", "user_id"]
        assert len(lines) == 4  # header, rule, two rows


def test_csv_without_bom_for_pipelines(db_with_run, tmp_path):
    result = run(db_with_run, "kols", "--format", "csv", "--no-bom")
    assert result.output.startswith("influence_rank,user_id,")
    assert run(db_with_run, "export", "--out", str(tmp_path / "x"), "--no-bom").exit_code == 0
    assert (tmp_path / "x" / "users.csv").read_bytes().startswith(b"user_id,")


def test_kols_filters_by_tier(db_with_run):
    result = run(db_with_run, "kols", "--tier", "kol", "--format", "json")
    assert [r["user_id"] for r in json.loads(result.output)] == ["a"]


def test_export_writes_three_files(db_with_run, tmp_path):
    out = tmp_path / "export"
    result = run(db_with_run, "export", "--out", str(out))
    assert result.exit_code == 0
    for name in ("users.csv", "communities.csv", "groups.csv"):
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf")  # a UTF-8 BOM, for Excel
    with (out / "users.csv").open(encoding="utf-8-sig") as f:
        users = list(csv.DictReader(f))
    assert [u["user_id"] for u in users] == ["a", "b", "c"]
    assert {"user_id", "name", "community_id", "tier", "influence"} <= set(users[0])
    with (out / "groups.csv").open(encoding="utf-8-sig") as f:
        groups = list(csv.DictReader(f))
    assert [{k: v for k, v in g.items() if k not in LIFECYCLE_FIELDS} for g in groups] == [
        {
            "group_id": "g1",
            "size": "3",
            "declared_owner_id": "official",
            "effective_owner_id": "a",
            "owner_margin": "0.5",
            "owner_mismatch": "1",
        }
    ]
    assert (groups[0]["stage"], groups[0]["joins_7d"]) == ("", "-1")  # not assessed
    with (out / "communities.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "community_id"
    assert {"stage", "alarms", "successors", "label"} <= set(rows[0])
    assert [r[0] for r in rows[1:]] == ["c-0001", "c-0002"]


def community(community_id: str, size: int, parent_id: str | None = None) -> CommunityResult:
    return CommunityResult(
        community_id, size, "u1", 0.5, None, 0.1, 0.2, 0.3, 0.4, "mesh", parent_id
    )


def test_demo_lists_top_level_communities_over_dunbar_and_says_so():
    top = [community(f"c-{i:04d}", 151 + i) for i in range(25)]
    parts = [community("c-0024.01", 170, "c-0024"), community("c-0024.02", 6, "c-0024")]
    title, rows = over_dunbar([*top, *parts, community("c-0099", 150)], 150, "SEE")
    assert title == (
        "Owners of the 20 largest of the 25 communities over Dunbar's 150 members "
        "(all of them, and their sub-communities: SEE):"
    )
    assert [c.size for c in rows] == list(range(175, 155, -1))
    title, rows = over_dunbar(top[:3] + parts, 150, "SEE")
    assert title.startswith("Owners of the 3 communities over Dunbar's 150 members")
    assert len(rows) == 3
    assert over_dunbar(parts, 150, "SEE") == (
        "No community has more than Dunbar's 150 members.",
        [],
    )


@pytest.mark.parametrize(
    ("old", "message"),
    [
        ("PERIPHERAL_MAX_ENGAGEMENT", "is now GRAPHSVC_LURKER_MAX_ENGAGEMENT"),
        ("REFRESH_LEIDEN_ITERATIONS", "is now GRAPHSVC_WARM_LEIDEN_ITERATIONS"),
        ("CORE_TOP_FRACTION", "is gone; see GRAPHSVC_CORE_MIN_STANDING in the README"),
    ],
)
def test_old_setting_names_are_refused_naming_the_new_one(db, old, message):
    result = run(db, "stats", env={f"GRAPHSVC_{old}": "1"})
    assert result.exit_code == 78
    assert f"GRAPHSVC_{old} {message}" in result.output


def test_explain_in_words_a_marketer_reads(db):
    result = sample_run("r1", 1.0, {f"u{i}": i + 1 for i in range(1000)})
    columns = result.users.columns
    columns["influence"][0] = 0.000042
    columns["communities_reached"][0], columns["reach_top_pct"][0] = 4.2, 0.3
    columns["in_strength"][0], columns["attention_top_pct"][0] = 12345.678, 0.1
    result.info.stats["n_users"] = 1000
    store = SqliteStore(db.removeprefix("sqlite:///"))
    store.write_run(result)
    store.close()
    lines = run(db, "explain", "u0").output.splitlines()
    assert lines[0].startswith(
        "u0: kol, influence rank #1 of 1,000, PageRank 0.000042 (top 0.1%), community c-0001"
    )
    assert lines[1:] == [
        "  - 12,346 weighted attention received (top 0.1%)",
        "  - attention from 4.2 communities (top 0.3%)",
    ]
    table = run(db, "kols", "--limit", "1").output
    assert "0.000042" in table
    assert "e-05" not in table


def test_errors_stay_on_one_line_and_cut_what_they_echo(db_with_run):
    result = run(db_with_run, "explain", "x" * 100_000)
    assert result.exit_code == 66
    assert result.output == f"Error: user '{'x' * 80}'…(100,000 chars) is not in run r1\n"


def test_an_unreachable_neo4j_is_one_line(tmp_path):
    result = run(f"bolt://127.0.0.1:{free_port()}", "stats")
    assert result.exit_code == 69
    assert result.output.count("\n") == 1
    assert "is unreachable" in result.output
