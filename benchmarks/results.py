"""The results file: every figure of a benchmark run, saved after each stage so a crash keeps
what was measured; the report is rendered from it alone."""

from __future__ import annotations

__all__ = ["Results", "machine"]

import json
import os
import platform
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

from benchmarks.measure import StageSample, summarize


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model and the versions that matter for the figures."""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        **{name: version(name) for name in ("igraph", "networkx", "numpy", "neo4j", "waitress")},
    }


class Results:
    """``{"machine", "config", "sizes": {users: {"facts", "stages", "baselines", "skipped"}}}``.

    Loading an existing file keeps the sizes measured before (a run of other sizes merges in;
    a size measured again replaces its entries stage by stage).
    """

    def __init__(self, path: Path, config: dict[str, Any] | None = None) -> None:
        """``config``: the run's settings (None: a stand-alone benchmark adding to the file
        keeps the settings recorded there)."""
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"sizes": {}}
        self.data["machine"] = {**self.data.get("machine", {}), **machine()}
        if config is not None or "config" not in self.data:
            self.data["config"] = config or {}

    def _size(self, users: int) -> dict[str, Any]:
        entry = self.data["sizes"].setdefault(str(users), {})
        for key in ("facts", "stages", "baselines", "skipped"):
            entry.setdefault(key, {})
        return entry

    def put(self, users: int, section: str, name: str, value: Any) -> None:
        """Set ``sizes[users][section][name]`` (section: facts, stages, baselines) and save."""
        entry = self._size(users)
        entry[section][name] = value
        entry["skipped"].pop(name, None)
        self.save()

    def stage(
        self,
        users: int,
        name: str,
        samples: list[StageSample],
        *,
        items: int | None = None,
        unit: str | None = None,
        **extra: Any,
    ) -> None:
        """Record repeated runs of a stage; with ``items``, also the median rate per second."""
        seconds = summarize([s.seconds for s in samples])
        entry: dict[str, Any] = {
            "seconds": seconds,
            "peak_rss_mb": summarize([s.peak_rss_mb for s in samples]),
            "rss_increase_mb": summarize([s.rss_increase_mb for s in samples]),
            **extra,
        }
        if items is not None:
            entry.update(items=items, unit=unit, per_second=items / seconds["median"])
        self.put(users, "stages", name, entry)

    def skip(self, users: int, name: str, reason: str) -> None:
        self._size(users)["skipped"][name] = reason
        self.save()

    def save(self) -> None:
        self.data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True, default=float))
        tmp.replace(self.path)
