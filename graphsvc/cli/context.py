"""What every command gets: the settings, and the store opened on first use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from graphsvc.config import Settings
from graphsvc.runs.current import current_run
from graphsvc.store import open_store
from graphsvc.store.base import GraphStore

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """What every command gets: the settings, and the store opened on first use."""

    settings: Settings
    _store: GraphStore | None = field(default=None, repr=False)

    @property
    def store(self) -> GraphStore:
        """The store, which must exist: reading a SQLite file that is not there is refused."""
        return self.open_store(create=False)

    def open_store(self, *, create: bool) -> GraphStore:
        """The store; ``create`` (load, demo) makes a SQLite file that is not there yet."""
        if self._store is None:
            self._store = open_store(
                self.settings.store,
                create=create,
                neo4j=self.settings.neo4j,
            )
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def current_run_id(app: AppContext) -> str:
    return current_run(app.store).run_id


def day_option(name: str, help: str) -> click.Option:
    """An option taking a UTC day, YYYY-MM-DD (a datetime at midnight)."""
    return click.option(name, type=click.DateTime(["%Y-%m-%d"]), help=help)
