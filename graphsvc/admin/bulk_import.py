"""The first load of a big graph into a local Neo4j, through ``neo4j-admin database import``.

The input is read and validated by the readers of ``graphsvc load`` (same errors, same rejects
file) into an ImportBuilder, which applies the store's rules; its files are imported with the
server stopped, and the server is started again with the schema applied. Transactions commit
~10k relationships/s on 2 cores; the importer writes the store files directly.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from graphsvc.admin.import_files import ImportBuilder
from graphsvc.admin.local import LocalInstance
from graphsvc.errors import ConfigError, ConflictError
from graphsvc.ingest import LoadReport, OnError, load_files
from graphsvc.model import Entity
from graphsvc.store.neo4j import Neo4jStore

__all__ = ["ImportReport", "bulk_import"]

RELATIONSHIPS = ("memberships", "referrals", "interactions")


@dataclass
class ImportReport:
    """What was read, what was imported, and the seconds of each stage (in order)."""

    load: LoadReport
    counts: dict[str, int] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.stages.values())

    @property
    def relationships(self) -> int:
        return sum(self.counts[name] for name in RELATIONSHIPS)

    def summary(self) -> str:
        """The input report, then one line of counts and rates and one of stage times."""
        c = self.counts
        return "\n".join(
            [
                self.load.summary(),
                f"imported {c['users']:,} users, {c['groups']:,} groups, "
                f"{c['memberships']:,} memberships, {c['referrals']:,} referrals, "
                f"{c['interactions']:,} interactions ({c['interaction_events']:,} events): "
                f"{self.relationships:,} relationships in {self.seconds:.1f} s, "
                f"{self.relationships / max(self.seconds, 1e-9):,.0f} relationships/s",
                "  " + ", ".join(f"{k} {v:.1f} s" for k, v in self.stages.items()),
            ]
        )


def bulk_import(
    files: Mapping[Entity, Path],
    store: Neo4jStore,
    instance: LocalInstance,
    *,
    overwrite: bool = False,
    encoding: str | None = None,
    on_error: OnError = "fail",
    rejects: Path | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load ``files`` into the database of ``store``, served by ``instance``, as a first load.

    Refused (ConflictError) if the database holds data, unless ``overwrite``; bad input is
    refused (InputError) before the server is touched. If the import fails, the previous
    database is put back and the server started again before the error is raised.
    ``on_stage(name)`` is called as each stage starts, ``on_bytes(n)`` as input is read.
    """
    if not instance.serves(store.uri):
        raise ConfigError(
            f"{store.uri} is not served by the scripts/neo4j home {instance.home} (Bolt port "
            f"{instance.bolt_port}): bulk import needs the local server's home (--home); "
            "`graphsvc load` writes to any server"
        )
    stages: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        if on_stage:
            on_stage(name)
        started = time.perf_counter()
        yield
        stages[name] = time.perf_counter() - started

    with stage("check"):
        running = instance.running()
        if not running and instance.has_database(store.database):
            instance.start()
            running = True
        held = {k: v for k, v in store.counts().items() if v} if running else {}
        if held and not overwrite:
            what = ", ".join(f"{v:,} {k}" for k, v in held.items())
            raise ConflictError(
                f"database {store.database!r} at {store.uri} already holds {what}: the importer "
                "is for first loads; add to it with `graphsvc load`, or pass --overwrite to "
                "replace it (analysis runs included)"
            )
    builder = ImportBuilder()
    with stage("read"):
        report = ImportReport(
            load_files(
                files,
                builder,
                encoding=encoding,
                on_error=on_error,
                rejects=rejects,
                on_bytes=on_bytes,
            )
        )
    with tempfile.TemporaryDirectory(prefix="graphsvc-import-") as tmp:
        with stage("write files"):
            written = builder.write(tmp)
            del builder
        with stage("stop"):
            instance.stop()
        with stage("import"):
            try:
                instance.import_files(written, store.database)
            except BaseException:
                instance.start()
                raise
    with stage("start"):
        instance.start()
    with stage("schema"):
        store.init_schema()
    report.counts, report.stages = written.counts, stages
    return report
