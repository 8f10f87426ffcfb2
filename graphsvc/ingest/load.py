"""Loading inputs into a store: validate everything (pass 1), then write in batches (pass 2).

Pass 1 streams every input, collects bad rows and finds repeated interaction events. Then,
holding the store's load lock when there are referrals (so no other load changes the stored
referrals in between), referral conflicts and cycles are resolved against the store and the
inputs are written. With ``on_error="fail"`` any bad row raises InputError before anything is
written. Pass 2 streams the inputs again (parsing in a background thread) and writes users,
groups, memberships, referrals, interactions in that order, in batches of BATCH_ROWS (one
transaction each, whether the input was read as rows or as columns), from the calling thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing, nullcontext
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Literal

from graphsvc.errors import InputError, shown
from graphsvc.ingest.ahead import run_ahead
from graphsvc.ingest.chunks import NotPlain, chunks
from graphsvc.ingest.plans import (
    GatheredPlan,
    InteractionPlan,
    Plan,
    ReferralPlan,
    RowsPlan,
    plan_for,
)
from graphsvc.ingest.readers import (
    FORMATS,
    Source,
    detect_encoding,
    encoding_label,
    open_table,
    path_source,
    stream_source,
)
from graphsvc.ingest.report import SAMPLE, EntityReport, LoadReport, RejectsFile, listing
from graphsvc.ingest.validate import PARSERS, SCHEMAS, Problem, RowError
from graphsvc.model import Entity
from graphsvc.store.base import LoadTarget
from graphsvc.store.bulk import collector_paused

__all__ = ["BATCH_ROWS", "OnError", "discover", "entity_of", "load_files", "load_stream"]

BATCH_ROWS = 50_000
OnError = Literal["fail", "skip"]
OnBytes = Callable[[int], None]
_REJECTS_NAME = "rejects.csv"
_WRITERS = {
    Entity.USERS: "upsert_users",
    Entity.GROUPS: "upsert_groups",
    Entity.MEMBERSHIPS: "upsert_memberships",
    Entity.REFERRALS: "upsert_referrals",
}


def discover(directory: Path) -> dict[Entity, Path]:
    """The input files in ``directory``: ``users.csv``, ``interactions.jsonl``, … (.csv,
    .jsonl, .ndjson), in load order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    found = {}
    for entity in Entity:
        paths = [p for ext in FORMATS if (p := directory / f"{entity}{ext}").is_file()]
        if len(paths) > 1:
            raise InputError(f"{directory}: {' and '.join(p.name for p in paths)}; keep one")
        if paths:
            found[entity] = paths[0]
    if not found:
        names = ", ".join(Entity)
        raise InputError(
            f"{directory}: no input files (expected {names} as .csv, .jsonl or .ndjson)"
        )
    return found


def entity_of(path: Path) -> Entity:
    """What a file holds, from its name as in a directory: ``users.csv``, ``referrals.jsonl``."""
    path = Path(path)
    try:
        if path.suffix.lower() in FORMATS:
            return Entity(path.stem.lower())
    except ValueError:
        pass
    raise InputError(
        f"{path}: which input is it? Name it {', '.join(Entity)} (.csv, .jsonl or .ndjson) "
        "or pass it as --users FILE, --referrals FILE, …"
    )


def load_files(
    files: Mapping[Entity, Path],
    store: LoadTarget,
    *,
    encoding: str | None = None,
    on_error: OnError = "fail",
    rejects: Path | None = None,
    on_bytes: OnBytes | None = None,
) -> LoadReport:
    """Validate and load input files (format from the extension) into ``store`` (a
    GraphStore, or an ImportBuilder gathering a first bulk import).

    ``on_error="fail"``: any bad row raises InputError listing them and nothing is written.
    ``"skip"``: valid rows are written, bad ones go to ``rejects`` (default: rejects.csv beside
    the first file). ``on_bytes(n)`` is called as input is consumed; the calls add up to the
    files' total size (half during validation, half during writing).
    """
    if not files:
        raise InputError("no input files given")
    given = {_entity(e): Path(p) for e, p in files.items()}
    defaulted = on_error == "skip" and rejects is None
    if defaulted:
        rejects = next(iter(given.values())).parent / _REJECTS_NAME
    sources = [path_source(e, given[e]) for e in Entity if e in given]
    return _Load(store, encoding, on_error, on_bytes).run(sources, rejects, defaulted)


def load_stream(
    entity: Entity,
    data: bytes | BinaryIO,
    store: LoadTarget,
    *,
    name: str,
    fmt: Literal["csv", "jsonl"],
    encoding: str | None = None,
    on_error: OnError = "fail",
    rejects: Path | None = None,
) -> LoadReport:
    """Validate and load one input given as bytes or a binary stream (a request body);
    ``name`` stands for the file in messages. Skipped rows go to ``rejects`` if given, and
    their first SAMPLE messages are in the report either way."""
    with stream_source(_entity(entity), data, name, fmt) as source:
        return _Load(store, encoding, on_error, None).run([source], rejects, False)


def _entity(value: Entity | str) -> Entity:
    try:
        return Entity(value)
    except ValueError:
        raise InputError(f"unknown input {shown(value)}; inputs are {', '.join(Entity)}") from None


class _Meter:
    """Maps the bytes one pass consumes of a source onto [lo, hi) of its size."""

    def __init__(self, on_bytes: OnBytes | None, size: int, lo: int, hi: int) -> None:
        self._on_bytes, self._size, self._lo, self._hi = on_bytes, max(size, 1), lo, hi
        self._consumed = self._reported = 0

    def __call__(self, n: int) -> None:
        self._consumed = min(self._consumed + n, self._size)
        self._report(self._lo + (self._hi - self._lo) * self._consumed // self._size)

    def finish(self) -> None:
        self._report(self._hi)

    def restart(self) -> None:
        """Count the source again from its start (progress already reported stays)."""
        self._consumed = 0

    def _report(self, position: int) -> None:
        step = position - self._lo - self._reported
        if step > 0 and self._on_bytes:
            self._on_bytes(step)
            self._reported += step


class _Load:
    """One load: both passes over its sources, and the ids it knows the store holds."""

    def __init__(
        self,
        store: LoadTarget,
        encoding: str | None,
        on_error: OnError,
        on_bytes: OnBytes | None,
    ) -> None:
        if on_error not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', not {on_error!r}")
        self.store, self.encoding = store, encoding
        self.on_error, self.on_bytes = on_error, on_bytes
        self.users: set[str] = set()  # ids known to exist in the store
        self.groups: set[str] = set()

    @collector_paused()
    def run(self, sources: Sequence[Source], rejects: Path | None, defaulted: bool) -> LoadReport:
        started = time.perf_counter()
        if self.on_error == "skip" and rejects and not rejects.parent.is_dir():
            raise InputError(f"{rejects}: no directory {rejects.parent} for the rejects file")
        self.store.check_writable()
        plans = self._open(sources)
        for plan in plans:
            self._check(plan)
        referrals = any(isinstance(p, ReferralPlan) for p in plans)
        with self.store.load_lock() if referrals else nullcontext():
            for plan in plans:
                for line, err in sorted(plan.settle(self.store).items()):
                    plan.note(Problem(plan.source.name, line, err.field, err.problem))
            problems = [str(p) for plan in plans for p in plan.problems][:SAMPLE]
            bad = sum(p.bad for p in plans)
            if bad and self.on_error == "fail":
                files = ", ".join(p.source.name for p in plans if p.bad)
                head = f"{bad} bad row{'s' if bad > 1 else ''} in {files}; nothing was written:"
                raise InputError("\n".join([head, *listing(problems, bad)]))
            conflicts = [c for p in plans if isinstance(p, ReferralPlan) for c in p.conflicts]
            report = LoadReport(
                [p.report for p in plans], problems=problems, conflicts=conflicts[:SAMPLE]
            )
            out = RejectsFile(rejects)
            try:
                for plan in plans:
                    self._write(plan, report, out)
            finally:
                out.close()
        if out.count and rejects:
            report.rejects, report.rejects_defaulted = rejects, defaulted
        report.seconds = time.perf_counter() - started
        return report

    def _open(self, sources: Sequence[Source]) -> list[Plan]:
        """Plans for all sources; every whole-file problem is raised before any row is read."""
        plans, errors = [], []
        for source in sources:
            try:
                encoding = detect_encoding(source, self.encoding)
                with open_table(source, SCHEMAS[source.entity], encoding):
                    pass
            except InputError as err:
                errors.append(str(err))
                continue
            report = EntityReport(source.entity, source.name, source.fmt, encoding_label(encoding))
            plans.append(plan_for(source, encoding, report))
        if errors:
            raise InputError("\n".join(errors))
        return plans

    def _scan(
        self,
        plan: Plan,
        meter: _Meter,
        step: Callable[[int, Any], None],
        on_problem: Callable[[Problem], None],
    ) -> int:
        """Parse every row of ``plan``'s source, calling ``step(line, record)`` for each valid
        one and ``on_problem`` for each bad one (including a RowError from ``step``)."""
        source = plan.source
        parse, rows = PARSERS[source.entity], 0
        with open_table(source, SCHEMAS[source.entity], plan.encoding, meter) as table:
            align = table.align
            for line, raw in table.rows():
                rows += 1
                try:
                    step(line, parse(*align(raw)))
                except RowError as err:
                    on_problem(Problem(source.name, line, err.field, err.problem, table.text(raw)))
        meter.finish()
        return rows

    def _check(self, plan: Plan) -> None:
        """Pass 1: count rows and bad rows (``plan.note``); events are read as columns
        (``chunks``) unless the input is JSON Lines or CSV that is not plain."""
        meter = _Meter(self.on_bytes, plan.source.size, 0, plan.source.size // 2)
        if isinstance(plan, GatheredPlan):
            try:
                source = plan.source
                for chunk in chunks(source, SCHEMAS[source.entity], plan.encoding, meter):
                    plan.rows += plan.add_chunk(chunk)
                plan.columnar = True
                meter.finish()
                return
            except NotPlain:
                plan.restart()
                meter.restart()
        plan.rows = self._scan(plan, meter, plan.collect, plan.note)

    def _write(self, plan: Plan, report: LoadReport, rejects: RejectsFile) -> None:
        """Pass 2: parse in a background thread, write the accepted rows here in batches;
        reject the bad ones. Progress (ints) travels with the batches (lists), so
        ``on_bytes`` is called from this thread. Events gathered in pass 1 are written
        at once."""
        entry, size = plan.report, plan.source.size
        if isinstance(plan, InteractionPlan) or (isinstance(plan, RowsPlan) and plan.columnar):
            for problem in plan.rejected:
                entry.rejected += 1
                rejects.add(problem)
            entry.read = plan.rows
            if isinstance(plan, InteractionPlan):
                self._write_events(plan, report)
            else:
                for records in plan.records():  # BATCH_ROWS at a time: one transaction each
                    for lo in range(0, len(records), BATCH_ROWS):
                        batch = records[lo : lo + BATCH_ROWS]
                        entry.written += self._flush(plan.source.entity, batch, report)
            _Meter(self.on_bytes, size, size // 2, size).finish()
            return

        def produce(emit: Callable[[Any], None]) -> None:
            batch: list[Any] = []

            def step(line: int, record: Any) -> None:
                nonlocal batch
                accepted = plan.accept(line, record)
                if accepted is not None:
                    batch.append(accepted)
                    if len(batch) >= BATCH_ROWS:
                        emit(batch)
                        batch = []

            def reject(problem: Problem) -> None:
                entry.rejected += 1
                rejects.add(problem)

            meter = _Meter(emit if self.on_bytes else None, size, size // 2, size)
            entry.read = self._scan(plan, meter, step, reject)
            if batch:
                emit(batch)

        with closing(run_ahead(produce)) as items:  # stop the parser if a write fails
            for item in items:
                if isinstance(item, list):
                    entry.written += self._flush(plan.source.entity, item, report)
                elif self.on_bytes:
                    self.on_bytes(item)
        if entry.read != plan.rows:
            raise InputError(f"{plan.source.name}: changed while loading")

    def _write_events(self, plan: InteractionPlan, report: LoadReport) -> None:
        entry, events = plan.report, plan.columns
        assert events is not None  # settled
        report.users_created += self._ensure(events.ids, self.users, self.store.ensure_users)
        report.groups_created += self._ensure(events.groups, self.groups, self.store.ensure_groups)
        entry.written += self.store.add_events(events)

    def _flush(self, entity: Entity, batch: list[Any], report: LoadReport) -> int:
        users, groups = _references(entity, batch)
        report.users_created += self._ensure(users, self.users, self.store.ensure_users)
        report.groups_created += self._ensure(groups, self.groups, self.store.ensure_groups)
        written = getattr(self.store, _WRITERS[entity])(batch)
        if entity is Entity.USERS:
            self.users.update(u.user_id for u in batch)
        elif entity is Entity.GROUPS:
            self.groups.update(g.group_id for g in batch)
        return written

    @staticmethod
    def _ensure(ids: Iterable[str], known: set[str], ensure: Callable[[list[str]], int]) -> int:
        new = [i for i in dict.fromkeys(ids) if i not in known]  # ids: distinct, in order
        if not new:
            return 0
        known.update(new)
        return ensure(new)


def _references(entity: Entity, batch: list[Any]) -> tuple[Iterable[str], Iterable[str]]:
    """User ids and group ids a batch of ``entity`` rows refers to."""
    if entity is Entity.GROUPS:
        return (g.owner_id for g in batch if g.owner_id), ()
    if entity is Entity.MEMBERSHIPS:
        return (m.user_id for m in batch), (m.group_id for m in batch)
    if entity is Entity.REFERRALS:
        return chain.from_iterable((r.inviter_id, r.invitee_id) for r in batch), ()
    return (), ()
