"""Per-input state between the two passes of a load.

Pass 1 calls ``collect`` for each valid row and ``note`` for each bad one, then ``settle``
once; pass 2 calls ``accept`` for each valid row, in the same order, to get the record to
write.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from graphsvc.ingest.readers import Source
from graphsvc.ingest.referrals import resolve
from graphsvc.ingest.report import SAMPLE, EntityReport
from graphsvc.ingest.validate import Event, Problem, RowError
from graphsvc.model import Entity, Interaction, event_key
from graphsvc.store.base import LoadTarget

__all__ = ["InteractionPlan", "Plan", "ReferralPlan", "plan_for"]


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


class ReferralPlan(Plan):
    """Keeps the valid rows for conflict and cycle resolution after pass 1."""

    def __init__(self, source: Source, encoding: str, report: EntityReport) -> None:
        super().__init__(source, encoding, report)
        self._rows: list[tuple[int, Any]] = []
        self._winners: set[int] = set()
        self._cycles: dict[int, RowError] = {}
        self.conflicts: list[str] = []

    def collect(self, line: int, record: Any) -> None:
        self._rows.append((line, record))

    def settle(self, store: LoadTarget) -> dict[int, RowError]:
        found = resolve(self.source.name, self._rows, store.records(Entity.REFERRALS))
        self._rows = []
        self._winners, self.conflicts = found.winners, found.conflicts
        self._cycles = {line: RowError("invitee_id", why) for line, why in found.cycles.items()}
        self.report.conflicts = len(found.conflicts)
        return self._cycles

    def accept(self, line: int, record: Any) -> Any:
        if line in self._cycles:
            cycle = self._cycles[line]
            raise RowError(cycle.field, cycle.problem)
        return record if line in self._winners else None


class InteractionPlan(Plan):
    """Numbers repeated events (same src, dst, kind, occurred_at) in file order, so each gets
    its own key. Pass 1 hashes every event (fast, process-local) to find the few that repeat;
    pass 2 counts exactly only those."""

    def __init__(self, source: Source, encoding: str, report: EntityReport) -> None:
        super().__init__(source, encoding, report)
        self._hashes = array("q")
        self._repeated: frozenset[int] = frozenset()
        self._seen: dict[tuple, int] = {}

    def collect(self, line: int, record: Event) -> None:
        self._hashes.append(hash(record[:4]))

    def settle(self, store: LoadTarget) -> dict[int, RowError]:
        hashes, counts = np.unique(np.frombuffer(self._hashes, np.int64), return_counts=True)
        self._repeated = frozenset(hashes[counts > 1].tolist())
        self._hashes = array("q")
        return {}

    def accept(self, line: int, record: Event) -> Interaction:
        event = record[:4]
        ordinal = 0
        if hash(event) in self._repeated:
            ordinal = self._seen.get(event, 0)
            self._seen[event] = ordinal + 1
        return Interaction(*record, event_key(*event, ordinal))


_PLANS: dict[Entity, type[Plan]] = {
    Entity.REFERRALS: ReferralPlan,
    Entity.INTERACTIONS: InteractionPlan,
}


def plan_for(source: Source, encoding: str, report: EntityReport) -> Plan:
    """The plan for ``source``, by what it holds."""
    return _PLANS.get(source.entity, Plan)(source, encoding, report)
