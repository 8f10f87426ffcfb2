"""The embedded default store: one SQLite file, no server.

Users and groups get integer ids (``uid``, ``gid``) so edges are compact integer rows and
read back as numpy columns. Each write call is one transaction; an analysis run is written
in one transaction and made current in it, so readers (WAL mode) see the previous complete
run until the commit. Each thread gets its own connection.
"""

from graphsvc.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
