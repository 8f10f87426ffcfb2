"""`graphsvc db init` and `graphsvc cypher` against the real Neo4j: what the analyst's
Cypher may do and what it may not, and one-line errors for a store that cannot be used."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import neo4j
import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.cli.db import parse_param

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

    def run(*args: str, **extra_env: str):
        return CliRunner().invoke(
            cli, ["--store", neo4j_server.uri, *args], env={**env, **extra_env}
        )

    return run


@pytest.mark.neo4j
def test_db_init_applies_the_schema(invoke, neo4j_store):
    neo4j_store.session.autocommit("DROP CONSTRAINT group_gid_unique IF EXISTS")
    result = invoke("db", "init")
    assert result.exit_code == 0, result.output
    assert "schema applied" in result.output
    names = {r["name"] for r in neo4j_store.session.rows("SHOW CONSTRAINTS YIELD name")}
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
    assert neo4j_store.session.value("MATCH (s:Scratch) RETURN count(s)") == 0
    done = invoke("cypher", "CREATE (s:Scratch {n: $n}) RETURN s.n AS n", "-p", "n=7", "--write")
    assert done.exit_code == 0, done.output
    assert neo4j_store.session.value("MATCH (s:Scratch) RETURN s.n") == 7


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


def one_line_error(result, exit_code: int) -> str:
    """The output of a command that failed as it should: the exit code, one line, no trace."""
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


@pytest.mark.neo4j
@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("SHOW USERS", "administration commands"),
        ("CALL dbms.listConfig()", "procedure dbms.listConfig"),
        ("CALL db.clearQueryCaches()", "procedure db.clearQueryCaches"),
        ("SHOW SETTINGS YIELD name, value", "SHOW SETTINGS"),
        ("SHOW TRANSACTIONS", "SHOW TRANSACTIONS"),
        ("CREATE INDEX guard_test FOR (n:User) ON (n.name)", "administration commands"),
        ("CALL gds.graph.project('p', 'User', 'REFERRED')", "procedure gds.graph.project"),
        ("CALL gds.graph.export('p', {dbName: 'x'})", "gds.graph.export"),
        ("MATCH (a:User)-->(b) WITH gds.graph.project('q', a, b) AS g RETURN g", "gds.graph"),
        ("CALL { CALL dbms.components() YIELD name RETURN name } RETURN name", "dbms.components"),
        ("USE system CALL dbms.showCurrentUser()", "refuses"),
        ("CALL `dbms`.`listConfig`()", "procedure dbms.listConfig"),
        ("cAlL   dbms . listConfig ( )", "procedure dbms.listConfig"),
        ("CALL \\u0064bms/* odd */.listConfig", "procedure dbms.listConfig"),
        ("MATCH (n) RETURN n; CALL dbms.listConfig()", "one statement"),
        ("RETURN 'x\\u0027 AS a, gds.version() AS b //'", "function gds.version"),
    ],
)
def test_cypher_refuses_all_but_reads(invoke, query, refused):
    output = one_line_error(invoke("cypher", query), 65)
    assert refused in output


@pytest.mark.neo4j
@pytest.mark.parametrize(
    "query",
    [
        "CALL db.clearQueryCaches()",
        "CALL dbms.listConfig()",
        "CREATE INDEX guard_test FOR (n:User) ON (n.name)",
        "LOAD CSV FROM 'file:///x.csv' AS r CREATE (:Scratch {v: r[0]})",
    ],
)
def test_write_is_for_data_not_administration(invoke, query):
    assert one_line_error(invoke("cypher", "--write", query), 65)


@pytest.mark.neo4j
@pytest.mark.parametrize(
    "query",
    [
        "CALL db.labels() YIELD label RETURN label ORDER BY label",
        "SHOW INDEXES YIELD name RETURN count(*) AS indexes",
        "RETURN 'CALL dbms.listConfig(); LOAD CSV' AS s // TERMINATE TRANSACTIONS",
        "RETURN 'it\\'s \\\\u0027; SHOW USERS' AS s /* ; CALL dbms.listConfig() */",
        "USE neo4j CALL { MATCH (u:User) RETURN u } RETURN count(u) AS users",
    ],
)
def test_cypher_allows_reads_however_written(invoke, neo4j_store, query):
    neo4j_store.ensure_users(["a"])
    result = invoke("cypher", query, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)


@pytest.mark.neo4j
def test_terminate_is_refused_and_the_other_clients_write_commits(
    invoke, neo4j_server, neo4j_store
):
    auth = (neo4j_server.user, neo4j_server.password)
    with (
        neo4j.GraphDatabase.driver(neo4j_server.uri, auth=auth) as driver,
        driver.session() as session,
    ):
        tx = session.begin_transaction(metadata={"app": "etl"})
        tx.run("CREATE (:Scratch {n: 1})").consume()
        (running,) = neo4j_store.session.rows(
            "SHOW TRANSACTIONS YIELD transactionId, metaData WHERE metaData.app = 'etl'"
        )
        output = one_line_error(
            invoke("cypher", f"TERMINATE TRANSACTIONS '{running['transactionId']}'"), 65
        )
        assert "refuses TERMINATE TRANSACTIONS" in output
        tx.commit()
    assert neo4j_store.session.value("MATCH (s:Scratch) RETURN count(s)") == 1


@pytest.fixture
def http_service() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP service holding a secret: its base URL and the paths asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b"secret-token,42\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


@pytest.mark.neo4j
def test_load_csv_is_refused_before_the_server_fetches_anything(invoke, http_service):
    base, asked = http_service
    for query in (
        f"LOAD CSV FROM '{base}/keys.csv' AS r RETURN r",
        f"LOAD CSV FROM '{base}/keys.csv' AS r RETURN toInteger(r[0])",
        "LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r",
    ):
        output = one_line_error(invoke("cypher", query), 65)
        assert "refuses LOAD CSV" in output
        assert "secret" not in output
    assert asked == []


@pytest.mark.neo4j
def test_cypher_stops_at_its_time_and_row_limits(invoke):
    started = time.monotonic()
    slow = "UNWIND range(1, 2000000000) AS x WITH x WHERE x < 0 RETURN count(*) AS n"
    output = one_line_error(invoke("cypher", slow, "--timeout", "1"), 65)
    assert "ran longer than 1 s" in output
    assert time.monotonic() - started < 30
    rows = "UNWIND range(1, $n) AS x RETURN x"
    output = one_line_error(invoke("cypher", rows, "-p", "n=11", "--max-rows", "10"), 65)
    assert "more than 10 rows: add LIMIT" in output
    exact = invoke("cypher", rows, "-p", "n=10", "--max-rows", "10", "--format", "csv", "--no-bom")
    assert exact.output.splitlines() == ["x", *map(str, range(1, 11))]
    output = one_line_error(invoke("cypher", rows, "-p", "n=4", GRAPHSVC_CYPHER_MAX_ROWS="3"), 65)
    assert "more than 3 rows" in output


@pytest.mark.neo4j
def test_a_database_that_does_not_exist_is_a_config_error(invoke):
    for args in (("stats",), ("cypher", "RETURN 1")):
        output = one_line_error(invoke(*args, NEO4J_DATABASE="nosuchdb"), 78)
        assert "no database 'nosuchdb'" in output
        assert "NEO4J_DATABASE" in output


@pytest.mark.neo4j
def test_the_login_rate_limit_is_a_store_error(neo4j_server, neo4j_store):
    """Three wrong passwords lock a user for a while (its own user, so tests go on)."""
    user, password = "ratelimited", "right-password"
    with neo4j_store.session.session(database="system") as session:
        session.run(
            f"CREATE USER {user} IF NOT EXISTS SET PASSWORD $p CHANGE NOT REQUIRED", p=password
        ).consume()
    try:
        env = {"NEO4J_USER": user, "NEO4J_PASSWORD": "wrong-password"}
        outputs = [
            CliRunner().invoke(cli, ["--store", neo4j_server.uri, "stats"], env=env)
            for _ in range(5)
        ]
        last = one_line_error(outputs[-1], 69)
        assert "too many wrong passwords" in last
        assert all(o.exit_code == 69 for o in outputs)
    finally:
        with neo4j_store.session.session(database="system") as session:
            session.run(f"DROP USER {user} IF EXISTS").consume()


def test_a_port_out_of_range_is_a_config_error():
    result = CliRunner().invoke(cli, ["--store", "bolt://127.0.0.1:99999", "stats"])
    assert "Port out of range" in one_line_error(result, 78)


def test_a_port_that_never_answers_the_handshake_fails_within_the_connect_timeout():
    with socket.socket() as silent:  # accepts connections (backlog), never speaks Bolt
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        uri = f"bolt://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = CliRunner().invoke(
            cli, ["--store", uri, "stats"], env={"GRAPHSVC_CONNECT_TIMEOUT": "1"}
        )
        elapsed = time.monotonic() - started
    assert "unreachable" in one_line_error(result, 69)
    assert elapsed < 15
