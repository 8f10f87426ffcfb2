"""``graphsvc seeds`` on a generated graph in a real SQLite file: rows, formats, constraints,
exit codes, and the seeds stored with the run."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from graphsvc import synth
from graphsvc.cli import cli
from graphsvc.store.sqlite import SqliteStore


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("seeds")
    synth.generate(root / "data", users=1500, seed=11)
    uri = f"sqlite:///{root / 'g.db'}"
    for args in (["load", str(root / "data")], ["analyze"]):
        assert CliRunner().invoke(cli, ["--store", uri, *args]).exit_code == 0
    return uri


def seeds(db: str, *args: str):
    return CliRunner().invoke(cli, ["--store", db, "seeds", *args], catch_exceptions=False)


def rows(db: str, *args: str) -> list[dict]:
    result = seeds(db, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_help_names_the_default_model_and_the_direction_of_influence(db):
    text = " ".join(seeds(db, "--help").output.split())
    assert "Default model: independent cascade with weighted-cascade probabilities" in text
    assert "when a pays attention to b" in text


def test_imm_rows_in_choice_order_with_intervals_stored_with_the_run(db):
    result = seeds(db, "--k", "8", "--format", "csv")
    assert result.stdout.startswith("\ufeff")  # CSV opens right in Excel, as every CSV we write
    table = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert [int(r["rank"]) for r in table] == list(range(1, 9))
    spread = [float(r["expected_spread"]) for r in table]
    assert spread == sorted(spread)
    marginal = [float(r["marginal_spread"]) for r in table]
    assert sum(marginal) == pytest.approx(spread[-1], rel=1e-6)
    assert all(
        float(r["spread_low"]) <= float(r["expected_spread"]) <= float(r["spread_high"])
        for r in table
    )
    seeds_id = result.stderr.split()[0]
    with SqliteStore(db.removeprefix("sqlite:///")) as store:
        stored = store.seed_set(seeds_id)
        assert stored.run_id == store.current_run().run_id
    assert [r["user_id"] for r in stored.rows] == [r["user_id"] for r in table]
    assert stored.params["model"] == "ic"
    assert stored.params["probabilities"] == "wc"


@pytest.mark.parametrize("epsilon", ["0.01", "5e-324", "0.95"])
def test_epsilon_outside_what_imm_can_afford_is_a_usage_error(db, epsilon):
    result = seeds(db, "--k", "3", "--epsilon", epsilon)
    assert result.exit_code == 2
    assert "--epsilon" in result.output


def test_same_seed_same_answer(db):
    assert rows(db, "--k", "5", "--seed", "3") == rows(db, "--k", "5", "--seed", "3")


def test_constraints_are_respected(db, tmp_path):
    free = rows(db, "--k", "6")
    (tmp_path / "ex.txt").write_text(f"user_id\n{free[0]['user_id']}\n# a comment\n")
    (tmp_path / "in.csv").write_text(f"{free[5]['user_id']},note\n")
    chosen = rows(
        db, "--k", "6", "--exclude", str(tmp_path / "ex.txt"), "--include",
        str(tmp_path / "in.csv"), "--per-community", "1", "--budget", "9",
        "--prices", "kol=2,core=5",
    )  # fmt: skip
    ids = [r["user_id"] for r in chosen]
    assert ids[0] == free[5]["user_id"]
    assert free[0]["user_id"] not in ids
    communities = [r["community_id"] for r in chosen if r["community_id"]]
    assert len(communities) == len(set(communities))
    price = {"kol": 2, "core": 5}
    assert sum(price.get(r["tier"], 1) for r in chosen) <= 9


@pytest.mark.parametrize("method", ["team", "pagerank", "leaderrank", "voterank", "kshell"])
def test_other_methods_report_the_same_figures(db, method):
    table = rows(db, "--k", "4", "--method", method, "--model", "lt")
    assert len(table) == 4
    assert all(r["expected_spread"] > 0 and r["score"] is not None for r in table)


def test_team_reports_the_most_shared_reach(db):
    result = seeds(db, "--k", "5", "--method", "team")
    assert result.exit_code == 0
    assert "most shared reach: " in result.stderr


def test_personalized_needs_people_and_never_returns_them(db, tmp_path):
    assert seeds(db, "--method", "personalized").exit_code == 78
    audience = [r["user_id"] for r in rows(db, "--k", "20", "--method", "degree")][10:]
    (tmp_path / "people.txt").write_text("\n".join(audience))
    chosen = rows(db, "--k", "5", "--method", "personalized", "--for", str(tmp_path / "people.txt"))
    assert not {r["user_id"] for r in chosen} & set(audience)


def test_unknown_ids_exit_65_naming_file_and_line(db, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("user_id\nnobody\n")
    result = seeds(db, "--include", str(path))
    assert result.exit_code == 65
    assert f"{path}:2: user_id: unknown user 'nobody'" in result.output


def test_impossible_constraints_exit_65(db, tmp_path):
    first = rows(db, "--k", "2")
    (tmp_path / "in.txt").write_text("\n".join(r["user_id"] for r in first))
    result = seeds(db, "--k", "1", "--include", str(tmp_path / "in.txt"))
    assert result.exit_code == 65
    assert "2 people must be included but k is 1" in result.output


def test_before_any_run_exits_66(tmp_path):
    result = seeds(f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.exit_code == 66
