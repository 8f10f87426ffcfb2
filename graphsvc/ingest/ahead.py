"""Run a producer in a background thread, a bounded queue ahead of its consumer.

Loading uses it to parse (Python, holding the GIL) while the calling thread writes to the
store (SQLite releases the GIL while it works), so a load keeps two cores busy. The store is
only ever used by the calling thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["run_ahead"]

T = TypeVar("T")
_END = object()


class _Stopped(Exception):
    """Raised inside the producer once the consumer has gone away."""


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def run_ahead(produce: Callable[[Callable[[T], None]], None], depth: int = 4) -> Iterator[T]:
    """Yield what ``produce(emit)`` emits from a background thread, at most ``depth`` items
    ahead. The producer's exception is raised here; when the consumer stops early, the
    producer stops at its next ``emit`` and the thread is joined before this returns."""
    items: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def emit(item: T) -> None:
        if stop.is_set():
            raise _Stopped
        items.put(item)

    def run() -> None:
        try:
            produce(emit)
        except _Stopped:
            return
        except BaseException as err:  # handed to the consumer
            items.put(_Failed(err))
            return
        items.put(_END)

    thread = threading.Thread(target=run, name="graphsvc-ingest", daemon=True)
    thread.start()
    try:
        while (item := items.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting for room in the queue
            with suppress(queue.Empty):
                items.get(timeout=0.05)
        thread.join()
