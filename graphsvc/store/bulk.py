"""Moving millions of rows through Python with the cyclic garbage collector paused."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic collector off inside, back as it was after (nested uses are fine).

    Bulk paths build and drop millions of short-lived tuples and lists that never form
    cycles; each allocation counts towards the collector's next pass, and those passes took
    a tenth of a 1M-user load, snapshot or write-back. Reference counting still frees
    every row as soon as it is bound or copied.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
