"""`graphsvc kols` on every store: the filters and sorts a marketer expects, a split
community answering for its sub-communities, unknown ids named with exit 66."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from tests.builders import load_query_graph, split_run


@pytest.fixture
def kols(store):
    """``kols(*args)``: the command's result on ``store`` holding ``split_run("r2")``."""
    load_query_graph(store)
    store.write_run(split_run("r2"))

    def run(*args: str):
        return CliRunner().invoke(cli, ["--store", store.uri, "kols", *args])

    return run


def users(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [row["user_id"] for row in json.loads(result.output)]


def test_a_split_community_lists_every_member_with_its_sub_community(kols):
    result = kols("--community", "c-a", "--format", "json")
    assert [(r["user_id"], r["community_id"]) for r in json.loads(result.output)] == [
        ("u0", "c-a.01"),
        ("u2", "c-a.02"),
        ("u4", "c-a.01"),
        ("u6", "c-a"),
    ]
    assert users(kols("--community", "c-a.01", "--format", "json")) == ["u0", "u4"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--sort", "in_strength", "--limit", "3"], ["u1", "u5", "u8"]),
        (["--sort", "pagerank", "--limit", "2"], ["u0", "u1"]),
        (["--sort", "downline", "--limit", "2"], ["u0", "u1"]),
        (["--sort", "betweenness", "--limit", "3"], ["u1", "u4", "u0"]),
        (["--role", "provincial_hub"], ["u1"]),
        (["--group", "g1"], ["u0", "u3", "u9"]),
        (["--min-level", "2", "--max-level", "2"], ["u3", "u6"]),
        (["--max-level", "0"], ["u0"]),
        (["--tier", "member", "--community", "c-a"], ["u4", "u6"]),
    ],
)
def test_filters_and_sorts(kols, args, expected):
    assert users(kols(*args, "--format", "json")) == expected


def test_the_sort_and_level_columns_are_shown(kols):
    header = kols("--sort", "betweenness", "--min-level", "1").output.splitlines()[0].split()
    assert header[-2:] == ["betweenness", "referral_level"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--community", "c-9999"], "no community 'c-9999' in run r2"),
        (["--group", "g-nope"], "no group 'g-nope' in run r2"),
        (["--community", "c-9999", "--tier", "kol"], "no community 'c-9999' in run r2"),
    ],
)
def test_unknown_ids_exit_66_naming_them(kols, args, message):
    result = kols(*args)
    assert result.exit_code == 66
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_known_filter_that_matches_nobody_is_an_empty_answer(kols):
    assert users(kols("--community", "c-a0", "--tier", "core", "--format", "json")) == []
