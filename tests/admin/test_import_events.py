"""A first import's events, aggregated with numpy, match what the embedded store aggregates
from the same input; fingerprints are the Neo4j store's, each event's once."""

from __future__ import annotations

from graphsvc import synth
from graphsvc.admin.import_files import ImportBuilder
from graphsvc.ingest import discover, load_files
from graphsvc.model import EdgeKind, Entity, InteractionKind, event_key
from graphsvc.store.sqlite import SqliteStore


def test_import_rows_match_the_embedded_aggregates_and_keys(tmp_path):
    synth.generate(tmp_path / "data", users=800, seed=3)
    files = discover(tmp_path / "data")
    text = files[Entity.INTERACTIONS].read_text()
    repeat = text.splitlines(keepends=True)[7]
    files[Entity.INTERACTIONS].write_text(text + repeat)  # a genuine repeat: counted twice
    builder = ImportBuilder()
    load_files(files, builder)
    with SqliteStore(tmp_path / "x.db") as store:
        store.init_schema()
        load_files(files, store)
        expected = _aggregates(store)
        events = store.counts()["interaction_events"]
    kinds = list(InteractionKind)
    got = {}
    for row in builder._events.table(";").to_pylist():
        src, dst, kind, count, weight, days, first, last, day_list, *_ = row.values()
        assert len(day_list.split(";")) == days
        got[src, dst, kinds[kind]] = (
            count,
            round(weight, 9),
            days,
            -1 if first is None else first,
            -1 if last is None else last,
        )
    assert got == expected
    assert builder.counts()["interaction_events"] == events == len(text.splitlines())
    assert builder.counts()["interactions"] == len(got)
    src, dst, kind, at = repeat.strip().split(",")[:4]
    key = str(event_key(src, dst, InteractionKind(kind), _seconds(at), 1))
    ledger = builder._events.ledger(";").column("keys").to_pylist()
    keys = [k for part in ledger for k in part.split(";")]
    assert key in keys
    assert len(keys) == len(set(keys)) == events  # each event's fingerprint, once
    assert load_files(files, builder)[Entity.INTERACTIONS].written == 0  # reloaded: nothing new


def _aggregates(store: SqliteStore) -> dict[tuple, tuple]:
    """Every stored INTERACTED aggregate keyed (src, dst, kind)."""
    ids = dict(zip(store.users().uid.tolist(), store.users().user_id, strict=True))
    kinds, out = list(InteractionKind), {}
    for batch in store.edge_batches(EdgeKind.INTERACTED):
        p = {name: column.tolist() for name, column in batch.props.items()}
        for i, (s, d) in enumerate(zip(batch.src.tolist(), batch.dst.tolist(), strict=True)):
            out[ids[s], ids[d], kinds[p["kind"][i]]] = (
                p["count"][i], round(p["weight"][i], 9), p["days"][i], p["first_at"][i],
                p["last_at"][i],
            )  # fmt: skip
    return out


def _seconds(text: str) -> int:
    from graphsvc.ingest.validate import parse_time

    return parse_time(text, "occurred_at")
