"""The Bolt session of a Neo4j store: the driver, transactions with retries, and driver
errors mapped to graphsvc errors with what to do about them. Public so that commands that talk
to the server beside the store (``graphsvc db …``) share its error mapping."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import neo4j
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConstraintError,
    ServiceUnavailable,
    SessionExpired,
)

from graphsvc.config import DEFAULT_NEO4J_PASSWORD, Neo4jSettings
from graphsvc.errors import ConfigError, ConflictError, StoreError

__all__ = ["CONNECT_TIMEOUT", "DEFAULT_PASSWORD", "Neo4jSession", "StoreParts", "neo4j_login"]

DEFAULT_PASSWORD = DEFAULT_NEO4J_PASSWORD
CONNECT_TIMEOUT = Neo4jSettings.connect_timeout  # seconds to connect and shake hands

T = TypeVar("T")


def neo4j_login(uri: str, login: Neo4jSettings | None = None) -> tuple[str, str, str, str]:
    """The URI without credentials, user, password and database for ``bolt://`` /
    ``neo4j://`` (``+s``, ``+ssc``) URIs.

    Credentials come from the URI's userinfo (``bolt://user:secret@host:7687``), else from
    ``login`` (default: the environment, see config.Neo4jSettings), as does the database.
    """
    login = login or Neo4jSettings.from_env()
    parts = urlsplit(uri)
    user = unquote(parts.username) if parts.username else login.user
    password = unquote(parts.password) if parts.password is not None else login.password
    host = parts.hostname or "127.0.0.1"
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError as e:  # e.g. "Port out of range 0-65535"
        raise ConfigError(f"Neo4j store on {host}: {e}; write bolt://host:port") from e
    if port:
        netloc += f":{port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return clean, user, password, login.database


class Neo4jSession:
    """Transactions on one database of a Neo4j 5 server: ``write``/``read`` run a unit of work
    in a managed transaction (transient failures retried for ``retry_seconds``), ``rows``,
    ``fetch`` and ``value`` read, ``autocommit`` runs a statement that manages its own
    transactions. Connecting (TCP and the Bolt handshake) gives up after ``connect_timeout``
    seconds.
    """

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str,
        *,
        retry_seconds: float,
        connect_timeout: float,
    ) -> None:
        self.uri = uri
        self.database = database
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                notifications_min_severity="OFF",
                max_connection_lifetime=3600,
                max_transaction_retry_time=retry_seconds,
                connection_timeout=connect_timeout,
                # The Bolt handshake counts against acquisition: a port that speaks HTTP
                # would otherwise hold the caller for the default 60 s.
                connection_acquisition_timeout=connect_timeout,
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as e:
            raise ConfigError(f"Neo4j store {uri!r}: {e}") from e

    def close(self) -> None:
        self._driver.close()

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Driver errors as graphsvc errors, with what to do about them."""
        try:
            yield
        except AuthError as e:
            raise StoreError(
                f"Neo4j at {self.uri} refused the credentials: set NEO4J_USER / NEO4J_PASSWORD "
                f"({e.message})"
            ) from e
        except (ServiceUnavailable, SessionExpired) as e:
            reason = " ".join(str(e).split())  # the driver's message spans lines
            raise StoreError(
                f"Neo4j at {self.uri} is unreachable ({reason}); start a local one with "
                "`scripts/neo4j start`"
            ) from e
        except ConstraintError as e:
            raise ConflictError(f"Neo4j refused a write: {e.message}") from e
        except ClientError as e:
            if e.code == "Neo.ClientError.Database.DatabaseNotFound":
                raise ConfigError(
                    f"Neo4j at {self.uri} has no database {self.database!r}: set NEO4J_DATABASE "
                    "(default neo4j)"
                ) from e
            if e.code == "Neo.ClientError.Security.AuthenticationRateLimit":
                raise StoreError(
                    f"Neo4j at {self.uri} refuses logins for a while after too many wrong "
                    "passwords: wait, then retry with the right NEO4J_USER / NEO4J_PASSWORD"
                ) from e
            raise

    def session(self, database: str | None = None, **kwargs: Any) -> neo4j.Session:
        """A driver session on this database, or on ``database`` (``system`` for user
        administration); callers use it as a context manager."""
        return self._driver.session(database=database or self.database, **kwargs)

    def write(self, work: Callable[..., T], *args: Any) -> T:
        """``work(tx, *args)`` in a write transaction."""
        with self.errors(), self.session() as session:
            return session.execute_write(work, *args)

    def read(self, work: Callable[..., T], *args: Any) -> T:
        """``work(tx, *args)`` in a read transaction."""
        with self.errors(), self.session() as session:
            return session.execute_read(work, *args)

    def rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """All rows of a read query, as dicts."""

        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            result = tx.run(query, params)
            keys = result.keys()
            # dict(zip()) keeps values as decoded; Record.data() would walk every list element.
            return [dict(zip(keys, r.values(), strict=True)) for r in result]

        return self.read(work)

    def fetch(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """All rows of a short read query in an auto-commit transaction: one round trip where
        a managed one takes two (BEGIN + RUN, COMMIT), but no retry. For the API's reads,
        whose clients can retry."""
        with self.errors(), self.session(default_access_mode=neo4j.READ_ACCESS) as session:
            result = session.run(query, params)
            keys = result.keys()
            return [dict(zip(keys, r.values(), strict=True)) for r in result]

    def value(self, query: str, **params: Any) -> Any:
        """The first column of a read query's first row (None without rows)."""

        def work(tx: neo4j.ManagedTransaction) -> Any:
            record = tx.run(query, params).single()
            return None if record is None else record[0]

        return self.read(work)

    def write_batches(
        self, query: str, batches: Iterable[dict[str, Any]], workers: int = 1, **params: Any
    ) -> None:
        """``query`` once per batch of parameters (with ``params``), each in a write
        transaction of its own, ``workers`` transactions in flight: the server commits one
        while it runs the next, and the client builds the batch after. Batches are taken as
        they are needed (at most ``workers`` ahead); the first failure cancels the batches
        not yet sent and is raised once those in flight are done."""

        def write(batch: dict[str, Any]) -> None:
            self.write(lambda tx: tx.run(query, params, **batch).consume())

        with ThreadPoolExecutor(max(1, workers), thread_name_prefix="neo4j-write") as pool:
            window: deque[Future[None]] = deque()
            try:
                for batch in batches:
                    window.append(pool.submit(write, batch))
                    if len(window) > workers:
                        window.popleft().result()
                while window:
                    window.popleft().result()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise

    def autocommit(self, query: str, **params: Any) -> None:
        """A statement that manages its own transactions (schema, CALL … IN TRANSACTIONS)."""
        with self.errors(), self.session() as session:
            session.run(query, params).consume()


class StoreParts:
    """What the parts of Neo4jStore (schema, writes, extract, runs, queries) share."""

    session: Neo4jSession
    keep_runs: int
    extract_workers: int
    write_workers: int
