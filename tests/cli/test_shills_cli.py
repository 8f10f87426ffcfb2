"""`graphsvc shills` and `kols --min-quality` on every store: the review list in each format,
from the run's threshold or a given score, and the quality filter."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from tests.builders import load_query_graph


@pytest.fixture
def graphsvc(store):
    load_query_graph(store)  # shill scores: u3 0.9, u5 0.6, u8 0.2

    def run(*args: str):
        result = CliRunner().invoke(cli, ["--store", store.uri, *args])
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_shills_lists_suspects_with_their_signals(graphsvc):
    rows = json.loads(graphsvc("shills", "--format", "json"))
    assert [(r["user_id"], r["shill_score"]) for r in rows] == [("u3", 0.9), ("u5", 0.6)]
    assert set(rows[0]) >= {"user_id", "shill_score", "signals"}
    lowered = json.loads(graphsvc("shills", "--min-score", "0.1", "--format", "json"))
    assert [r["user_id"] for r in lowered] == ["u3", "u5", "u8"]


def test_shills_as_csv_and_table(graphsvc):
    table = csv.DictReader(io.StringIO(graphsvc("shills", "--format", "csv").lstrip("\ufeff")))
    assert [row["user_id"] for row in table] == ["u3", "u5"]
    text = graphsvc("shills", "--limit", "1")
    assert text.splitlines()[0].split()[:4] == ["user_id", "name", "shill_score", "signals"]
    assert "u3" in text
    assert "u5" not in text


def test_kols_min_quality(graphsvc):
    rows = json.loads(graphsvc("kols", "--min-quality", "0.75", "--format", "json"))
    assert [(r["user_id"], r["audience_quality"]) for r in rows] == [
        ("u0", 0.9),
        ("u1", 0.8),
        ("u4", 0.95),
    ]
