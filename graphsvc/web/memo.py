"""A small thread-safe LRU for what pages compute from immutable inputs (a run's
sub-communities, a run pair's diff) or per store revision (a community's picture)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app

__all__ = ["Memo", "memo"]

T = TypeVar("T")


class Memo:
    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept for ``key``, else ``make()`` kept (two first callers may both make
        it: the values are equal)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


def memo() -> Memo:
    return current_app.extensions.setdefault("graphsvc.web.memo", Memo())
