"""Encoded read responses, by store revision and request: a bounded LRU with ETags.

A store's revision changes with every committed write (see ``GraphStore.revision``), so an
entry is served only while nothing it was built from can have changed: never stale, whoever
writes. Entries of older revisions are never hit again and age out. Concurrent requests share
revision reads (``SharedRead``), so a hit costs a fraction of one store round trip.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, request

from graphsvc.model import RunInfo

__all__ = ["ResponseCache", "SharedRead", "cached", "current_run_of"]


class SharedRead:
    """``read()`` for concurrent callers, one read at a time: each caller gets the result of
    a read that started after it called (so it reflects every write committed before), shared
    with every caller waiting for it. A caller arriving during a read waits for the next one.
    """

    def __init__(self, read: Callable[[], str]) -> None:
        self._read = read
        self._cond = threading.Condition()
        self._started = self._finished = 0  # read generations
        self._running = False
        self._value = ""

    def __call__(self) -> str:
        with self._cond:
            wanted = self._started + 1  # the first read to start from now on
            while self._finished < wanted:
                if not self._running:
                    self._running, self._started = True, self._started + 1
                    break
                self._cond.wait()
            else:
                return self._value
        generation = self._started
        try:
            value = self._read()
        except BaseException:
            self._end(None, "")
            raise
        self._end(generation, value)
        return value

    def _end(self, generation: int | None, value: str) -> None:
        """The running read is over: its result (None: it failed) for every caller waiting."""
        with self._cond:
            self._running = False
            if generation is not None:
                self._finished, self._value = generation, value
            self._cond.notify_all()


@dataclass(frozen=True)
class _Entry:
    body: bytes
    etag: str


class ResponseCache:
    """Thread-safe LRU of encoded responses, at most ``max_bytes`` of bodies (0: off), and the
    current run of the newest revision asked for; ``revision`` reads the store's."""

    def __init__(self, max_bytes: int, revision: Callable[[], str]) -> None:
        self.max_bytes = max_bytes
        self.revision = SharedRead(revision)
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str, bytes], _Entry] = OrderedDict()
        self._bytes = 0
        self._run: tuple[str, RunInfo | None] = ("", None)

    def get(self, key: tuple[str, str, bytes]) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str, bytes], entry: _Entry) -> None:
        size = len(entry.body)
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._bytes -= len(self._entries.popitem(last=False)[1].body)

    def current_run(self, revision: str, load: Callable[[], RunInfo | None]) -> RunInfo | None:
        """The current run at ``revision``, loaded once per revision."""
        with self._lock:
            known, run = self._run
        if known != revision:
            run = load()
            with self._lock:
                self._run = (revision, run)
        return run


def _cache() -> ResponseCache:
    return current_app.extensions["graphsvc.responses"]


def cached(handler: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    """Serve a read handler's JSON from the cache while the store's revision stays the same,
    with an ETag (``If-None-Match`` gets 304) and ``X-Cache: hit`` or ``miss``. Keyed by the
    path and query string as sent (parsing and sorting parameters would cost a hit more than
    it saves). Errors are raised as ever and not kept."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache = _cache()
        if not cache.max_bytes:
            return handler(*args, **kwargs)
        g.revision = cache.revision()
        key = (g.revision, request.path, request.query_string)
        entry, outcome = cache.get(key), "hit"
        if entry is None:
            body = current_app.json.encode(handler(*args, **kwargs))
            entry, outcome = _Entry(body, hashlib.blake2b(body, digest_size=16).hexdigest()), "miss"
            cache.put(key, entry)
        response = Response(entry.body, mimetype="application/json")
        response.set_etag(entry.etag)
        response.headers["X-Cache"] = outcome
        return response.make_conditional(request) if request.if_none_match else response

    return wrapper


def current_run_of(load: Callable[[], RunInfo | None]) -> RunInfo | None:
    """The current run: memoized per revision inside a cached handler, else ``load()``."""
    revision = g.get("revision")
    return load() if revision is None else _cache().current_run(revision, load)
