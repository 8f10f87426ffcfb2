"""Shared fixtures: the store under test (every adapter) and small builders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graphsvc.store.base import GraphStore
from graphsvc.store.sqlite import SqliteStore

pytest_plugins = ["tests.fixtures.neo4j", "tests.fixtures.browser", "tests.fixtures.spark"]


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[GraphStore]:
    """Every store adapter, empty, schema applied (neo4j: the real local server)."""
    if request.param == "neo4j":
        yield request.getfixturevalue("neo4j_store")
        return
    sqlite = SqliteStore(tmp_path / "graph.db")
    sqlite.init_schema()
    yield sqlite
    sqlite.close()


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[SqliteStore]:
    """The embedded store alone, empty, schema applied."""
    sqlite = SqliteStore(tmp_path / "graph.db")
    sqlite.init_schema()
    yield sqlite
    sqlite.close()
