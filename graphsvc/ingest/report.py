"""What a load did: rows read, written, rejected and in conflict, per input; rejected rows."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graphsvc.ingest.validate import Problem
from graphsvc.model import Entity

__all__ = ["SAMPLE", "EntityReport", "LoadReport", "RejectsFile", "listing"]

SAMPLE = 20  # problem and conflict lines kept for messages and reports


def listing(lines: list[str], total: int) -> list[str]:
    """At most SAMPLE ``lines``, then "… and N more" when ``total`` is larger."""
    shown = lines[:SAMPLE]
    return shown + ([f"… and {total - len(shown)} more"] if total > len(shown) else [])


@dataclass
class EntityReport:
    """One input. ``written`` counts rows new to the store (re-loaded rows are not new)."""

    entity: Entity
    source: str
    format: str
    encoding: str
    read: int = 0
    written: int = 0
    rejected: int = 0
    conflicts: int = 0


@dataclass
class LoadReport:
    """The outcome of one load; ``problems`` and ``conflicts`` hold the first SAMPLE lines."""

    inputs: list[EntityReport]
    users_created: int = 0  # ids seen in edges or as group owners, not yet stored as users
    groups_created: int = 0  # group ids seen in memberships, not yet stored as groups
    rejects: Path | None = None  # the rejects CSV, when rows were rejected into one
    rejects_defaulted: bool = False  # True when ``rejects`` was chosen for the caller
    problems: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __getitem__(self, entity: Entity | str) -> EntityReport:
        for entry in self.inputs:
            if entry.entity == entity:
                return entry
        raise KeyError(entity)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.inputs)

    @property
    def conflict_count(self) -> int:
        return sum(r.conflicts for r in self.inputs)

    def summary(self) -> str:
        """Several lines for a person: one per input, then created ids, rejects, conflicts."""
        width = max(len(r.entity) for r in self.inputs)
        lines = [
            f"{r.entity:<{width}}  {r.read:>10,} read  {r.written:>10,} new  "
            f"{r.rejected:>8,} rejected  {r.conflicts:>6,} conflicts  "
            f"({r.source}, {r.format}, {r.encoding})"
            for r in self.inputs
        ]
        lines.append(
            f"created from references: {self.users_created:,} users, "
            f"{self.groups_created:,} groups; {self.seconds:.1f} s"
        )
        if self.rejected:
            where = f"rejected rows in {self.rejects}" if self.rejects else "rejected rows"
            if self.rejects_defaulted:
                where += " (default location: no rejects file was given)"
            lines += [f"{where}:", *(f"  {p}" for p in listing(self.problems, self.rejected))]
        if self.conflicts:
            lines += [
                "referral conflicts (the earliest inviter wins):",
                *(f"  {c}" for c in listing(self.conflicts, self.conflict_count)),
            ]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: the same facts, paths as strings."""
        out = asdict(self)
        out["inputs"] = [{**asdict(r), "entity": str(r.entity)} for r in self.inputs]
        out["rejects"] = str(self.rejects) if self.rejects else None
        out["rejected"] = self.rejected
        return out


class RejectsFile:
    """The rejects CSV (file, line, field, reason, raw), created at the first rejected row."""

    HEADER = ("file", "line", "field", "reason", "raw")

    def __init__(self, path: Path | None) -> None:
        self.path, self.count = path, 0
        self._handle: Any = None
        self._writer: Any = None

    def add(self, problem: Problem) -> None:
        self.count += 1
        if self.path is None:
            return
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(self.HEADER)
        self._writer.writerow(
            (problem.source, problem.line, problem.field or "", problem.reason, problem.raw)
        )

    def close(self) -> None:
        if self._handle:
            self._handle.close()
