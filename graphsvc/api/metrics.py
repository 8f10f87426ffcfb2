"""Prometheus text exposition (format 0.0.4) of request counts, request latency and job
durations; a few dozen lines, so no client library."""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

__all__ = ["Metrics"]

REQUEST_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0)


class _Histogram:
    """Cumulative-bucket histograms keyed by a tuple of label values."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...], buckets: tuple) -> None:
        self.name, self.help, self.labels, self.buckets = name, help_text, labels, buckets
        self.counts: dict[tuple[str, ...], list[int]] = defaultdict(
            lambda: [0] * (len(buckets) + 1)
        )
        self.sums: dict[tuple[str, ...], float] = defaultdict(float)

    def observe(self, key: tuple[str, ...], value: float) -> None:
        self.counts[key][bisect.bisect_left(self.buckets, value)] += 1
        self.sums[key] += value

    def label_text(self, key: tuple[str, ...]) -> str:
        return ",".join(f'{n}="{_escape(v)}"' for n, v in zip(self.labels, key, strict=True))

    def totals(self, name: str, help_text: str) -> list[str]:
        """The observation counts as a counter of their own."""
        out = [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        for key, counts in sorted(self.counts.items()):
            out.append(f"{name}{{{self.label_text(key)}}} {sum(counts)}")
        return out

    def lines(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for key, counts in sorted(self.counts.items()):
            labels = self.label_text(key)
            total = 0
            for bound, count in zip((*self.buckets, "+Inf"), counts, strict=True):
                total += count
                out.append(f'{self.name}_bucket{{{labels},le="{bound}"}} {total}')
            out.append(f"{self.name}_sum{{{labels}}} {self.sums[key]:.6f}")
            out.append(f"{self.name}_count{{{labels}}} {total}")
        return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Thread-safe: requests by (method, route, status) and job durations by (kind, status)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = _Histogram(
            "graphsvc_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ("method", "route", "status"),
            REQUEST_BUCKETS,
        )
        self._jobs = _Histogram(
            "graphsvc_job_duration_seconds",
            "Background job duration by kind and final status.",
            ("kind", "status"),
            JOB_BUCKETS,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests.observe((method, route, str(status)), seconds)

    def observe_job(self, kind: str, status: str, seconds: float) -> None:
        with self._lock:
            self._jobs.observe((kind, str(status)), seconds)

    def render(self) -> str:
        with self._lock:
            lines = [
                *self._requests.totals(
                    "graphsvc_http_requests_total", "HTTP requests by method, route and status."
                ),
                *self._requests.lines(),
                *self._jobs.lines(),
            ]
        return "\n".join(lines) + "\n"
