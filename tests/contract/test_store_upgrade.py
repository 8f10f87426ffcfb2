"""Runs stored before the lurkers' tier was renamed (tier "peripheral", setting
peripheral_max_engagement) read right once the store is opened again, on every store."""

from __future__ import annotations

import json

from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.store.sqlite import SqliteStore
from graphsvc.store.sqlite.schema import results_table
from tests.builders import load_query_graph

OLD_PARAMS = {"seed": 0, "peripheral_max_engagement": 0.0}
OLD_STATS = {"n_users": 10, "tiers": {"core": 1, "kol": 2, "member": 6, "peripheral": 1}}


def store_as_an_old_version_left_it(store) -> None:
    """The query graph's run r1 as written before the rename (u9 is the lurker)."""
    load_query_graph(store)
    params, stats = json.dumps(OLD_PARAMS), json.dumps(OLD_STATS)
    if isinstance(store, SqliteStore):
        with store._tx() as db:  # old versions kept every run's users in one table
            db.execute(f"INSERT INTO user_results SELECT * FROM {results_table('r1')}")
            db.execute(f"DROP TABLE {results_table('r1')}")
            db.execute("UPDATE user_results SET tier = 'peripheral' WHERE tier = 'lurker'")
            db.execute("UPDATE runs SET params = ?, stats = ?", (params, stats))
            db.execute("DELETE FROM meta WHERE key = 'tiers_renamed'")
    else:
        store.session.autocommit("MATCH (r:UserResult {tier: 'lurker'}) SET r.tier = 'peripheral'")
        store.session.autocommit(
            "MATCH (r:AnalysisRun) SET r.params = $p, r.stats = $s", p=params, s=stats
        )
        store.session.autocommit("MATCH (c:Counter {name: 'tiers_renamed'}) DELETE c")
    assert store.user_result("r1", "u9")["tier"] == "peripheral"


def test_an_old_run_reads_with_the_new_tier_name(store):
    store_as_an_old_version_left_it(store)
    store.init_schema()  # what opening a store does
    assert store.user_result("r1", "u9")["tier"] == "lurker"
    assert [r["user_id"] for r in store.user_results("r1", tier="lurker")] == ["u9"]
    assert store.user_results("r1", tier="peripheral") == []
    run = store.current_run()
    assert run.params == {"seed": 0, "lurker_max_engagement": 0.0}
    assert run.stats["tiers"] == {"core": 1, "kol": 2, "member": 6, "lurker": 1}
    store.init_schema()  # once is enough: opening again changes nothing
    assert store.current_run() == run


def test_the_cli_on_an_old_sqlite_file_lists_lurkers(tmp_path):
    store = SqliteStore(tmp_path / "old.db")
    store.init_schema()
    store_as_an_old_version_left_it(store)
    store.close()
    db = f"sqlite:///{tmp_path / 'old.db'}"
    result = CliRunner().invoke(
        cli, ["--store", db, "kols", "--tier", "lurker", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert [(r["user_id"], r["tier"]) for r in json.loads(result.output)] == [("u9", "lurker")]
