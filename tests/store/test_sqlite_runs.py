"""SQLite's own side of keeping runs: each run's table, and what pruning leaves."""

from __future__ import annotations

from graphsvc.store.sqlite import SqliteStore
from graphsvc.store.sqlite.schema import results_table
from tests.builders import sample_run


def test_pruned_runs_leave_no_table_and_the_connection_as_it_was(tmp_path):
    with SqliteStore(tmp_path / "s.db", keep_runs=2) as store:
        store.init_schema()
        store.ensure_users(["a", "b"])
        usual = store._db.execute("PRAGMA secure_delete").fetchone()[0]
        for i in range(1, 4):
            store.write_run(sample_run(f"r{i}", 100.0 * i, {"a": 1, "b": 2}))
        tables = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master")}
        assert results_table("r1") not in tables
        assert {results_table("r2"), results_table("r3")} <= tables
        assert store._db.execute("PRAGMA secure_delete").fetchone()[0] == usual
