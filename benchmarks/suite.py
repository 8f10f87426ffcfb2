"""What every benchmark step needs: the size measured, how often to repeat, where to work."""

from __future__ import annotations

__all__ = ["Bench"]

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from benchmarks.measure import StageMeter
from benchmarks.results import Results
from graphsvc.model import AnalysisParams

T = TypeVar("T")


@dataclass(frozen=True)
class Bench:
    """One size of one benchmark run.

    ``repeat`` applies to every stage; ``heavy_repeat`` replaces it for the stages that take
    minutes at large sizes (generate, loads, networkx, Neo4j write-back) when ``heavy`` is set.
    """

    results: Results
    users: int
    seed: int
    repeat: int
    heavy_repeat: int
    heavy: bool
    work: Path
    params: AnalysisParams

    def times(self, heavy: bool = False) -> int:
        return self.heavy_repeat if heavy and self.heavy else self.repeat

    def timed(
        self,
        name: str,
        run: Callable[[], T],
        *,
        heavy: bool = False,
        items: Callable[[T], int] | None = None,
        unit: str | None = None,
    ) -> T:
        """Run ``run`` ``times(heavy)`` times as stage ``name``, record it, return the last value.

        ``items(value)`` counts what a run processed (edges, events), for a rate per second.
        """
        meter = StageMeter()
        try:
            for _ in range(self.times(heavy)):
                with meter.stage(name):
                    value = run()
        finally:
            meter.close()
        count = items(value) if items is not None else None
        self.results.stage(self.users, name, meter.by_stage()[name], items=count, unit=unit)
        return value
