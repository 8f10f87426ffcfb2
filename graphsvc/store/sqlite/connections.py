"""One SQLite connection per thread on one file, and write transactions on it."""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path

from graphsvc.errors import StoreError

__all__ = ["SqliteConnections", "StoreParts"]


class SqliteConnections:
    """Per-thread connections (autocommit, WAL) to ``path``, opened on first use.

    ``purpose`` names the file in errors ("cannot open the SQLite store …"); ``mode``, if
    given, is the permissions of the file when it is created here (SQLite gives its -wal and
    -shm files the same).
    """

    def __init__(
        self, path: Path, *, purpose: str, pragmas: Sequence[str] = (), mode: int | None = None
    ) -> None:
        self.path = path
        self.purpose = purpose
        self.mode = mode
        self.pragmas = ("journal_mode=WAL", *pragmas)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._watcher: tuple[str, sqlite3.Connection] | None = None

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.mode is not None:
                self._create()
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in self.pragmas:
                conn.execute(f"PRAGMA {pragma}")
        except (sqlite3.Error, OSError) as e:
            raise StoreError(f"cannot open the {self.purpose} {self.path}: {e}") from e
        with self._lock:
            self._connections.append(conn)
        return conn

    def _create(self) -> None:
        """An empty file with ``mode`` (no wider, whatever the umask), unless it exists."""
        with suppress(FileExistsError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, self.mode))

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def data_version(self) -> str:
        """A token that changes whenever any connection, in any process, commits: PRAGMA
        data_version of a connection of its own that never writes (its own commits would
        not count), tagged with a nonce of that connection (a new one counts afresh)."""
        if self._watcher is None:
            conn = self._connect()
            with self._lock:
                self._watcher = self._watcher or (secrets.token_hex(4), conn)
        nonce, conn = self._watcher
        with self._lock:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
        return f"{nonce}:{version}"

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; rolled back on any exception."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
            self._watcher = None
        self._local = threading.local()


class StoreParts:
    """The connection plumbing the parts of SqliteStore (schema, writes, extract, runs,
    queries) share: this thread's connection, and a transaction."""

    path: Path
    uri: str
    keep_runs: int
    _uid_cache: dict[str, int]
    _gid_cache: dict[str, int]
    _connections: SqliteConnections

    @property
    def _db(self) -> sqlite3.Connection:
        return self._connections.db

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._connections.transaction()
