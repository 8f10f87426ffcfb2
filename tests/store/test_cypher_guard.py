"""The text fence of `graphsvc cypher` (cypher_guard.text_refusal) on its own: comments,
string literals, backticks, unicode escapes and odd spacing read as the server reads them.
The plan fence and both together run against the real Neo4j in tests/cli/test_db.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsvc.store.cypher_guard import (
    ANALYST_PROCEDURES,
    LOAD_CSV,
    plan_refusal,
    text_refusal,
)

QUERIES = Path(__file__).resolve().parents[2] / "cypher" / "queries"
BUILTINS = frozenset({"count", "tolower", "coalesce", "point", "point.distance", "size"})


def refusal(text: str) -> str | None:
    return text_refusal(text, database="neo4j", builtins=BUILTINS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CALL dbms.listConfig()", "the procedure dbms.listConfig"),
        ("cAlL   dbms . listConfig ( )", "the procedure dbms.listConfig"),
        ("CALL dbms/* a comment */.listConfig", "the procedure dbms.listConfig"),
        ("CALL `dbms`.`listConfig`()", "the procedure dbms.listConfig"),
        ("CALL \\u0064bms.listConfig()", "the procedure dbms.listConfig"),
        ("CALL { CALL db.clearQueryCaches() YIELD value RETURN value } RETURN 1", "procedure"),
        ("CALL gds.graph.export('p', {dbName: 'x'})", "the procedure gds.graph.export"),
        ("MATCH (a)-->(b) WITH gds.graph.project('x', a, b) AS g RETURN g", "gds.graph.project"),
        ("RETURN gds . version ( )", "the function gds.version"),
        ("LOAD CSV FROM 'http://127.0.0.1:1/x' AS r RETURN r", "LOAD CSV"),
        ("load\ncsv from 'file:///etc/passwd' as r return r", "LOAD CSV"),
        ("TERMINATE TRANSACTIONS 'neo4j-transaction-7'", "administration"),
        ("SHOW TRANSACTIONS YIELD transactionId TERMINATE TRANSACTIONS transactionId", "SHOW"),
        ("SHOW USERS", "SHOW USERS"),
        ("show settings", "SHOW SETTINGS"),
        ("CREATE INDEX x FOR (n:User) ON (n.name)", "administration"),
        ("GRANT ROLE admin TO bob", "administration"),
        ("USE system MATCH (n) RETURN n", "USE system"),
        ("CALL () { USE `other` MATCH (n) RETURN n } RETURN n", "USE other"),
        ("MATCH (n) RETURN n; MATCH (m) RETURN m", "more than one statement"),
        ("RETURN 1 AS x \\u003b CALL dbms.listConfig()", "more than one statement"),
        ("RETURN 'a\\u0027 AS s, dbms.x() AS y //'", "the function dbms.x"),
    ],
)
def test_refused(text, expected):
    assert expected in (refusal(text) or "")


@pytest.mark.parametrize(
    "text",
    [
        "MATCH (u:User) RETURN count(u) AS users",
        "MATCH (u:User) RETURN u.name // CALL dbms.listConfig(); LOAD CSV",
        "MATCH (u:User) /* SHOW USERS; TERMINATE TRANSACTIONS */ RETURN u",
        "RETURN 'LOAD CSV FROM x; CALL dbms.listConfig(); SHOW USERS' AS s",
        'RETURN "it\\"s; CALL dbms.listConfig()" AS s',
        "RETURN 'a\\\\u0027; CALL dbms.listConfig()' AS s",
        "MATCH (`load`:User) RETURN `load`.name AS `CALL dbms.listConfig()`",
        "CALL db.labels() YIELD label RETURN label",
        "CALL { MATCH (u:User) RETURN u } RETURN count(u) AS n",
        "USE neo4j MATCH (n) RETURN n",
        "SHOW INDEXES YIELD name, state",
        "SHOW BUILT IN FUNCTIONS",
        "RETURN toLower('A'), point.distance(point({x: 0, y: 0}), point({x: 3, y: 4}))",
        "WITH {use: 1, show: 2} AS m RETURN m.use, m.show",
        "MATCH (n) RETURN n;",
    ],
)
def test_allowed(text):
    assert refusal(text) is None


def test_every_analyst_query_passes():
    for path in sorted(QUERIES.glob("*.cypher")):
        assert refusal(path.read_text()) is None, path.name


def test_the_plan_fence_reads_query_type_operators_and_details():
    def plan(*operators: tuple[str, str]) -> dict:
        """A chain of operators, the first at the root."""
        node: dict | None = None
        for name, details in reversed(operators):
            children = [node] if node else []
            node = {"operatorType": name, "args": {"Details": details}, "children": children}
        return node

    def refused(query_type: str, *operators: tuple[str, str], write: bool = False):
        return plan_refusal(
            query_type, plan(*operators), database="neo4j", write=write, builtins=BUILTINS
        )

    read = ("ProduceResults@neo4j", "n")
    assert refused("r", read, ("AllNodesScan@neo4j", "n")) is None
    assert refused("w", read, ("Create@neo4j", "(n)")) == "writes without --write"
    assert refused("w", read, ("Create@neo4j", "(n)"), write=True) is None
    assert "administration" in refused("s", ("AdministrationCommand@system", ""))
    listconfig = ("ProcedureCall@neo4j", "dbms.listConfig() :: (name :: STRING)")
    assert refused("s", read, listconfig) == "the procedure dbms.listConfig"
    labels = ("ProcedureCall@neo4j", "db.labels() :: (label :: STRING)")
    assert refused("r", read, labels) is None
    assert refused("r", read, ("LoadCSV@neo4j", "line")) == LOAD_CSV
    assert refused("r", read, ("TerminateTransactions@neo4j", "")) == "TERMINATE TRANSACTIONS"
    assert refused("r", read, ("ShowTransactions@neo4j", "")) == "SHOW TRANSACTIONS"
    assert refused("r", read, ("ShowIndexes@neo4j", "")) is None
    assert "database 'system'" in refused("r", read, ("AllNodesScan@system", "n"))
    projection = ("EagerAggregation@neo4j", "gds.graph.project($autostring_0, a, b) AS g")
    assert refused("r", read, projection) == "the function gds.graph.project"
    alias = ("Projection@neo4j", "$autostring_0 AS `gds.graph.project('x')`")
    assert refused("r", read, alias) is None  # an alias is a name, not a call


def test_the_analyst_procedures_only_read_the_schema():
    assert all(p.startswith("db.") for p in ANALYST_PROCEDURES)
