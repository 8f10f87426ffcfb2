"""Per-input state between the two passes of a load.

Pass 1 calls ``collect`` for each valid row and ``note`` for each bad one, then ``settle``
once; pass 2 calls ``accept`` for each valid row, in the same order, to get the record to
write.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from graphsvc.ingest.chunks import Chunk
from graphsvc.ingest.events import EventBuilder
from graphsvc.ingest.gathered import RowColumns
from graphsvc.ingest.readers import Source
from graphsvc.ingest.referrals import referral_table, resolve
from graphsvc.ingest.report import SAMPLE, EntityReport
from graphsvc.ingest.validate import Event, Problem, RowError
from graphsvc.model import Entity, EventColumns, Referral
from graphsvc.store.base import LoadTarget

__all__ = [
    "GatheredPlan",
    "InteractionPlan",
    "Plan",
    "ReferralPlan",
    "RowsPlan",
    "plan_for",
]


class Plan:
    """One source between the passes. Subclasses keep what their entity needs."""

    def __init__(self, source: Source, encoding: str, report: EntityReport) -> None:
        self.source, self.encoding, self.report = source, encoding, report
        self.rows = 0  # data rows seen in pass 1
        self.bad = 0
        self.problems: list[Problem] = []  # the first SAMPLE bad rows

    def collect(self, line: int, record: Any) -> None:
        """Pass 1: note a valid row."""

    def note(self, problem: Problem) -> None:
        """Pass 1 and ``settle``: count a bad row, keep the first SAMPLE."""
        self.bad += 1
        if len(self.problems) < SAMPLE:
            self.problems.append(problem)

    def settle(self, store: LoadTarget) -> dict[int, RowError]:
        """After pass 1: the bad rows only seen across rows, by line."""
        return {}

    def accept(self, line: int, record: Any) -> Any:
        """Pass 2: the record to write, None to leave out; RowError to reject."""
        return record


class GatheredPlan(Plan):
    """Gathers the valid rows as columns in pass 1 (``columnar`` when read in chunks) and
    keeps every bad row for the rejects file; pass 2 writes what was gathered."""

    def __init__(self, source: Source, encoding: str, report: EntityReport) -> None:
        super().__init__(source, encoding, report)
        self.restart()

    def restart(self) -> None:
        """Forget what pass 1 gathered (to read the input again another way)."""
        self.rows = self.bad = 0
        self.problems = []
        self.rejected: list[Problem] = []
        self.columnar = False

    def note(self, problem: Problem) -> None:
        super().note(problem)
        self.rejected.append(problem)

    def add_chunk(self, chunk: Chunk) -> int:
        """Pass 1, read in chunks: gather a chunk's valid rows, note its bad ones."""
        raise NotImplementedError


class RowsPlan(GatheredPlan):
    """Users or memberships: columns when the input is read in chunks, else (row by row)
    the rows are read again in pass 2, as for every other input."""

    def restart(self) -> None:
        super().restart()
        self.gathered = RowColumns(self.source.entity, self.source.name)

    def add_chunk(self, chunk: Chunk) -> int:
        return self.gathered.add_chunk(chunk, self.note)

    def records(self) -> Iterator[list[Any]]:
        """Pass 2, after a columnar pass 1: the records to write, one list per chunk."""
        return self.gathered.records()


class ReferralPlan(RowsPlan):
    """Referrals, gathered like users; after pass 1 their conflicts and cycles are decided
    (``referrals.resolve``). Rows closing a cycle are read again in pass 2, row by row, to
    reject them with their text."""

    def restart(self) -> None:
        super().restart()
        self._rows: list[tuple[int, Referral]] = []  # read row by row in pass 1
        self._winners: set[int] = set()
        self._cycles: dict[int, RowError] = {}
        self.conflicts: list[str] = []

    def collect(self, line: int, record: Referral) -> None:
        self._rows.append((line, record))

    def settle(self, store: LoadTarget) -> dict[int, RowError]:
        rows = self.gathered.table() if self.columnar else referral_table(self._rows)
        found = resolve(self.source.name, rows, store.records(Entity.REFERRALS))
        self._rows = []
        self._winners, self.conflicts = found.winners, found.conflicts
        self._cycles = {line: RowError("invitee_id", why) for line, why in found.cycles.items()}
        self.columnar = self.columnar and not self._cycles
        self.report.conflicts = len(found.conflicts)
        return self._cycles

    def accept(self, line: int, record: Any) -> Any:
        if line in self._cycles:
            cycle = self._cycles[line]
            raise RowError(cycle.field, cycle.problem)
        return record if line in self._winners else None

    def records(self) -> Iterator[list[Any]]:
        return self.gathered.records(np.array(sorted(self._winners), np.int64))


class InteractionPlan(GatheredPlan):
    """Gathers the valid events as columns in pass 1 (``events``, a chunk or a row at a
    time); ``settle`` numbers the repeats."""

    def restart(self) -> None:
        super().restart()
        self.events = EventBuilder(self.source.name)
        self.columns: EventColumns | None = None

    def add_chunk(self, chunk: Chunk) -> int:
        return self.events.add_chunk(chunk, self.note)

    def collect(self, line: int, record: Event) -> None:
        self.events.add_event(record)

    def settle(self, store: LoadTarget) -> dict[int, RowError]:
        self.columns = self.events.build()
        self.events = EventBuilder(self.source.name)
        return {}


_PLANS: dict[Entity, type[Plan]] = {
    Entity.USERS: RowsPlan,
    Entity.MEMBERSHIPS: RowsPlan,
    Entity.REFERRALS: ReferralPlan,
    Entity.INTERACTIONS: InteractionPlan,
}


def plan_for(source: Source, encoding: str, report: EntityReport) -> Plan:
    """The plan for ``source``, by what it holds."""
    return _PLANS.get(source.entity, Plan)(source, encoding, report)
