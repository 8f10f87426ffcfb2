"""The columnar load path on the real embedded store: Parquet input, chunk boundaries, the
vectorized checks against the row reader, repeats, overlapping exports, a killed load, and
stores written before events were keyed by value."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graphsvc.errors import InputError
from graphsvc.ingest import chunks, load_files
from graphsvc.ingest import load as load_module
from graphsvc.model import Entity, EventColumns, InteractionKind, event_key
from graphsvc.model.records import event_keys
from graphsvc.store.sqlite import SqliteStore
from tests.ingest.test_load import interaction_edges

HEADER = "src_id,dst_id,kind,occurred_at,weight\n"
KINDS = ("like", "reply", "share", "message")


def events_csv(n: int, start: int = 0) -> str:
    """``n`` distinct events (rows ``start`` … ``start + n - 1`` of one endless export)."""
    rows = (
        f"u{i % 97},u{(i * 7 + 1) % 89 + 100},{KINDS[i % 4]},{1_700_000_000 + i * 3600},"
        f"{'' if i % 3 else 1.5}\n"
        for i in range(start, start + n)
    )
    return HEADER + "".join(rows)


def load(path: Path, db: Path, **options) -> tuple[dict, dict]:
    with SqliteStore(db) as store:
        store.init_schema()
        report = load_files({Entity.INTERACTIONS: path}, store, **options)
        return report.as_dict(), {
            "edges": interaction_edges(store),
            "events": store.counts()["interaction_events"],
        }


def test_parquet_input_loads_like_the_same_csv(tmp_path):
    text = events_csv(500)
    csv_path = tmp_path / "interactions.csv"
    csv_path.write_text(text)
    rows = [line.split(",") for line in text.splitlines()[1:]]
    table = pa.table(
        {
            "src_id": [r[0] for r in rows],
            "dst_id": [r[1] for r in rows],
            "kind": pa.array([r[2] for r in rows]).dictionary_encode(),
            "occurred_at": pa.array([int(r[3]) * 1000 for r in rows], pa.timestamp("ms", "UTC")),
            "weight": [float(r[4]) if r[4] else None for r in rows],
        }
    )
    parquet_path = tmp_path / "interactions.parquet"
    pq.write_table(table, parquet_path, row_group_size=64)
    _, from_csv = load(csv_path, tmp_path / "a.db")
    report, from_parquet = load(parquet_path, tmp_path / "b.db")
    assert from_parquet == from_csv
    assert from_csv["events"] == 500
    assert report["inputs"][0]["format"] == "parquet"


def test_parquet_bad_rows_name_the_row_and_field(tmp_path):
    table = pa.table(
        {
            "src_id": ["a", "b", "c"],
            "dst_id": ["b", "b", "a"],
            "kind": ["like", "like", "wave"],
            "occurred_at": [1, 2, 3],
        }
    )
    path = tmp_path / "interactions.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError) as caught:
        load(path, tmp_path / "x.db")
    message = str(caught.value)
    assert f"{path}:2: dst_id: self-loop" in message
    assert f"{path}:3: kind: unknown interaction kind 'wave'" in message
    assert "nothing was written" in message


def test_parquet_rejects_keep_a_value_with_a_line_break_whole(tmp_path):
    path = tmp_path / "interactions.parquet"
    pq.write_table(
        pa.table({"src_id": ["a", "b"], "dst_id": ["b", "a"], "kind": ["li\nke", "like"]}), path
    )
    rejects = tmp_path / "rejects.csv"
    _, got = load(path, tmp_path / "x.db", on_error="skip", rejects=rejects)
    assert got["events"] == 1
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["line"], row["field"], row["raw"]) == ("1", "kind", 'a,b,"li\nke"')


def test_parquet_missing_column_and_nested_types_are_refused(tmp_path):
    path = tmp_path / "interactions.parquet"
    pq.write_table(pa.table({"src_id": ["a"], "kind": ["like"]}), path)
    with pytest.raises(InputError, match="missing required column dst_id"):
        load(path, tmp_path / "x.db")
    pq.write_table(pa.table({"src_id": ["a"], "dst_id": ["b"], "kind": [["like"]]}), path)
    with pytest.raises(InputError, match="column kind holds list"):
        load(path, tmp_path / "x.db")


def test_a_bad_row_ending_a_chunk_is_named_and_the_rest_loads(tmp_path, monkeypatch):
    good = events_csv(40)
    lines = good.splitlines(keepends=True)
    bad = "u1,u1,like,1700000000,\n"  # a self-loop
    text = "".join([*lines[:21], bad, *lines[21:]])  # line 22 is bad
    monkeypatch.setattr(chunks, "CHUNK_BYTES", len("".join(lines[:21]) + bad))
    path = tmp_path / "interactions.csv"
    path.write_text(text)
    report, got = load(path, tmp_path / "x.db", on_error="skip", rejects=tmp_path / "r.csv")
    assert report["problems"] == [f"{path}:22: dst_id: self-loop: src_id and dst_id are both 'u1'"]
    assert got["events"] == 40
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 1 << 20)
    _, whole = load(tmp_path / "interactions.csv", tmp_path / "y.db", on_error="skip")
    assert whole == got
    assert "u1,u1,like,1700000000," in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")


def test_ids_seen_in_many_chunks_and_row_by_row_are_one_user_each(tmp_path, monkeypatch):
    """Every chunk numbers its ids on its own and the load numbers them once: an id in many
    chunks, in a row the row parser reads (padded) and in chats is one user, one group."""
    rows = [f"u{i % 7},v{i % 5},like,{1_700_000_000 + i},,g{i % 3}\n" for i in range(60)]
    rows[30] = " u1 ,v9,reply,1700000500,,g2\n"  # padded: read by the row parser
    rows[50] = rows[2]  # a genuine repeat, chunks apart: counts only if its ids number alike
    text = HEADER.replace("weight", "weight,group_id") + "".join(rows)
    path = tmp_path / "interactions.csv"
    path.write_text(text)
    stores = {}
    for name, size in (("small", len(rows[0]) * 7), ("whole", 1 << 20)):
        monkeypatch.setattr(chunks, "CHUNK_BYTES", size)
        with SqliteStore(tmp_path / f"{name}.db") as store:
            store.init_schema()
            report = load_files({Entity.INTERACTIONS: path}, store)
            users, groups = store.users(), store.groups()
            stores[name] = (
                sorted(users.user_id),
                sorted(groups.group_id),
                interaction_edges(store),
                report.users_created,
                store.counts()["interaction_events"],
            )
    small, whole = stores["small"], stores["whole"]
    assert small == whole
    assert small[0] == sorted({f"u{i}" for i in range(7)} | {f"v{i}" for i in (*range(5), 9)})
    assert small[1] == ["g0", "g1", "g2"]
    assert small[3:] == (13, 60)
    assert ("u1", "v9") in small[2]


def test_a_gbk_character_split_by_a_read_is_read_whole(tmp_path, monkeypatch):
    rows = [f"用户{i},群主{i % 3},like,{1_700_000_000 + i},\n" for i in range(30)]
    data = (HEADER + "".join(rows)).encode("gbk")
    second = data.index("用户1,".encode("gbk"))
    monkeypatch.setattr(chunks, "CHUNK_BYTES", second + 1)  # ends inside 用
    path = tmp_path / "interactions.csv"
    path.write_bytes(data)
    report, got = load(path, tmp_path / "x.db")
    assert report["inputs"][0]["encoding"] == "gbk"
    assert got["events"] == 30
    assert ("用户1", "群主1") in got["edges"]


def test_the_vectorized_checks_say_what_the_row_reader_says(tmp_path):
    """The same rows, once plain (read as columns) and once quoted (read row by row): the
    same problems, the same rejects, the same store."""
    bad_rows = [
        ",u2,like,1,",
        "u1, ,like,1,",
        "u3,u3,reply,2,",
        "u1,u2,wave,3,",
        "u1,u2, Like ,4,",  # valid: the kind is trimmed and lower-cased
        "u1,u2,like,2024-02-30T00:00:00Z,",
        "u1,u2,like,2024-05-01T20:00:00+08:00,",
        "u1,u2,like,2024-05-01 20:00:00,",  # valid, read row by row
        "u1,u2,like,1700000000.7,",
        "u1,u2,like,99999999999999,",
        "u1,u2,like,5,-1",
        "u1,u2,like,5,1e3",
        "u1,u2,like,5,abc",
        " u4 ,u5,like,6,",
        "u1,u2,like,5",
    ]
    plain = HEADER + "\n".join(bad_rows) + "\n" + events_csv(20).split("\n", 1)[1]
    quoted = plain + '"u7","u8",like,9,\n'
    results = []
    for name, text in (("plain", plain), ("quoted", quoted)):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "interactions.csv"
        path.write_text(text)
        report, got = load(path, folder / "x.db", on_error="skip", rejects=folder / "r.csv")
        problems = [p.replace(str(path), "F") for p in report["problems"]]
        rejects = (folder / "r.csv").read_text(encoding="utf-8-sig").replace(str(path), "F")
        results.append((problems, rejects, got))
    (plain_problems, plain_rejects, plain_got), (quoted_problems, quoted_rejects, quoted_got) = (
        results
    )
    assert plain_problems == quoted_problems
    assert plain_rejects == quoted_rejects
    assert len(plain_problems) == 9  # 1e3 and 1700000000.7 are valid, read row by row
    assert "F:16: expected 5 fields as in the header, found 4" in plain_problems
    assert quoted_got["events"] == plain_got["events"] + 1
    assert ("u4", "u5") in plain_got["edges"]


def test_genuine_repeats_count_and_overlapping_exports_add_only_their_new_events(tmp_path):
    first = events_csv(600)
    repeated = first + first.splitlines(keepends=True)[5]  # one event twice in one file
    a = tmp_path / "a" / "interactions.csv"
    b = tmp_path / "b" / "interactions.csv"
    for path, text in ((a, repeated), (b, events_csv(600, start=400))):
        path.parent.mkdir()
        path.write_text(text)
    db = tmp_path / "x.db"
    report, got = load(a, db)
    assert (report["inputs"][0]["written"], got["events"]) == (601, 601)
    report, got = load(a, db)
    assert (report["inputs"][0]["written"], got["events"]) == (0, 601)
    report, got = load(b, db)
    assert (report["inputs"][0]["written"], got["events"]) == (400, 1001)
    clean = tmp_path / "clean" / "interactions.csv"
    clean.parent.mkdir()
    clean.write_text(repeated + events_csv(400, start=600).split("\n", 1)[1])
    assert load(clean, tmp_path / "y.db")[1] == got


def test_a_killed_load_then_a_reload_equals_a_clean_load(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(
        [sys.executable, "-m", "graphsvc.cli", "generate", "--users", "3000", "--out", str(data)],
        check=True,
        capture_output=True,
    )
    db = tmp_path / "killed.db"
    command = [
        sys.executable,
        "-m",
        "graphsvc.cli",
        "--store",
        f"sqlite:///{db}",
        "load",
        str(data),
    ]
    loader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and loader.poll() is None:
        if db.exists() and _users(db) > 0:  # writing has begun
            break
        time.sleep(0.01)
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait()
    subprocess.run(command, check=True, capture_output=True)
    clean = tmp_path / "clean.db"
    subprocess.run(
        [sys.executable, "-m", "graphsvc.cli", "--store", f"sqlite:///{clean}", "load", str(data)],
        check=True,
        capture_output=True,
    )
    with SqliteStore(db) as killed, SqliteStore(clean) as fresh:
        assert killed.counts() == fresh.counts()
        assert interaction_edges(killed) == interaction_edges(fresh)


def _users(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            return conn.execute("SELECT count(*) FROM users").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_store_with_hashed_event_keys_is_rekeyed_and_reloads_add_nothing(tmp_path):
    """Files written before events were keyed by value: their events keep their counts and
    a re-load of the same input adds nothing."""
    db = tmp_path / "old.db"
    text = events_csv(50) + events_csv(50).splitlines(keepends=True)[3]  # a genuine repeat
    with sqlite3.connect(db) as conn:
        conn.executescript(
            """CREATE TABLE users (uid INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE,
                   name TEXT, joined_at INTEGER, attributes TEXT);
               CREATE TABLE interaction_events (at INTEGER NOT NULL, key INTEGER NOT NULL,
                   src INTEGER NOT NULL, dst INTEGER NOT NULL, kind INTEGER NOT NULL,
                   weight REAL NOT NULL, PRIMARY KEY (at, key)) WITHOUT ROWID;"""
        )
        uid: dict[str, int] = {}
        seen: dict[tuple, int] = {}
        for line in text.splitlines()[1:]:
            src, dst, kind, at, weight = line.split(",")
            for user in (src, dst):
                if user not in uid:
                    uid[user] = len(uid) + 1
                    conn.execute(
                        "INSERT INTO users (uid, user_id) VALUES (?, ?)", (uid[user], user)
                    )
            event = (src, dst, kind, int(at))
            ordinal = seen[event] = seen.get(event, -1) + 1
            conn.execute(
                "INSERT INTO interaction_events VALUES (?, ?, ?, ?, ?, ?)",
                (
                    int(at),
                    event_key(*event, ordinal),
                    uid[src],
                    uid[dst],
                    InteractionKind(kind).code,
                    float(weight or 1),
                ),
            )
    path = tmp_path / "interactions.csv"
    path.write_text(text)
    report, got = load(path, db)
    assert report["inputs"][0]["written"] == 0
    assert got["events"] == 51
    assert got == load(path, tmp_path / "fresh.db")[1]


PEOPLE = [
    "u1,Alice,2024-01-01,上海",
    ",Nobody,2024-01-01,",  # empty id
    "u2, Bob ,1700000000,",  # valid: the name is trimmed, read row by row
    "u3,Carol,2024-13-01,北京",  # bad month
    "u4,,,",
    "u5,Eve,2024-02-30T00:00:00Z,",  # not a day of the calendar
    "u6,Mallory,1700000000",  # a field short
]
MEMBERS = [
    "u1,g1,2024-01-01,owner",
    "u2,g1,,",
    "u3,g1,,Admin",  # valid: the role is lower-cased, read row by row
    "u4,g1,,boss",
    ",g1,,member",
    "u5,g1,yesterday,member",
]


INVITES = [
    "a,b,2024-01-01,spring",
    "c,c,,",  # self-referral
    "a,d,2024-13-01,",  # bad month
    ",e,,",  # empty inviter
    "f, g ,1700000000,",  # valid: the id is trimmed, read row by row
    "h,i,, summer ",  # valid: the campaign is trimmed
]
STAYS = [
    "u1,g1,2024-01-01,owner,",
    "u2,g1,2024-01-05,,2024-03-01T08:00:00Z",
    "u3,g1,2024-02-01,,2024-01-31",  # left before joining
    "u4,g1,,,2024-02-30",  # not a day of the calendar
    "u5,g1,1700000000,,1700000000",  # valid: left the moment it joined
]


@pytest.mark.parametrize(
    ("entity", "header", "rows", "quoted_row", "n_problems"),
    [
        (Entity.USERS, "user_id,name,joined_at,city\n", PEOPLE, '"u9",,,\n', 4),
        (Entity.MEMBERSHIPS, "user_id,group_id,joined_at,role\n", MEMBERS, '"u9",g1,,\n', 3),
        (
            Entity.REFERRALS,
            "inviter_id,invitee_id,referred_at,campaign\n",
            INVITES,
            '"u9",z,,\n',
            3,
        ),
        (
            Entity.MEMBERSHIPS,
            "user_id,group_id,joined_at,role,left_at\n",
            STAYS,
            '"u9",g1,,,\n',
            2,
        ),
    ],
)
def test_users_memberships_and_referrals_read_as_columns_say_what_the_row_reader_says(
    tmp_path, entity, header, rows, quoted_row, n_problems
):
    """The same rows once plain (read as columns) and once with a quoted row after them
    (read row by row): the same problems, rejects and stored records."""
    results = []
    for name, extra in (("plain", ""), ("quoted", quoted_row)):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / f"{entity}.csv"
        path.write_text(header + "\n".join(rows) + "\n" + extra)
        with SqliteStore(folder / "x.db") as store:
            store.init_schema()
            report = load_files(
                {entity: path}, store, on_error="skip", rejects=folder / "r.csv"
            ).as_dict()
            stored = sorted(map(repr, store.records(entity)))
        problems = [p.replace(str(path), "F") for p in report["problems"]]
        rejects = (folder / "r.csv").read_text(encoding="utf-8-sig").replace(str(path), "F")
        results.append((problems, rejects, stored))
    (plain, plain_rejects, plain_stored), (quoted, quoted_rejects, quoted_stored) = results
    assert plain == quoted
    assert plain_rejects == quoted_rejects
    assert set(plain_stored) <= set(quoted_stored)
    assert len(quoted_stored) == len(plain_stored) + 1
    assert len(plain) == n_problems


def test_the_chat_an_event_names_is_read_alike_as_columns_and_row_by_row(tmp_path):
    rows = [
        "src_id,dst_id,kind,occurred_at,weight,group_id",
        "u1,u2,like,1700000000,,g1",
        "u1,u2,like,1700000000,,g2",  # another event: a repeat, in another chat
        "u2,u3,reply,1700090000,,",
        "u3,u1,reply,1700090000,, g3 ",  # padded: trimmed by the row parser
    ]
    days = []
    for name, extra in (("plain", ""), ("quoted", '"u8","u9",like,1700000000,,g1\n')):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "interactions.csv"
        path.write_text("\n".join(rows) + "\n" + extra)
        with SqliteStore(folder / "x.db") as store:
            store.init_schema()
            report = load_files({Entity.INTERACTIONS: path}, store).as_dict()
            groups = store.groups()
            names = dict(zip(groups.gid.tolist(), groups.group_id, strict=True))
            users = dict(zip(store.users().uid.tolist(), store.users().user_id, strict=True))
            found = []
            for b in store.interaction_days():
                columns = (b.src, b.dst, b.props["day"], b.props["gid"])
                for s, d, day, g in zip(*(c.tolist() for c in columns), strict=True):
                    found.append((users[s], users[d], day, names.get(g, "")))
            days.append(sorted(found))
        assert report["groups_created"] == 3
    plain, quoted = days
    assert plain == [
        ("u1", "u2", 19675, "g1"),
        ("u1", "u2", 19675, "g2"),
        ("u2", "u3", 19676, ""),
        ("u3", "u1", 19676, "g3"),
    ]
    assert quoted == sorted([*plain, ("u8", "u9", 19675, "g1")])


def test_parquet_memberships_carry_their_leave_time(tmp_path):
    table = pa.table(
        {
            "user_id": ["u1", "u2"],
            "group_id": ["g1", "g1"],
            "joined_at": pa.array([1_700_000_000_000, None], pa.timestamp("ms", "UTC")),
            "left_at": pa.array([1_700_086_400_000, None], pa.timestamp("ms", "UTC")),
        }
    )
    path = tmp_path / "memberships.parquet"
    pq.write_table(table, path)
    with SqliteStore(tmp_path / "x.db") as store:
        store.init_schema()
        load_files({Entity.MEMBERSHIPS: path}, store)
        stays = {(m.user_id, m.joined_at, m.left_at) for m in store.records(Entity.MEMBERSHIPS)}
    assert stays == {("u1", 1_700_000_000, 1_700_086_400), ("u2", None, None)}


def test_event_fingerprints_in_bulk_equal_the_one_by_one_key():
    rng = np.random.default_rng(3)
    ids = np.array(["a", "b", "用户一", "u\u00e9", "x y", "y,z"], dtype=object)
    n = 5000
    columns = EventColumns(
        ids,
        rng.integers(0, 6, n).astype(np.int32),
        rng.integers(0, 6, n).astype(np.int32),
        rng.integers(0, len(InteractionKind), n).astype(np.int8),
        rng.integers(-(10**9), 2 * 10**9, n),
        rng.random(n) < 0.8,  # the others undated
        np.ones(n),
        rng.integers(0, 3, n).astype(np.int32),
    )
    kinds = list(InteractionKind)
    one_by_one = [
        event_key(ids[s], ids[d], kinds[k], int(at) if dated else None, int(seq))
        for s, d, k, at, dated, seq in zip(
            columns.src, columns.dst, columns.kind, columns.at, columns.dated, columns.seq,
            strict=True,
        )
    ]  # fmt: skip
    assert event_keys(columns).tolist() == one_by_one


def test_a_users_file_read_as_columns_is_written_batch_rows_at_a_time(tmp_path, monkeypatch):
    """One chunk of columns is not one transaction: a 32 MB chunk holds ~700k users, more than
    a Neo4j server's transaction memory allows."""
    monkeypatch.setattr(load_module, "BATCH_ROWS", 4)
    path = tmp_path / "users.csv"
    path.write_text("user_id,name\n" + "".join(f"u{i},n{i}\n" for i in range(10)))

    class Recording(SqliteStore):
        def upsert_users(self, rows):
            sizes.append(len(rows))
            return super().upsert_users(rows)

    sizes: list[int] = []
    with Recording(tmp_path / "s.db") as store:
        store.init_schema()
        report = load_files({Entity.USERS: path}, store)
        assert store.counts()["users"] == 10
    assert sizes == [4, 4, 2]
    assert report.as_dict()["inputs"][0]["written"] == 10
