"""The production HTTP server (waitress as ``graphsvc serve`` sets it up) on 127.0.0.1, port 0,
over the parametrized ``store``, with its own service state file and one API key per role."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from waitress import wasyncore

from graphsvc.config import Settings
from graphsvc.server import create_app, http_server
from graphsvc.service.state import KeyRole, ServiceState
from graphsvc.store.base import GraphStore


@dataclass
class Response:
    status: int
    headers: Any
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def content_type(self) -> str:
        return self.headers["Content-Type"]


@dataclass
class Served:
    """A running server; ``get`` / ``post`` send a role's key (``key=None``: no header)."""

    store: GraphStore
    settings: Settings
    keys: dict[str, str] = field(default_factory=dict)
    app: Flask | None = None
    base: str = ""
    _server: Any = None
    _thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Served:
        self.app = create_app(self.settings, store=self.store)
        self._server = http_server(self.app, "127.0.0.1", 0, threads=4)
        self.base = f"http://127.0.0.1:{self._server.effective_port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        """waitress's loop, stoppable: sockets are closed by the thread that polls them."""
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.02, map=self._server._map, count=1)
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._server._map)

    def stop(self) -> None:
        self.app.extensions["graphsvc.jobs"].join(60)
        self._stopping.set()
        self._thread.join(10)
        self.app.extensions["graphsvc.state"].close()

    def restart(self, **changes: Any) -> None:
        """A new app and server (a new process, as far as the service state can tell)."""
        self.stop()
        self.settings = Settings(**{**self.settings.__dict__, **changes})
        self.start()

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = "reader",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if key is not None:
            headers["Authorization"] = f"Bearer {self.keys.get(key, key)}"
        req = urllib.request.Request(self.base + path, body, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return Response(r.status, r.headers, r.read().decode())
        except urllib.error.HTTPError as e:
            with e:
                return Response(e.code, e.headers, e.read().decode())

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)


def make_settings(store: GraphStore, tmp_path: Path, **changes: Any) -> Settings:
    return Settings(store=store.uri, state=str(tmp_path / "state.db"), **changes)


@contextmanager
def serving(store: GraphStore, tmp_path: Path) -> Iterator[Served]:
    """The API over ``store`` on a real HTTP server, with keys "reader", "operator", "admin"."""
    settings = make_settings(store, tmp_path)
    state = ServiceState(settings.state)
    keys = {role.value: state.create_key(role, f"test {role}")[1] for role in KeyRole}
    state.close()
    server = Served(store, settings, keys).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def served(store: GraphStore, tmp_path: Path) -> Iterator[Served]:
    """The API on every store (see ``serving``)."""
    with serving(store, tmp_path) as server:
        yield server


@pytest.fixture
def served_sqlite(sqlite_store: GraphStore, tmp_path: Path) -> Iterator[Served]:
    """The API on the embedded store only, for what needs its file (corrupting it)."""
    with serving(sqlite_store, tmp_path) as server:
        yield server
