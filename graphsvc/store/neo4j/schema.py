"""The schema (constraints and indexes of ``schema.cypher``) and in-place upgrades."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import neo4j

from graphsvc.model import RENAMED_TIERS
from graphsvc.store.base import renamed_run_json
from graphsvc.store.neo4j.ledger import move_event_keys
from graphsvc.store.neo4j.session import StoreParts


class Schema(StoreParts):
    """Neo4jStore's schema and in-place upgrades."""

    def init_schema(self) -> None:
        for statement in schema_statements():
            self.session.autocommit(statement)
        self.session.autocommit("CALL db.awaitIndexes(300)")

        def seed(tx: neo4j.ManagedTransaction) -> None:
            # Sequences start past the largest id present (e.g. after a bulk import).
            for label, key, name in (("User", "uid", "user"), ("Group", "gid", "group")):
                if tx.run("MATCH (s:Sequence {name: $name}) RETURN s", name=name).peek():
                    continue
                top = tx.run(f"MATCH (n:{label}) RETURN max(n.{key}) AS top").single()["top"]
                tx.run(
                    "MERGE (s:Sequence {name: $name}) ON CREATE SET s.next = $next",
                    name=name,
                    next=0 if top is None else top + 1,
                ).consume()
            if not tx.run("MATCH (c:Counter {name: 'interaction_events'}) RETURN c").peek():
                tx.run(
                    "OPTIONAL MATCH ()-[r:INTERACTED]->() WITH coalesce(sum(r.count), 0) AS n "
                    "MERGE (c:Counter {name: 'interaction_events'}) ON CREATE SET c.value = n"
                ).consume()
            if not tx.run(_FIND_LOAD_LOCK).peek():  # a read: never waits for a load
                tx.run("MERGE (:Lock {name: 'loads'})").consume()

        self.session.write(seed)
        move_event_keys(self.session)  # from relationships written before the ledger
        self._rename_tiers()

    def _rename_tiers(self) -> None:
        """Once per database: runs stored under old tier and setting names get the new ones
        (``base.RENAMED_TIERS``), so they read, filter and compare like new runs."""
        if self.session.value("MATCH (c:Counter {name: 'tiers_renamed'}) RETURN count(c)"):
            return
        for old, new in RENAMED_TIERS.items():
            self.session.autocommit(
                "MATCH (r:UserResult) WHERE r.tier = $old "
                "CALL (r) { SET r.tier = $new } IN TRANSACTIONS OF 50000 ROWS",
                old=old,
                new=new,
            )

        def rename_runs(tx: neo4j.ManagedTransaction) -> None:
            runs = tx.run(
                "MATCH (r:AnalysisRun) RETURN r.run_id AS id, r.params AS p, r.stats AS s"
            )
            for run in list(runs):
                renamed = renamed_run_json(
                    json.loads(run["p"] or "{}"), json.loads(run["s"] or "{}")
                )
                if renamed is not None:
                    params, stats = (json.dumps(d, sort_keys=True) for d in renamed)
                    tx.run(
                        "MATCH (r:AnalysisRun {run_id: $id}) SET r.params = $p, r.stats = $s",
                        id=run["id"],
                        p=params,
                        s=stats,
                    ).consume()
            tx.run("MERGE (c:Counter {name: 'tiers_renamed'}) SET c.value = 1").consume()

        self.session.write(rename_runs)


def schema_statements(text: str | None = None) -> list[str]:
    """The statements of ``schema.cypher`` (package data; ``cypher/schema.cypher`` links to it):
    ``//`` comments dropped, split at a ``;`` that ends a line."""
    if text is None:
        text = (files(__package__) / "schema.cypher").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]


_FIND_LOAD_LOCK = "MATCH (l:Lock {name: 'loads'}) RETURN l"
