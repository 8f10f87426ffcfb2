"""Wall time and peak RSS of benchmark stages, and the summary statistics reported for them.

Memory is sampled, not deltas of ``ru_maxrss`` (which only ever grows): a psutil thread reads
this process's RSS every few milliseconds and keeps the peak of the stage running at the time,
plus a synchronous reading at every stage boundary so that short stages get one too.
"""

from __future__ import annotations

__all__ = ["StageMeter", "StageSample", "summarize"]

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psutil

_MB = 1024 * 1024


@dataclass(frozen=True)
class StageSample:
    """One run of one stage: wall seconds, peak RSS during it and RSS when it started (MB)."""

    seconds: float
    peak_rss_mb: float
    start_rss_mb: float

    @property
    def rss_increase_mb(self) -> float:
        return max(self.peak_rss_mb - self.start_rss_mb, 0.0)


class StageMeter:
    """Times named stages of this process and samples its peak RSS during each (with
    ``children``, the proportional set size of the process and its children: a Spark driver's
    JVM and forked Python workers, shared pages counted once).

    ``start(name)`` ends the running stage and begins ``name`` (the shape of
    ``run_pipeline``'s ``on_stage`` callback); ``stop()`` ends it; ``samples`` holds the result
    of every stage run so far, in order.
    """

    def __init__(self, interval: float = 0.005, *, children: bool = False) -> None:
        self.interval = interval
        self.children = children  # count child processes too (Spark's JVM)
        self.samples: list[tuple[str, StageSample]] = []
        self._process = psutil.Process()
        self._lock = threading.Lock()
        self._name: str | None = None
        self._clock = 0.0
        self._start_rss = 0
        self._peak = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def _rss(self) -> int:
        if not self.children:
            return self._process.memory_info().rss
        # PSS: forked workers (PySpark's) share pages with their parent; RSS would count them
        # once per process
        total = 0
        for process in [self._process, *self._process.children(recursive=True)]:
            with suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += process.memory_full_info().pss
        return total

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            rss = self._rss()
            with self._lock:
                self._peak = max(self._peak, rss)

    def start(self, name: str) -> None:
        self.stop()
        rss = self._rss()
        with self._lock:
            self._name, self._start_rss, self._peak = name, rss, rss
        if self._thread is None:
            self._done.clear()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        self._clock = time.perf_counter()

    def stop(self) -> None:
        if self._name is None:
            return
        seconds = time.perf_counter() - self._clock
        rss = self._rss()
        with self._lock:
            peak = max(self._peak, rss)
            sample = StageSample(seconds, peak / _MB, self._start_rss / _MB)
            self.samples.append((self._name, sample))
            self._name = None

    def close(self) -> None:
        self.stop()
        if self._thread is not None:
            self._done.set()
            self._thread.join()
            self._thread = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Measure the ``with`` block as stage ``name``."""
        self.start(name)
        try:
            yield
        finally:
            self.stop()

    def by_stage(self) -> dict[str, list[StageSample]]:
        """Every sample, grouped by stage name (first-seen order)."""
        out: dict[str, list[StageSample]] = {}
        for name, sample in self.samples:
            out.setdefault(name, []).append(sample)
        return out


def summarize(values: list[float]) -> dict[str, Any]:
    """Median, min, max, interquartile range and count of repeated measurements."""
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else []
    q1, q3 = (quartiles[0], quartiles[2]) if quartiles else (ordered[0], ordered[0])
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "iqr": [q1, q3],
        "n": len(ordered),
        "values": ordered,
    }
