"""Neo4jStore: the GraphStore on a Neo4j 5 server, assembled from its parts."""

from __future__ import annotations

from typing import Any

from graphsvc.config import Neo4jSettings
from graphsvc.store.neo4j.extract import EXTRACT_WORKERS, Extract
from graphsvc.store.neo4j.queries import Queries
from graphsvc.store.neo4j.runs import WRITE_WORKERS, Runs
from graphsvc.store.neo4j.schema import Schema
from graphsvc.store.neo4j.session import (
    CONNECT_TIMEOUT,
    DEFAULT_PASSWORD,
    Neo4jSession,
    neo4j_login,
)
from graphsvc.store.neo4j.writes import Writes

__all__ = ["Neo4jStore", "open_neo4j"]


class Neo4jStore(Schema, Writes, Extract, Runs, Queries):
    """GraphStore on a Neo4j 5 server.

    ``keep_runs`` complete runs are kept (at least 2: the current one and the one before).
    Transient failures (deadlocks, a server restarting) are retried for ``retry_seconds``.
    ``extract_workers`` id ranges are read at a time by ``edge_batches``; a run is written
    ``write_workers`` transactions at a time. Connecting (TCP
    and the Bolt handshake) gives up after ``connect_timeout`` seconds.
    """

    def __init__(
        self,
        uri: str,
        user: str = "neo4j",
        password: str = DEFAULT_PASSWORD,
        database: str = "neo4j",
        *,
        keep_runs: int = 5,
        retry_seconds: float = 15.0,
        extract_workers: int = EXTRACT_WORKERS,
        write_workers: int = WRITE_WORKERS,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.uri = uri
        self.database = database
        self.keep_runs = max(2, keep_runs)
        self.extract_workers = max(1, extract_workers)
        self.write_workers = max(1, write_workers)
        self.session = Neo4jSession(
            uri,
            user,
            password,
            database,
            retry_seconds=retry_seconds,
            connect_timeout=connect_timeout,
        )

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def verify(self) -> None:
        """Raise StoreError unless the server answers with these credentials."""
        self.session.value("RETURN 1")

    def wipe(self) -> None:
        """Delete every node and relationship (the schema stays), in batches."""
        self.session.autocommit(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        )


def open_neo4j(uri: str, login: Neo4jSettings | None = None, **options: Any) -> Neo4jStore:
    """A Neo4jStore for ``uri``, logged in as ``neo4j_login`` says, connecting within the
    settings' ``connect_timeout``; ``options`` go to Neo4jStore (``keep_runs``, …)."""
    login = login or Neo4jSettings.from_env()
    options.setdefault("connect_timeout", login.connect_timeout)
    return Neo4jStore(*neo4j_login(uri, login), **options)
