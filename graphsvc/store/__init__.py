"""Stores behind one protocol: the embedded SQLite default and Neo4j."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from graphsvc.config import Neo4jSettings
from graphsvc.errors import ConfigError, NotFoundError
from graphsvc.store.base import GraphStore

__all__ = ["GraphStore", "open_store", "store_location"]

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def _sqlite_path(uri: str) -> Path:
    """The file of ``sqlite:///relative.db`` (relative to the working directory, as in
    SQLAlchemy) or ``sqlite:////abs/path.db``."""
    path = uri.removeprefix("sqlite:///")
    if not path or path == uri:
        raise ConfigError(f"store {uri!r}: write sqlite:///path/to/file.db")
    return Path(path)


def store_location(uri: str) -> str:
    """Where a store's data lives, for people: a SQLite file's absolute path, else the URI."""
    if urlparse(uri).scheme == "sqlite":
        return str(_sqlite_path(uri).resolve())
    return uri


def open_store(uri: str, *, create: bool = False, neo4j: Neo4jSettings | None = None) -> GraphStore:
    """Open the store a URI names, with its schema in place.

    ``sqlite:///relative.db`` or ``sqlite:////abs/path.db`` for the embedded store: a file that
    does not exist is created only with ``create`` (loading), else NotFoundError, so a typo'd
    path is not taken for an empty store; ``neo4j://host:7687`` or ``bolt://host:7687`` for
    Neo4j (credentials in the URI, else from ``neo4j``, default the environment: see
    config.Neo4jSettings).
    """
    scheme = urlparse(uri).scheme
    if scheme == "sqlite":
        from graphsvc.store.sqlite import SqliteStore

        path = _sqlite_path(uri)
        if not create and not path.exists():
            raise NotFoundError(f"no store at {path.resolve()} (run graphsvc load first)")
        store: GraphStore = SqliteStore(path)
    elif scheme in NEO4J_SCHEMES:
        from graphsvc.store.neo4j import open_neo4j

        store = open_neo4j(uri, neo4j)
    else:
        raise ConfigError(
            f"store {uri!r}: unknown scheme {scheme!r}; use sqlite:///file.db or bolt://host:7687"
        )
    try:
        store.init_schema()
    except BaseException:
        store.close()  # e.g. an unreachable server: no driver left open
        raise
    return store
