"""Ingest without a store: field parsing, encodings, table reading, referral resolution."""

from __future__ import annotations

import math
import re
import threading
from contextlib import closing
from pathlib import Path

import pytest

from graphsvc.errors import InputError
from graphsvc.ingest.ahead import run_ahead
from graphsvc.ingest.readers import detect_encoding, open_table, path_source, stream_source
from graphsvc.ingest.referrals import referral_table, resolve
from graphsvc.ingest.validate import PARSERS, SCHEMAS, RowError, parse_time
from graphsvc.model import Entity, InteractionKind, Referral

INTERACTIONS = PARSERS[Entity.INTERACTIONS]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1700000000", 1_700_000_000),
        ("1700000000.9", 1_700_000_000),
        ("2024-01-01T00:00:00Z", 1_704_067_200),
        ("2024-01-01T08:00:00+08:00", 1_704_067_200),
        ("2024-01-01 00:00:00", 1_704_067_200),  # naive means UTC
        ("2024-01-01", 1_704_067_200),
        ("", None),
    ],
)
def test_parse_time(text, seconds):
    assert parse_time(text, "occurred_at") == seconds


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("yesterday", "bad timestamp 'yesterday'"),
        ("2024-13-01", "bad timestamp"),
        ("nan", "bad timestamp"),
        ("1700000000000", "milliseconds"),
    ],
)
def test_parse_time_refuses(text, needle):
    with pytest.raises(RowError, match=needle) as err:
        parse_time(text, "joined_at")
    assert err.value.field == "joined_at"


def test_interaction_row_parses():
    src, dst, kind, at, weight, chat = INTERACTIONS(
        [" u1", "u2", "REPLY", "1700000000", "", ""], {}
    )
    assert chat is None
    assert (src, dst, kind, at, weight) == ("u1", "u2", InteractionKind.REPLY, 1_700_000_000, 1.0)


@pytest.mark.parametrize(
    ("row", "field", "needle"),
    [
        (["", "u2", "like", "", "", ""], "src_id", "empty id"),
        (["u1", "u1", "like", "", "", ""], "dst_id", "self-loop"),
        (
            ["u1", "u2", "poke", "", "", ""],
            "kind",
            "unknown interaction kind 'poke' (expected one of",
        ),
        (["u1", "u2", "like", "", "-1", ""], "weight", "finite number ≥ 0"),
        (["u1", "u2", "like", "", "nan", ""], "weight", "finite number ≥ 0"),
        (["u1", "u2", "like", "", "inf", ""], "weight", "finite number ≥ 0"),
        (["u1", "u2", "like", "", "heavy", ""], "weight", "not a number: 'heavy'"),
    ],
)
def test_interaction_row_refused(row, field, needle):
    with pytest.raises(RowError, match=re.escape(needle)) as err:
        INTERACTIONS(row, {})
    assert err.value.field == field


def test_membership_role_default_and_unknown():
    parse = PARSERS[Entity.MEMBERSHIPS]
    assert parse(["u1", "g1", "", "", ""], {}).role == "member"
    assert parse(["u1", "g1", "", "Owner", ""], {}).role == "owner"
    with pytest.raises(RowError, match="unknown role 'boss'"):
        parse(["u1", "g1", "", "boss", ""], {})


def test_membership_left_at_parses_and_may_not_precede_joining():
    parse = PARSERS[Entity.MEMBERSHIPS]
    stay = parse(["u1", "g1", "2024-05-01", "", "2024-05-03T12:00:00Z"], {})
    assert (stay.joined_at, stay.left_at) == (1714521600, 1714737600)
    assert parse(["u1", "g1", "", "", ""], {}).left_at is None
    with pytest.raises(RowError, match="before joined_at") as err:
        parse(["u1", "g1", "2024-05-03", "", "2024-05-01"], {})
    assert err.value.field == "left_at"
    with pytest.raises(RowError, match="bad timestamp 'soon'") as err:
        parse(["u1", "g1", "", "", "soon"], {})
    assert err.value.field == "left_at"


def test_interaction_group_id_is_optional_and_trimmed():
    assert INTERACTIONS(["u1", "u2", "like", "", "", " g7 "], {})[5] == "g7"
    assert INTERACTIONS(["u1", "u2", "like", "", "", "  "], {})[5] is None


def _source(tmp_path: Path, name: str, data: bytes, entity=Entity.USERS):
    path = tmp_path / name
    path.write_bytes(data)
    return path_source(entity, path)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"user_id\nu1\n", "utf-8-sig"),
        ("\ufeffuser_id,name\nu1,张三\n".encode(), "utf-8-sig"),
        ("user_id,name\nu1,张三\n".encode("gbk"), "gbk"),
        (b"", "utf-8-sig"),
    ],
)
def test_detect_encoding(tmp_path, data, encoding):
    assert detect_encoding(_source(tmp_path, "users.csv", data)) == encoding


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"user_id\nu1\x00\x01\x02\n", "binary data (NUL bytes)"),
        (b"PK\x03\x04\x14\x00", "Excel .xlsx"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"user_id\n\xff\xfe\xfa\xfb\xfc\n", "neither UTF-8 nor GBK"),
    ],
)
def test_detect_encoding_refuses_garbage(tmp_path, data, needle):
    with pytest.raises(InputError, match=re.escape(needle)) as err:
        detect_encoding(_source(tmp_path, "users.csv", data))
    assert "users.csv" in str(err.value)
    assert "\n" not in str(err.value)


def test_forced_encoding(tmp_path):
    source = _source(tmp_path, "users.csv", b"user_id\n")
    assert detect_encoding(source, "UTF8") == "utf-8-sig"
    assert detect_encoding(source, "cp936") == "gbk"
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        detect_encoding(source, "klingon")


def _rows(source, encoding="utf-8-sig"):
    with open_table(source, SCHEMAS[source.entity], encoding) as table:
        return [(line, *table.align(raw)) for line, raw in table.rows()]


def test_csv_rows_are_aligned_with_line_numbers(tmp_path):
    data = b'city,user_id,name\nSH,u1,"A\nB"\n\nBJ,u2,\n'
    rows = _rows(_source(tmp_path, "users.csv", data))
    assert rows == [
        (2, ("u1", "A\nB", ""), {"city": "SH"}),
        (5, ("u2", "", ""), {"city": "BJ"}),
    ]


def test_csv_wrong_field_count_is_a_row_error(tmp_path):
    source = _source(tmp_path, "users.csv", b"user_id,name\nu1,a,extra\n")
    with open_table(source, SCHEMAS[Entity.USERS], "utf-8-sig") as table:
        (_, raw), *_ = table.rows()
        with pytest.raises(RowError, match="expected 2 fields as in the header, found 3"):
            table.align(raw)
        assert table.text(raw) == "u1,a,extra"


def test_jsonl_rows(tmp_path):
    data = b'{"user_id": 7, "name": "A", "vip": true}\n\n{"user_id": "u2", "tags": ["x"]}\n'
    rows = _rows(_source(tmp_path, "users.jsonl", data))
    assert rows == [
        (1, ["7", "A", ""], {"vip": "true"}),
        (3, ["u2", "", ""], {"tags": '["x"]'}),
    ]


def test_jsonl_bad_line_is_a_row_error(tmp_path):
    source = _source(tmp_path, "users.jsonl", b'{"user_id": "u1"}\n{"user_id": \n[1]\n')
    with open_table(source, SCHEMAS[Entity.USERS], "utf-8-sig") as table:
        _, second, third = list(table.rows())
        with pytest.raises(RowError, match="bad JSON"):
            table.align(second[1])
        with pytest.raises(RowError, match="expected a JSON object"):
            table.align(third[1])


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        (
            "interactions.csv",
            b"src_id,dst_id,type\n",
            "interactions.csv:1: missing required column kind "
            "(required: src_id, dst_id, kind; found: 'src_id', 'dst_id', 'type')",
        ),
        ("interactions.csv", b"src_id;dst_id;kind\n", "separated by ';' instead of ','"),
        ("interactions.csv", b"src_id\tdst_id\tkind\n", "separated by '\\t'"),
        ("interactions.csv", b"\n\n", "empty file; expected a header row with src_id"),
        ("interactions.jsonl", b"src_id,dst_id,kind\n", "interactions.jsonl:1: not JSON Lines"),
        ("interactions.jsonl", b'{"src": "u1"}\n', "missing required columns src_id, dst_id"),
    ],
)
def test_table_refuses_bad_headers(tmp_path, name, data, needle):
    source = _source(tmp_path, name, data, Entity.INTERACTIONS)
    with pytest.raises(InputError, match=re.escape(needle)):
        _rows(source)


def test_undecodable_bytes_name_the_exact_line(tmp_path):
    lines = [b"user_id,name"] + [b"u%d,x" % i for i in range(3000)] + [b"bad,\xff\xfe"]
    source = _source(tmp_path, "users.csv", b"\n".join(lines) + b"\n")
    with pytest.raises(InputError, match=r"users.csv:3002: not valid utf-8 text"):
        _rows(source)


def test_stream_source_reads_twice(tmp_path):
    path = tmp_path / "body"
    path.write_bytes(b"user_id\nu1\n")
    with path.open("rb") as body, stream_source(Entity.USERS, body, "upload", "csv") as source:
        assert _rows(source) == _rows(source) == [(2, ("u1", "", ""), {})]
        assert source.size == 11


def test_resolve_earliest_then_smallest_inviter_wins():
    rows = [
        (2, Referral("b", "x", 20)),
        (3, Referral("a", "x", 20)),
        (4, Referral("c", "x", None)),
        (5, Referral("d", "y", None)),
    ]
    out = resolve("r.csv", referral_table(rows), [])
    assert out.winners == {3, 5}
    assert len(out.conflicts) == 2
    assert "r.csv:2: invitee_id: 'x' has an earlier inviter 'a'" in out.conflicts[0]


def test_resolve_against_stored():
    stored = [Referral("s", "x", 10), Referral("s", "y", 50)]
    rows = [(2, Referral("a", "x", 20)), (3, Referral("a", "y", 30))]
    out = resolve("r.csv", referral_table(rows), stored)
    assert out.winners == {3}
    assert "already has inviter 's' in the store" in out.conflicts[0]
    assert "earlier inviter 'a' replaces 's'" in out.conflicts[1]


def test_resolve_cycle_latest_row_closes_it():
    rows = [(2, Referral("a", "b", 1)), (3, Referral("c", "a", 3)), (4, Referral("b", "c", 2))]
    out = resolve("r.csv", referral_table(rows), [])
    assert out.winners == {2, 4}
    assert out.cycles == {3: "referral 'c' → 'a' closes a cycle: a → b → c → a"}


def test_resolve_cycle_through_stored():
    stored = [Referral("a", "b", 1), Referral("b", "c", 2)]
    rows = [(2, Referral("c", "a", 3)), (3, Referral("c", "d", 3))]
    out = resolve("r.csv", referral_table(rows), stored)
    assert out.winners == {3}
    assert list(out.cycles) == [2]


def test_resolve_long_chains_at_once_and_a_long_cycle_by_row():
    chain = [(i + 2, Referral(f"u{i}", f"u{i + 1}", i)) for i in range(3000)]
    assert resolve("r.csv", referral_table(chain), []).winners == {line for line, _ in chain}
    closing = (3002, Referral("u3000", "u0", 5000))  # the last link, latest: the one refused
    out = resolve("r.csv", referral_table([*chain, closing]), [])
    assert out.winners == {line for line, _ in chain}
    assert list(out.cycles) == [3002]
    assert out.cycles[3002].startswith("referral 'u3000' → 'u0' closes a cycle: u0 → u1 → ")


def test_resolve_the_stored_forest_and_new_rows_together():
    stored = [Referral(f"u{i}", f"u{i + 1}", i) for i in range(50)]
    again = [(i + 2, r) for i, r in enumerate(stored)]  # a reload: the same referrals
    out = resolve("r.csv", referral_table(again), stored)
    assert (out.winners, out.conflicts, out.cycles) == ({line for line, _ in again}, [], {})
    out = resolve("r.csv", referral_table([(2, Referral("u50", "u0", 0))]), stored)
    assert (list(out.cycles), out.winners) == ([2], set())


def test_weight_zero_is_allowed():
    assert math.isclose(INTERACTIONS(["u1", "u2", "like", "", "0", ""], {})[4], 0.0)


def test_run_ahead_yields_in_order_and_raises_the_producers_error():
    def produce(emit):
        for i in range(10):
            emit(i)
        raise InputError("boom")

    seen = []
    with pytest.raises(InputError, match="boom"):
        seen.extend(run_ahead(produce, depth=2))
    assert seen == list(range(10))


def test_run_ahead_stops_the_producer_when_the_consumer_leaves():
    emitted = []

    def produce(emit):
        for i in range(1000):
            emit(i)
            emitted.append(i)

    before = threading.active_count()
    with closing(run_ahead(produce, depth=2)) as items:
        for item in items:
            if item == 3:
                break
    assert threading.active_count() == before
    assert len(emitted) < 10
