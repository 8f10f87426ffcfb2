"""Stores behind one protocol: the embedded SQLite default and Neo4j."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from graphsvc.errors import ConfigError
from graphsvc.store.base import GraphStore

__all__ = ["GraphStore", "open_store"]

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def open_store(uri: str, **neo4j_options: Any) -> GraphStore:
    """Open the store a URI names, with its schema in place.

    ``sqlite:///relative.db`` or ``sqlite:////abs/path.db`` for the embedded store;
    ``neo4j://host:7687`` or ``bolt://host:7687`` for Neo4j (credentials from NEO4J_USER and
    NEO4J_PASSWORD, or in the URI; ``neo4j_options`` such as ``connect_timeout`` go to
    ``Neo4jStore``).
    """
    scheme = urlparse(uri).scheme
    if scheme == "sqlite":
        from graphsvc.store.sqlite import SqliteStore

        path = uri.removeprefix("sqlite:///")
        if not path or path == uri:
            raise ConfigError(f"store {uri!r}: write sqlite:///path/to/file.db")
        store: GraphStore = SqliteStore(path)
    elif scheme in NEO4J_SCHEMES:
        from graphsvc.store.neo4j import open_neo4j

        store = open_neo4j(uri, **neo4j_options)
    else:
        raise ConfigError(
            f"store {uri!r}: unknown scheme {scheme!r}; use sqlite:///file.db or bolt://host:7687"
        )
    try:
        store.init_schema()
    except BaseException:
        store.close()
        raise
    return store
