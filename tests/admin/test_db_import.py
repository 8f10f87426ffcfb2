"""`graphsvc db import`: a first load through neo4j-admin database import into a local
scripts/neo4j home of its own (own data, own port), compared with a transactional
`graphsvc load` of the same generated input into the test server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from graphsvc import synth
from graphsvc.admin.import_files import ImportBuilder, ImportFiles
from graphsvc.admin.local import LocalInstance
from graphsvc.cli import cli
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.analyze import snapshot_columns
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import Entity
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.sqlite import SqliteStore
from tests.builders import free_port

PASSWORD = "db-import-test"
ENTITIES = (Entity.USERS, Entity.GROUPS, Entity.MEMBERSHIPS, Entity.REFERRALS)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("graph")
    synth.generate(out, users=200, seed=5)
    return out


def test_the_builder_keeps_the_store_rules(graph: Path, tmp_path):
    """The same validated input gathered for import and loaded into the embedded store."""
    builder, sqlite = ImportBuilder(), SqliteStore(tmp_path / "g.db")
    sqlite.init_schema()
    try:
        ours, theirs = load_files(discover(graph), builder), load_files(discover(graph), sqlite)
        assert ours.as_dict() | {"seconds": 0} == theirs.as_dict() | {"seconds": 0}
        assert builder.counts() == sqlite.counts()
        for entity in ENTITIES:
            assert list(builder.records(entity)) == list(sqlite.records(entity)), entity
    finally:
        sqlite.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, neo4j_server) -> LocalInstance:
    """A home of its own, never started (`scripts/neo4j admin` writes its conf): the first
    import needs no server to know the database is empty, and starts it afterwards."""
    instance = LocalInstance(
        tmp_path_factory.mktemp("home"), free_port(), PASSWORD, heap="512m", pagecache="64m"
    )
    instance.run("admin", "--version")
    assert not instance.has_database()
    yield instance
    instance.stop()


def graphsvc(port: int, *args: str):
    """``graphsvc --store bolt://…:port ARGS`` with this module's credentials."""
    return CliRunner().invoke(cli, ["--store", f"bolt://neo4j:{PASSWORD}@127.0.0.1:{port}", *args])


def run(instance: LocalInstance, *args: str, port: int | None = None):
    """``graphsvc db import --home HOME ARGS`` on the home's own port (or ``port``)."""
    return graphsvc(port or instance.bolt_port, "db", "import", "--home", str(instance.home), *args)


@pytest.fixture(scope="module")
def imported(home: LocalInstance, graph: Path) -> Neo4jStore:
    result = run(home, str(graph))
    assert result.exit_code == 0, result.output
    assert "relationships/s" in result.output
    for stage in ("check", "read", "write files", "stop", "import", "start", "schema"):
        assert f"  {stage}\n" in result.output  # progress lines (stderr)
    assert "  reading" in result.output  # the read stage's progress bar (its label, no tty)
    assert home.running()
    store = Neo4jStore(home.uri, "neo4j", PASSWORD)
    yield store
    store.close()


@pytest.mark.neo4j
def test_an_import_equals_a_transactional_load(
    imported: Neo4jStore, neo4j_server, neo4j_store, graph
):
    loaded = CliRunner().invoke(
        cli,
        ["--store", neo4j_server.uri, "load", str(graph)],
        env={"NEO4J_USER": neo4j_server.user, "NEO4J_PASSWORD": neo4j_server.password},
    )
    assert loaded.exit_code == 0, loaded.output
    assert imported.counts() == neo4j_store.counts()
    for entity in ENTITIES:
        assert list(imported.records(entity)) == list(neo4j_store.records(entity)), entity
    ours, theirs = build_snapshot(imported), build_snapshot(neo4j_store)
    theirs_columns = dict(snapshot_columns(theirs))
    for name, column in snapshot_columns(ours):
        assert column.tolist() == theirs_columns[name].tolist(), name


@pytest.mark.neo4j
def test_loading_the_same_input_after_an_import_adds_nothing(
    imported: Neo4jStore, home: LocalInstance, graph
):
    before = imported.counts()
    result = graphsvc(home.bolt_port, "load", str(graph))
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert all(" 0 new" in lines[str(entity)] for entity in Entity)
    assert imported.counts() == before


@pytest.mark.neo4j
def test_a_database_with_data_is_refused(imported: Neo4jStore, home: LocalInstance, graph):
    result = run(home, str(graph))
    assert result.exit_code == 75
    assert "already holds" in result.output
    assert "--overwrite" in result.output
    assert "  stop\n" not in result.output  # refused before stopping the server


@pytest.mark.neo4j
def test_bad_input_is_reported_with_file_and_line(imported, home: LocalInstance, tmp_path):
    bad = tmp_path / "interactions.csv"
    bad.write_text("src_id,dst_id,kind\nu1,u2,like\nu1,u3,poke\n", encoding="utf-8")
    result = run(home, "--interactions", str(bad), "--overwrite")
    assert result.exit_code == 65
    assert "interactions.csv:3: kind: unknown interaction kind 'poke'" in result.output
    assert "Traceback" not in result.output
    assert "  stop\n" not in result.output  # refused before stopping the server


@pytest.mark.neo4j
def test_only_the_homes_own_server_is_imported_into(home: LocalInstance, graph: Path):
    result = run(home, str(graph), port=home.bolt_port + 1)
    assert result.exit_code == 78
    assert "is not served by the scripts/neo4j home" in result.output


@pytest.mark.neo4j
def test_a_failed_import_leaves_the_previous_database(
    imported: Neo4jStore, home: LocalInstance, graph: Path, monkeypatch: pytest.MonkeyPatch
):
    """The importer deletes the database it replaces first; a failure must not lose it."""
    before = imported.counts()
    write = ImportBuilder.write

    def broken(self: ImportBuilder, directory) -> ImportFiles:
        files = write(self, directory)
        with files.relationships["INTERACTED"][1].open("a", encoding="utf-8") as f:
            f.write("u0000001,nobody,1,1,1.0,1,,,7,1\n")  # an unknown end node
        return files

    monkeypatch.setattr(ImportBuilder, "write", broken)
    result = run(home, str(graph), "--overwrite")
    assert result.exit_code == 69, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1
    assert "the previous database is back in place" in error[0]
    assert "Traceback" not in result.output
    assert home.running()
    assert imported.counts() == before
    assert not list((home.home / "data" / "databases").glob(".*before-import"))
