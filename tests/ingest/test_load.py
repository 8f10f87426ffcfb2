"""Loading inputs into the real embedded store: refusals, skips, encodings, idempotency,
referral conflicts and cycles, and what the report says."""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.errors import InputError
from graphsvc.ingest import discover, load_files, load_stream
from graphsvc.model import EdgeKind, Entity
from graphsvc.store.sqlite import SqliteStore

USERS = "user_id,name,joined_at,city\nu1,Alice,2024-01-01,Shanghai\nu2,Bob,1700000000,\n"
GROUPS = "group_id,name,owner_id\ng1,Fans,u1\n"
MEMBERSHIPS = "user_id,group_id,role\nu1,g1,owner\nu2,g1,\nu4,g2,admin\n"
REFERRALS = "inviter_id,invitee_id,referred_at\nu1,u2,2024-01-02\nu1,u3,2024-01-03\n"
INTERACTIONS = (
    "src_id,dst_id,kind,occurred_at,weight\n"
    "u2,u1,reply,2024-01-05T10:00:00Z,\n"
    "u2,u1,reply,2024-01-05T10:00:00Z,\n"  # a genuine repeat: kept
    "u3,u1,like,1704448800,2.5\n"
)
INPUTS = {
    Entity.USERS: USERS,
    Entity.GROUPS: GROUPS,
    Entity.MEMBERSHIPS: MEMBERSHIPS,
    Entity.REFERRALS: REFERRALS,
    Entity.INTERACTIONS: INTERACTIONS,
}
EMPTY = {k: 0 for k in ("users", "groups", "memberships", "referrals", "interactions")}
EMPTY["interaction_events"] = 0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    sqlite = SqliteStore(tmp_path / "graph.db")
    sqlite.init_schema()
    yield sqlite
    sqlite.close()


def write(directory: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = directory / name
    path.write_bytes(text.encode(encoding))
    return path


def write_all(directory: Path, inputs: dict[Entity, str], ext: str = "csv") -> dict:
    directory.mkdir(exist_ok=True)
    return {e: write(directory, f"{e}.{ext}", text) for e, text in inputs.items()}


def to_jsonl(text: str) -> str:
    return "".join(
        json.dumps({k: v for k, v in row.items() if v}, ensure_ascii=False) + "\n"
        for row in csv.DictReader(io.StringIO(text))
    )


def interaction_edges(store: SqliteStore) -> dict[tuple, tuple]:
    ids = dict(zip(store.users().uid.tolist(), store.users().user_id, strict=True))
    out = {}
    for batch in store.edge_batches(EdgeKind.INTERACTED):
        for i in range(len(batch)):
            props = tuple(v[i].item() for v in batch.props.values())
            out[ids[batch.src[i].item()], ids[batch.dst[i].item()]] = props
    return out


def test_loads_everything_and_reports(tmp_path, store):
    report = load_files(write_all(tmp_path / "in", INPUTS), store)
    assert store.counts() == {
        "users": 4,
        "groups": 2,
        "memberships": 3,
        "referrals": 2,
        "interactions": 2,
        "interaction_events": 3,
    }
    assert (report.users_created, report.groups_created) == (2, 1)  # u3, u4; g2
    assert [(r.entity, r.read, r.written) for r in report.inputs] == [
        ("users", 2, 2),
        ("groups", 1, 1),
        ("memberships", 3, 3),
        ("referrals", 2, 2),
        ("interactions", 3, 3),
    ]
    users = {u.user_id: u for u in store.records(Entity.USERS)}
    assert users["u1"].attributes == {"city": "Shanghai"}
    assert users["u1"].joined_at == 1_704_067_200
    assert interaction_edges(store)[("u2", "u1")] == (1, 2, 2.0, 1, 1_704_448_800, 1_704_448_800)
    summary = report.summary()
    assert "created from references: 2 users, 1 groups" in summary
    assert json.loads(json.dumps(report.as_dict()))["inputs"][4]["written"] == 3


def test_loading_twice_adds_nothing(tmp_path, store):
    files = write_all(tmp_path / "in", INPUTS)
    load_files(files, store)
    before, edges = store.counts(), interaction_edges(store)
    again = load_files(files, store)
    assert store.counts() == before
    assert interaction_edges(store) == edges  # counts and weights not doubled
    assert again["interactions"].written == 0
    assert again.users_created == 0


def test_jsonl_loads_like_csv(tmp_path, store):
    load_files(write_all(tmp_path / "csv", INPUTS), store)
    expected = (
        store.counts(),
        interaction_edges(store),
        {e: list(store.records(e)) for e in list(Entity)[:4]},
    )
    jsonl = SqliteStore(tmp_path / "jsonl.db")
    jsonl.init_schema()
    files = write_all(tmp_path / "jsonl", {e: to_jsonl(t) for e, t in INPUTS.items()}, "jsonl")
    report = load_files(files, jsonl)
    assert (
        jsonl.counts(),
        interaction_edges(jsonl),
        {e: list(jsonl.records(e)) for e in list(Entity)[:4]},
    ) == expected
    assert report["interactions"].format == "jsonl"
    jsonl.close()


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_gbk_chinese_names_round_trip(tmp_path, store, ext):
    text = "user_id,name,城市\nu1,张三,上海\nu2,李四,北京\n"
    text = text if ext == "csv" else to_jsonl(text)
    report = load_files({Entity.USERS: write(tmp_path, f"users.{ext}", text, "gbk")}, store)
    assert report["users"].encoding == "gbk"
    users = {u.user_id: u for u in store.records(Entity.USERS)}
    assert users["u1"].name == "张三"
    assert users["u2"].attributes == {"城市": "北京"}


def test_forced_encoding(tmp_path, store):
    path = write(tmp_path, "users.csv", "user_id,name\nu1,张三\n", "gb18030")
    load_files({Entity.USERS: path}, store, encoding="gb18030")
    assert next(store.records(Entity.USERS)).name == "张三"


def test_gbk_whose_first_line_is_also_utf8_is_refused_not_guessed(tmp_path, store):
    path = write(tmp_path, "users.csv", "user_id,name\nu1,一\nu2,王五\n", "gbk")  # 一: D2 BB
    with pytest.raises(InputError, match=r"users\.csv:3: not valid utf-8 text .*encoding"):
        load_files({Entity.USERS: path}, store)
    assert store.counts() == EMPTY
    load_files({Entity.USERS: path}, store, encoding="gbk")
    assert [u.name for u in store.records(Entity.USERS)] == ["一", "王五"]


def test_utf8_bom_header_is_recognised(tmp_path, store):
    path = write(tmp_path, "users.csv", "\ufeffuser_id,name\nu1,王五\n")
    load_files({Entity.USERS: path}, store)
    assert [(u.user_id, u.name) for u in store.records(Entity.USERS)] == [("u1", "王五")]


BAD_ROWS = [
    ("interactions", "src_id,dst_id,kind\n,u2,like\n", 2, "src_id: empty id"),
    (
        "interactions",
        "src_id,dst_id,kind\nu1,u2,poke\n",
        2,
        "kind: unknown interaction kind 'poke'",
    ),
    ("interactions", "src_id,dst_id,kind,weight\nu1,u2,like,-2\n", 2, "weight: must be a finite"),
    ("interactions", "src_id,dst_id,kind,weight\nu1,u2,like,x\n", 2, "weight: not a number"),
    ("interactions", "src_id,dst_id,kind,weight\nu1,u2,like,NaN\n", 2, "weight: must be a finite"),
    ("interactions", "src_id,dst_id,kind\nu1,u1,like\n", 2, "dst_id: self-loop"),
    ("interactions", "src_id,dst_id,kind\nu1,u2\n", 2, "expected 3 fields as in the header"),
    (
        "interactions",
        "src_id,dst_id,kind,occurred_at\nu1,u2,like,\nu1,u2,like,soon\n",
        3,
        "occurred_at: bad timestamp 'soon'",
    ),
    ("referrals", "inviter_id,invitee_id\nu1,u1\n", 2, "invitee_id: self-referral"),
    ("memberships", "user_id,group_id,role\nu1,g1,boss\n", 2, "role: unknown role 'boss'"),
    ("users", "user_id,joined_at\nu1,2024-02-30\n", 2, "joined_at: bad timestamp"),
]


@pytest.mark.parametrize(("entity", "text", "line", "needle"), BAD_ROWS)
def test_bad_row_fails_and_writes_nothing(tmp_path, store, entity, text, line, needle):
    files = {Entity.USERS: write(tmp_path, "users.csv", USERS)}  # valid, yet not written
    files[Entity(entity)] = write(tmp_path, f"{entity}.csv", text)
    with pytest.raises(InputError) as err:
        load_files(files, store)
    assert f"{entity}.csv:{line}: {needle}" in str(err.value)
    assert "nothing was written" in str(err.value)
    assert store.counts() == EMPTY


def test_bad_json_line(tmp_path, store):
    path = write(tmp_path, "users.jsonl", '{"user_id": "u1"}\n\n{"user_id": "u2"\n')
    with pytest.raises(InputError, match=r"users.jsonl:3: bad JSON"):
        load_files({Entity.USERS: path}, store)
    assert store.counts() == EMPTY


def test_a_json_line_without_a_required_key_names_it_and_the_keys_found(tmp_path, sqlite_store):
    path = write(tmp_path, "users.jsonl", '{"user_id": "u1"}\n{"userid": "u2", "name": "Bo"}\n')
    with pytest.raises(InputError) as err:
        load_files({Entity.USERS: path}, sqlite_store)
    assert "users.jsonl:2: user_id: missing (keys found: 'userid', 'name')" in str(err.value)


def test_a_huge_bad_value_is_cut_in_the_message(tmp_path, sqlite_store):
    path = write(tmp_path, "users.csv", "user_id,joined_at\nu1," + "9" * 50_000 + "x\n")
    with pytest.raises(InputError) as err:
        load_files({Entity.USERS: path}, sqlite_store)
    assert f"bad timestamp '{'9' * 80}'…(50,001 chars)" in str(err.value)
    assert len(str(err.value)) < 400


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"user_id": "\\ud800bad"}', "users.jsonl:2: user_id: not valid Unicode"),
        ('{"user_id": "u2", "name": "\\udc80"}', "users.jsonl:2: name: not valid Unicode"),
        ('{"user_id": "u2", "tags": ["\\ud800"]}', "users.jsonl:2: tags: not valid Unicode"),
        ('{"user_id": "u2", "\\ud800": 1}', r"users.jsonl:2: field name '\ud800' is not valid"),
        (f'{{"user_id": "u2", "x": {DEEP}}}', "users.jsonl:2: bad JSON: nested more than 64 deep"),
        (f"{DEEP}", "users.jsonl:2: bad JSON: nested more than 64 deep"),
    ],
)
def test_json_values_no_store_can_hold_are_row_errors(tmp_path, store, line, needle):
    path = write(tmp_path, "users.jsonl", f'{{"user_id": "u1"}}\n{line}\n{{"user_id": "u3"}}\n')
    with pytest.raises(InputError) as err:
        load_files({Entity.USERS: path}, store)
    assert needle in str(err.value)
    assert "nothing was written" in str(err.value)
    assert store.counts() == EMPTY
    report = load_files({Entity.USERS: path}, store, on_error="skip", rejects=tmp_path / "r.csv")
    assert (report.rejected, sorted(u.user_id for u in store.records(Entity.USERS))) == (
        1,
        ["u1", "u3"],
    )


def test_lone_surrogate_after_a_batch_writes_nothing(tmp_path, store):
    rows = "".join(f'{{"user_id": "u{i}"}}\n' for i in range(60_000))
    path = write(tmp_path, "users.jsonl", rows + '{"user_id": "\\ud800bad"}\n')
    with pytest.raises(InputError, match=r"users\.jsonl:60001: user_id: not valid Unicode"):
        load_files({Entity.USERS: path}, store)
    assert store.counts() == EMPTY


def test_paired_surrogate_escapes_are_one_character(tmp_path, store):
    path = write(tmp_path, "users.jsonl", '{"user_id": "\\ud83d\\ude00", "name": "\\u540d"}\n')
    load_files({Entity.USERS: path}, store)
    assert [(u.user_id, u.name) for u in store.records(Entity.USERS)] == [("😀", "名")]


def test_a_document_nested_too_deeply_is_not_json_lines(tmp_path, store):
    path = write(tmp_path, "users.jsonl", DEEP + "\n")
    with pytest.raises(
        InputError, match=r"users\.jsonl:1: not JSON Lines .*nested more than 64 deep"
    ):
        load_files({Entity.USERS: path}, store)


def users_text(rows: list[tuple[str, str, str]], ext: str) -> str:
    """users with user_id, name, city, as CSV or JSON Lines (empty values left out)."""
    if ext == "csv":
        return "user_id,name,city\n" + "".join(",".join(row) + "\n" for row in rows)
    keys = ("user_id", "name", "city")
    return "".join(
        json.dumps({k: v for k, v in zip(keys, row, strict=True) if v}) + "\n" for row in rows
    )


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_one_field_length_limit_in_every_format(tmp_path, store, ext):
    longest = "x" * 128 * 1024  # the limit, in characters
    path = write(
        tmp_path, f"users.{ext}", users_text([("u1", longest, ""), ("u2", "", longest)], ext)
    )
    load_files({Entity.USERS: path}, store)
    assert store.counts()["users"] == 2
    for over in (("u3", longest + "y", ""), ("u3", "", longest + "y"), (longest + "y", "", "")):
        path = write(tmp_path, f"users.{ext}", users_text([("u4", "A", ""), over], ext))
        line = 3 if ext == "csv" else 2
        with pytest.raises(InputError, match=f"users.{ext}:{line}: .*longer than 131,072 char"):
            load_files({Entity.USERS: path}, store)
        assert store.counts()["users"] == 2


def test_listing_is_capped(tmp_path, store):
    rows = "".join(f"u{i},u{i},like\n" for i in range(25))
    path = write(tmp_path, "interactions.csv", "src_id,dst_id,kind\n" + rows)
    with pytest.raises(InputError) as err:
        load_files({Entity.INTERACTIONS: path}, store)
    lines = str(err.value).splitlines()
    assert lines[0].startswith("25 bad rows in")
    assert len(lines) == 22
    assert lines[-1] == "… and 5 more"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty file"),
        (b"\x00\x01binary\x00", "binary data"),
        (b"user_id;name\nu1;A\n", "separated by ';'"),
        (b"user_id\tname\nu1\tA\n", "separated by '\\t'"),
        (b"user_id,name\nu1,A\n\n\xff\xff\n", "users.csv:4: neither UTF-8 nor GBK"),
        (
            "user_id,name\nu1,张三\n".encode("gbk") + b"\n\xff\xff\n",
            "users.csv:4: not valid gbk text (bytes b'\\xff')",
        ),
        (  # the first rows are UTF-8: a GBK row is refused, not the file re-read as GBK
            "user_id,name\nu1,名字\n".encode() + "u2,名字\n".encode("gbk"),
            "users.csv:3: not valid utf-8 text (bytes b'\\xc3')",
        ),
    ],
)
def test_garbage_is_one_line_and_writes_nothing(tmp_path, store, data, needle):
    good = write(tmp_path, "groups.csv", GROUPS)
    bad = tmp_path / "users.csv"
    bad.write_bytes(data)
    for mode in ("fail", "skip"):
        with pytest.raises(InputError) as err:
            load_files({Entity.USERS: bad, Entity.GROUPS: good}, store, on_error=mode)
        assert needle in str(err.value)
        assert "users.csv" in str(err.value)
        assert "\n" not in str(err.value)
    assert store.counts() == EMPTY


def test_missing_columns_refused(tmp_path, store):
    files = {
        Entity.USERS: write(tmp_path, "users.csv", USERS),
        Entity.REFERRALS: write(tmp_path, "referrals.csv", "from,to\nu1,u2\n"),
    }
    with pytest.raises(InputError) as err:
        load_files(files, store, on_error="skip")
    assert "referrals.csv:1: missing required columns inviter_id, invitee_id" in str(err.value)
    assert "found: 'from', 'to'" in str(err.value)
    assert store.counts() == EMPTY


def test_skip_writes_valid_rows_and_rejects(tmp_path, store):
    files = write_all(
        tmp_path,
        {
            Entity.USERS: "user_id,name\nu1,A\n,nobody\n",
            Entity.INTERACTIONS: "src_id,dst_id,kind\nu1,u2,like\nu1,u2,poke\nu2,u1,reply\n",
        },
    )
    report = load_files(files, store, on_error="skip")
    counts = store.counts()
    assert (counts["users"], counts["interaction_events"]) == (2, 2)
    assert [(r.read, r.written, r.rejected) for r in report.inputs] == [(2, 1, 1), (3, 2, 1)]
    assert report.rejects == tmp_path / "rejects.csv"
    assert report.rejects_defaulted
    assert "default location" in report.summary()
    with report.rejects.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "line", "field", "reason", "raw"]
    assert [r[1:] for r in rows[1:]] == [
        ["3", "user_id", "empty id", ",nobody"],
        ["3", "kind", rows[2][3], "u1,u2,poke"],
    ]
    assert rows[1][0].endswith("users.csv")
    assert rows[2][3].startswith("unknown interaction kind 'poke'")


def test_skip_rejects_to_given_path(tmp_path, store):
    path = write(tmp_path, "users.csv", "user_id,joined_at\nu1,never\nu2,\n")
    out = tmp_path / "out" / "bad.csv"
    out.parent.mkdir()
    report = load_files({Entity.USERS: path}, store, on_error="skip", rejects=out)
    assert (report.rejects, report.rejects_defaulted) == (out, False)
    assert "u1,never" in out.read_text(encoding="utf-8-sig")
    assert [u.user_id for u in store.records(Entity.USERS)] == ["u2"]


def test_missing_users_are_created_and_counted(tmp_path, store):
    files = write_all(
        tmp_path,
        {
            Entity.USERS: "user_id\nu1\n",
            Entity.INTERACTIONS: "src_id,dst_id,kind\nu1,u2,like\nu3,u2,share\n",
        },
    )
    report = load_files(files, store)
    assert report.users_created == 2
    assert sorted(store.users().user_id) == ["u1", "u2", "u3"]


def referrals_of(store: SqliteStore) -> dict[str, str]:
    return {r.invitee_id: r.inviter_id for r in store.records(Entity.REFERRALS)}


REFERRAL_ROWS = [
    "b,x,2024-03-01",
    "a,x,2024-03-01",  # tie: the smaller inviter id wins
    "c,x,2024-05-01",
    "d,y,",
    "e,y,2024-06-01",  # a known time beats an unknown one
    "f,z,1700000000",
    "g,z,2023-11-14T22:13:20Z",  # the same instant as 1700000000; f < g
]


def load_referrals(rows: list[str], on_error: str = "fail") -> tuple[dict, int, int]:
    """Load referral rows into a fresh store: (invitee → inviter, conflicts, rejected)."""
    with tempfile.TemporaryDirectory() as tmp:
        text = "inviter_id,invitee_id,referred_at\n" + "".join(f"{r}\n" for r in rows)
        path = write(Path(tmp), "referrals.csv", text)
        with SqliteStore(Path(tmp) / "g.db") as store:
            store.init_schema()
            report = load_files({Entity.REFERRALS: path}, store, on_error=on_error)
            return referrals_of(store), report.conflict_count, report.rejected


@pytest.mark.parametrize("order", [1, -1])
def test_earliest_referral_wins(order):
    assert load_referrals(REFERRAL_ROWS[::order]) == ({"x": "a", "y": "e", "z": "f"}, 4, 0)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.sampled_from("abcde"), st.integers(-1, 3)),
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_referrals_same_result_in_any_order(rows, rnd):
    lines = [f"{a},{b},{'' if t < 0 else t}" for a, b, t in rows if a != b]
    shuffled = rnd.sample(lines, len(lines))
    stored, conflicts, rejected = load_referrals(lines, "skip")
    assert load_referrals(shuffled, "skip") == (stored, conflicts, rejected)
    for invitee, inviter in stored.items():  # the earliest, then smallest, inviter
        candidates = [(t < 0, t, a) for a, b, t in rows if b == invitee and a != b]
        assert inviter == min(candidates)[2]


def test_referral_conflict_with_store(tmp_path, store):
    header = "inviter_id,invitee_id,referred_at\n"
    load_files({Entity.REFERRALS: write(tmp_path, "r1.csv", header + "s,x,100\ns,y,500\n")}, store)
    path = write(tmp_path, "r2.csv", header + "a,x,200\na,y,300\n")
    report = load_files({Entity.REFERRALS: path}, store)
    assert referrals_of(store) == {"x": "s", "y": "a"}
    assert report["referrals"].conflicts == 2
    assert "r2.csv:2: invitee_id: 'x' already has inviter 's' in the store" in report.summary()


def test_referral_rows_the_row_parser_reads_are_decided_with_the_rest(tmp_path, store):
    text = "inviter_id,invitee_id,referred_at,campaign\nb,x,20,\n a ,x,10, spring \nc,y,,\n"
    report = load_files({Entity.REFERRALS: write(tmp_path, "r.csv", text)}, store)
    assert referrals_of(store) == {"x": "a", "y": "c"}  # the padded row is the earlier one
    assert report["referrals"].conflicts == 1
    stored = {r.invitee_id: r for r in store.records(Entity.REFERRALS)}
    assert (stored["x"].referred_at, stored["x"].campaign) == (10, "spring")
    assert (stored["y"].referred_at, stored["y"].campaign) == (None, None)


def test_referral_cycle_fails(tmp_path, store):
    text = "inviter_id,invitee_id,referred_at\na,b,1\nc,a,3\nb,c,2\n"
    with pytest.raises(InputError) as err:
        load_files({Entity.REFERRALS: write(tmp_path, "referrals.csv", text)}, store)
    assert "referrals.csv:3: invitee_id: referral 'c' → 'a' closes a cycle: a → b → c → a" in str(
        err.value
    )
    assert store.counts() == EMPTY


def test_referral_cycle_closed_against_store_is_rejected(tmp_path, store):
    header = "inviter_id,invitee_id,referred_at\n"
    load_files({Entity.REFERRALS: write(tmp_path, "r1.csv", header + "a,b,1\nb,c,2\n")}, store)
    path = write(tmp_path, "r2.csv", header + "c,a,3\nc,d,3\n")
    report = load_files({Entity.REFERRALS: path}, store, on_error="skip")
    assert referrals_of(store) == {"b": "a", "c": "b", "d": "c"}
    assert report["referrals"].rejected == 1
    assert "r2.csv,2,invitee_id,referral 'c' → 'a' closes a cycle" in report.rejects.read_text(
        encoding="utf-8-sig"
    )


def test_load_stream(store):
    body = io.BytesIO(to_jsonl(INTERACTIONS).encode())
    report = load_stream(Entity.INTERACTIONS, body, store, name="upload", fmt="jsonl")
    assert store.counts()["interaction_events"] == 3
    assert report["interactions"].source == "upload"
    bad = b"src_id,dst_id,kind\nu1,u2,like\nu1,u2,poke\n"
    with pytest.raises(InputError, match="upload:3: kind: unknown"):
        load_stream(Entity.INTERACTIONS, bad, store, name="upload", fmt="csv")
    skipped = load_stream(
        Entity.INTERACTIONS, bad, store, name="upload", fmt="csv", on_error="skip"
    )
    assert (skipped.rejected, skipped.rejects) == (1, None)
    assert skipped.problems == ["upload:3: kind: " + skipped.problems[0].split("kind: ", 1)[1]]


def test_progress_adds_up_to_file_sizes(tmp_path, store):
    files = write_all(tmp_path, INPUTS)
    seen: list[int] = []
    load_files(files, store, on_bytes=seen.append)
    assert sum(seen) == sum(p.stat().st_size for p in files.values())
    assert all(n > 0 for n in seen)


def test_failing_progress_callback_stops_the_load(tmp_path, store, monkeypatch):
    monkeypatch.setattr("graphsvc.ingest.load.BATCH_ROWS", 10)
    rows = "".join(f"u{i},v{i},like\n" for i in range(2000))
    path = write(tmp_path, "interactions.csv", "src_id,dst_id,kind\n" + rows)
    calls = []

    def abort(n: int) -> None:
        calls.append(n)
        if len(calls) > 1:  # the first call is pass 1's
            raise KeyboardInterrupt

    threads = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        load_files({Entity.INTERACTIONS: path}, store, on_bytes=abort)
    assert threading.active_count() == threads
    assert store.counts()["interaction_events"] < 2000


def test_batches_and_repeats_in_a_larger_file(tmp_path, store, monkeypatch):
    monkeypatch.setattr("graphsvc.ingest.load.BATCH_ROWS", 1000)
    rnd = random.Random(3)
    rows = [
        f"u{rnd.randrange(50)},v{rnd.randrange(50)},like,{rnd.randrange(20)}" for _ in range(5000)
    ]
    path = write(tmp_path, "interactions.csv", "src_id,dst_id,kind,occurred_at\n" + "\n".join(rows))
    report = load_files({Entity.INTERACTIONS: path}, store)
    assert report["interactions"].written == store.counts()["interaction_events"] == 5000
    assert report.users_created == 100
    assert load_files({Entity.INTERACTIONS: path}, store)["interactions"].written == 0


def test_discover(tmp_path):
    write(tmp_path, "users.csv", USERS)
    write(tmp_path, "interactions.ndjson", "")
    write(tmp_path, "notes.txt", "")
    assert discover(tmp_path) == {
        Entity.USERS: tmp_path / "users.csv",
        Entity.INTERACTIONS: tmp_path / "interactions.ndjson",
    }
    write(tmp_path, "users.jsonl", "")
    with pytest.raises(InputError, match=r"users.csv and users.jsonl; keep one"):
        discover(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no input files"):
        discover(empty)


def test_unknown_file_type(tmp_path, store):
    with pytest.raises(InputError, match=r"unknown file type '.xlsx'"):
        load_files({Entity.USERS: write(tmp_path, "users.xlsx", "")}, store)
