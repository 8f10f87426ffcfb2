"""SqliteStore: the GraphStore on one SQLite file, assembled from its parts."""

from __future__ import annotations

from pathlib import Path

from graphsvc.store.sqlite.connections import SqliteConnections
from graphsvc.store.sqlite.extract import Extract
from graphsvc.store.sqlite.queries import Queries
from graphsvc.store.sqlite.runs import Runs
from graphsvc.store.sqlite.schema import PRAGMAS, Schema
from graphsvc.store.sqlite.writes import Writes

__all__ = ["SqliteStore"]


class SqliteStore(Schema, Writes, Extract, Runs, Queries):
    """GraphStore on one SQLite file (created on first use)."""

    def __init__(self, path: str | Path, *, keep_runs: int = 5) -> None:
        self.path = Path(path)
        self.uri = f"sqlite:///{self.path}"
        self.keep_runs = keep_runs
        self._uid_cache: dict[str, int] = {}
        self._gid_cache: dict[str, int] = {}
        self._connections = SqliteConnections(self.path, purpose="SQLite store", pragmas=PRAGMAS)

    def close(self) -> None:
        self._connections.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
