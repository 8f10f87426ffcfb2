"""`graphsvc db init` and `graphsvc cypher` against the real Neo4j."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.cli_neo4j import parse_param

QUERIES = "cypher/queries"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n=42", ("n", 42)),
        ("x=-1.5", ("x", -1.5)),
        ("x=1e3", ("x", 1000.0)),
        ("flag=true", ("flag", True)),
        ("flag=False", ("flag", False)),
        ("v=null", ("v", None)),
        ("id=u000042", ("id", "u000042")),
        ("id='42'", ("id", "42")),
        ("q=a=b", ("q", "a=b")),
        ("name=团购群", ("name", "团购群")),
    ],
)
def test_params_are_typed(text, expected):
    assert parse_param(text) == expected


def test_a_param_without_equals_is_a_config_error():
    result = CliRunner().invoke(
        cli, ["--store", "bolt://127.0.0.1:7687", "cypher", "RETURN 1", "-p", "x"]
    )
    assert result.exit_code == 78
    assert "name=value" in result.output


def test_cypher_needs_a_neo4j_store(tmp_path):
    result = CliRunner().invoke(
        cli, ["--store", f"sqlite:///{tmp_path}/g.db", "cypher", "RETURN 1"]
    )
    assert result.exit_code == 78
    assert "not Neo4j" in result.output


@pytest.fixture
def invoke(neo4j_server, neo4j_store):
    env = {"NEO4J_USER": neo4j_server.user, "NEO4J_PASSWORD": neo4j_server.password}

    def run(*args: str):
        return CliRunner().invoke(cli, ["--store", neo4j_server.uri, *args], env=env)

    return run


@pytest.mark.neo4j
def test_db_init_applies_the_schema(invoke, neo4j_store):
    neo4j_store._autocommit("DROP CONSTRAINT group_gid_unique IF EXISTS")
    result = invoke("db", "init")
    assert result.exit_code == 0, result.output
    assert "schema applied" in result.output
    names = {r["name"] for r in neo4j_store._rows("SHOW CONSTRAINTS YIELD name")}
    assert "group_gid_unique" in names


@pytest.mark.neo4j
def test_cypher_reads_with_typed_params_in_every_format(invoke, neo4j_store):
    neo4j_store.ensure_users(["a", "b", "c"])
    query = (
        "MATCH (u:User) WHERE u.uid >= $min "
        "RETURN u.user_id AS id, u.uid AS uid, $f AS f ORDER BY uid"
    )
    result = invoke("cypher", query, "-p", "min=1", "-p", "f=0.5", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"id": "b", "uid": 1, "f": 0.5},
        {"id": "c", "uid": 2, "f": 0.5},
    ]
    table = invoke("cypher", query, "-p", "min=2", "-p", "f=x")
    assert table.output.splitlines()[0].split() == ["id", "uid", "f"]
    assert table.output.splitlines()[2].split() == ["c", "2", "x"]
    csv_out = invoke("cypher", query, "-p", "min=2", "-p", "f=x", "--format", "csv")
    assert csv_out.output.splitlines() == ["\ufeffid,uid,f", "c,2,x"]  # a BOM for Excel


@pytest.mark.neo4j
def test_cypher_is_read_only_unless_write(invoke, neo4j_store):
    refused = invoke("cypher", "CREATE (:Scratch {n: 1})")
    assert refused.exit_code == 65
    assert "--write" in refused.output
    assert neo4j_store._value("MATCH (s:Scratch) RETURN count(s)") == 0
    done = invoke("cypher", "CREATE (s:Scratch {n: $n}) RETURN s.n AS n", "-p", "n=7", "--write")
    assert done.exit_code == 0, done.output
    assert neo4j_store._value("MATCH (s:Scratch) RETURN s.n") == 7


@pytest.mark.neo4j
def test_cypher_runs_a_query_file(invoke, neo4j_store):
    neo4j_store.ensure_users(["a", "b"])
    from tests.builders import sample_run

    neo4j_store.write_run(sample_run("r1", 1.0, {"a": 2, "b": 1}))
    result = invoke(
        "cypher", "-f", f"{QUERIES}/top_kols.cypher", "-p", "limit=1", "-p", "tier=null",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["user_id"], row["influence_rank"], row["run_id"]) == ("b", 1, "r1")


@pytest.mark.neo4j
def test_cypher_syntax_error_is_reported(invoke):
    result = invoke("cypher", "MATCH (n RETURN n")
    assert result.exit_code == 65
    assert "Cypher failed" in result.output
