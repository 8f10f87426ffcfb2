"""Properties of loading whatever arrives, through the public load function into a real
SQLite store: only InputError naming the input (never another exception), every valid row of
a mixed input loaded under ``on_error="skip"``, and nothing written by default when any row
is bad. Inputs: random bytes, three encodings, nested JSON, surrogates and control
characters in values."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc.errors import InputError
from graphsvc.ingest import LoadReport, load_stream
from graphsvc.model import Entity
from graphsvc.store.sqlite import SqliteStore

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADERS = {
    Entity.USERS: "user_id,name,joined_at",
    Entity.GROUPS: "group_id,name,owner_id,created_at",
    Entity.MEMBERSHIPS: "user_id,group_id,joined_at,role",
    Entity.REFERRALS: "inviter_id,invitee_id,referred_at,campaign",
    Entity.INTERACTIONS: "src_id,dst_id,kind,occurred_at,weight",
}
MEMORY = Path("/dev/shm")  # a store file per example: in memory where the system has one
LIMIT = 128 * 1024  # the longest field, in characters


def gbk_lead(char: str) -> int:
    try:
        return char.encode("gbk")[0]
    except UnicodeEncodeError:
        return 0


# GBK text whose first non-ASCII line is also valid UTF-8 is ambiguous, and refused rather
# than guessed; here GBK text starts with bytes that never start UTF-8 (leads B0–C1).
GBK_HAN = "".join(c for c in map(chr, range(0x4E00, 0x9FA6)) if 0xB0 <= gbk_lead(c) <= 0xC1)
CONTROLS = "".join(map(chr, range(1, 32))) + "\x7f"
UNICODE = st.characters(codec="utf-8", exclude_characters="\0")  # NUL means a binary file
ALPHABETS = {
    "utf-8": UNICODE,
    "utf-8-sig": UNICODE,
    "gbk": st.sampled_from("abcXYZ 019-,\"'" + GBK_HAN[:400] + CONTROLS),
}


def loaded(
    entity: Entity, data: bytes, fmt: str, on_error: str, check: Callable[[SqliteStore, Any], Any]
) -> LoadReport | InputError:
    """Load ``data`` into a new store, then ``check`` it: the report, or the InputError (any
    other exception fails the test). A refused input names itself and writes nothing."""
    with tempfile.TemporaryDirectory(dir=MEMORY if MEMORY.is_dir() else None) as tmp:
        store = SqliteStore(Path(tmp) / "graph.db")
        store.init_schema()
        outcome: LoadReport | InputError
        try:
            outcome = load_stream(
                entity, data, store, name=f"{entity}.{fmt}", fmt=fmt, on_error=on_error
            )
        except InputError as err:
            outcome = err
        if isinstance(outcome, InputError):
            assert f"{entity}.{fmt}" in str(outcome)
            assert store.counts() == dict.fromkeys(store.counts(), 0)
        check(store, outcome)
        store.close()
        return outcome


def nothing(store: SqliteStore, outcome: Any) -> None:
    return None


@FAST
@given(
    entity=st.sampled_from(list(Entity)),
    fmt=st.sampled_from(["csv", "jsonl"]),
    on_error=st.sampled_from(["fail", "skip"]),
    header=st.booleans(),
    data=st.binary(max_size=600),
)
def test_random_bytes_are_loaded_or_refused_naming_the_input(entity, fmt, on_error, header, data):
    if header:  # past the header, so rows are parsed
        columns = HEADERS[entity]
        first = columns if fmt == "csv" else json.dumps(dict.fromkeys(columns.split(","), "x"))
        data = first.encode() + b"\n" + data
    loaded(entity, data, fmt, on_error, nothing)


# -- mixed inputs: valid rows and bad rows, each bad row a row error -----------------------


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


BAD_JSON = [
    '{"user_id": "\\ud800x"}',  # lone surrogates
    '{"user_id": "ok-1", "name": "\\udfff"}',
    '{"user_id": "ok-2", "tags": ["\\ud83d"]}',
    '{"user_id": "ok-3", "\\udc00": 1}',
    f'{{"user_id": "ok-4", "x": {deep(5000)}}}',  # nested too deeply
    deep(5000),
    '{"user_id": "ok-5"',  # broken
    "[1, 2]",  # not an object
    '{"user_id": {"a": 1}}',
    '{"user_id": "  "}',
    '{"user_id": "ok-6", "joined_at": "soon"}',
    json.dumps({"user_id": "x" * (LIMIT + 1)}),
]
BAD_CSV = [["", "A", ""], ["  ", "", ""], ["ok-7", "", "soon"], ["ok-8", "A", "", "extra"]]


@st.composite
def mixed_users(draw: st.DrawFn) -> tuple[bytes, str, str, dict[str, str | None], int]:
    """A users input: (bytes, format, encoding, {valid id: stored name}, bad rows)."""
    fmt = draw(st.sampled_from(["csv", "jsonl"]))
    encoding = draw(st.sampled_from(list(ALPHABETS)))
    text = st.text(ALPHABETS[encoding], max_size=6)
    valid: dict[str, str | None] = {}
    rows: list[str] = []
    bad = 0
    for i in range(draw(st.integers(1, 12))):
        if i and draw(st.booleans()):  # the first row is valid: it names the JSON columns
            bad += 1
            if fmt == "jsonl":
                rows.append(draw(st.sampled_from(BAD_JSON)))
            else:
                rows.append(csv_line(draw(st.sampled_from(BAD_CSV))))
            continue
        user_id, name = f"{i}:{draw(text)}|", draw(text)  # unique; ends never stripped
        nested: Any = draw(st.recursive(st.none() | text, st.lists, max_leaves=4))
        valid[user_id] = name.strip() or None
        if fmt == "csv":
            rows.append(csv_line([user_id, name, ""]))
        else:
            row = {"user_id": user_id, "name": name, "extra": nested}
            rows.append(json.dumps(row, ensure_ascii=draw(st.booleans())))
    if fmt == "csv":
        rows.insert(0, "user_id,name,joined_at")
    return ("\n".join(rows) + "\n").encode(encoding), fmt, encoding, valid, bad


def csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)  # quotes a field holding "\r" or "\n"
    return out.getvalue().removesuffix("\r\n")


@FAST
@given(mixed_users())
def test_every_valid_row_is_loaded_and_every_bad_one_reported(case):
    data, fmt, _, valid, bad = case

    def stored_names(store: SqliteStore, outcome: Any) -> None:
        assert isinstance(outcome, LoadReport), (data, outcome)
        assert {u.user_id: u.name for u in store.records(Entity.USERS)} == valid

    report = loaded(Entity.USERS, data, fmt, "skip", stored_names)
    assert isinstance(report, LoadReport), report
    assert (report["users"].read, report.rejected) == (len(valid) + bad, bad)
    assert len(report.problems) == min(bad, 20)
    assert all(p.startswith(f"users.{fmt}:") for p in report.problems)


@FAST
@given(mixed_users())
def test_by_default_any_bad_row_writes_nothing(case):
    data, fmt, _, valid, bad = case

    def all_or_nothing(store: SqliteStore, outcome: Any) -> None:
        assert store.counts()["users"] == (0 if bad else len(valid)), (data, outcome)

    outcome = loaded(Entity.USERS, data, fmt, "fail", all_or_nothing)
    assert isinstance(outcome, InputError) == bool(bad)
    if bad:
        assert str(outcome).startswith(f"{bad} bad row{'s' if bad > 1 else ''} in users.{fmt}")
