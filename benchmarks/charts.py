"""The report's PNG plots (matplotlib, Agg backend): time and peak RSS against edges, log-log."""

from __future__ import annotations

__all__ = ["plot_memory", "plot_times"]

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

Data = dict[str, Any]


def _series(data: Data, name: str, key: str) -> tuple[list[float], list[float]]:
    """(attention edges, median of ``key``) for every size that measured stage ``name``."""
    points = sorted(
        (s["facts"]["edges"], s["stages"][name][key]["median"])
        for s in data["sizes"].values()
        if name in s["stages"] and s["facts"].get("edges") and key in s["stages"][name]
    )
    return [p[0] for p in points], [p[1] for p in points]


def _plot(data: Data, names: tuple[str, ...], key: str, ylabel: str, title: str, out: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name in names:
        x, y = _series(data, name, key)
        if x and min(y) > 0:
            ax.plot(x, y, marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("attention-graph edges (directed)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_times(data: Data, names: tuple[str, ...], out: Path, title: str) -> None:
    """Median wall seconds per stage against edges."""
    _plot(data, names, "seconds", "seconds (median)", f"{title}: time vs edges", out)


def plot_memory(data: Data, names: tuple[str, ...], out: Path) -> None:
    """Median peak RSS per stage against edges."""
    _plot(data, names, "peak_rss_mb", "peak RSS, MB (median)", "Peak memory vs edges", out)
