"""The Neo4j store: the property graph of DESIGN §3 in a Neo4j 5 server, over Bolt.

Layout (see ``cypher/schema.cypher``):

- ``(:User {user_id, uid, name, joined_at, attr_<name>...})``; ``uid`` is a compact integer
  handed out by ``(:Sequence {name: 'user'})`` so edges read back as integer columns.
- ``(:Group {group_id, gid, name, owner_id, created_at})``.
- ``(:User)-[:MEMBER_OF {joined_at, role}]->(:Group)``.
- ``(:User)-[:REFERRED {referred_at, campaign}]->(:User)``: at most one per invitee, the
  earliest ``(referred_at, inviter user_id)`` wins whatever the load order.
- ``(:User)-[:INTERACTED {kind, count, weight, first_at, last_at, event_keys}]->(:User)``: one
  per (src, dst, kind); ``kind`` is the InteractionKind code (0..6). ``event_keys`` holds the
  63-bit keys of the events aggregated into it (8 bytes each in the array store), so adding a
  known event again changes nothing.

Every write call is one transaction of parameterized ``UNWIND`` statements (labels and types are
constants, never built from input), run through ``execute_write`` so transient errors
(deadlocks, leader switches) are retried.

Analysis runs are written under their ``run_id``: ``(:AnalysisRun {complete: false})``, then
``(:UserResult)``, ``(:Community)`` with ``IN_COMMUNITY`` / ``LED_BY`` relationships and
``(:GroupResult)`` nodes in batches, and finally one small transaction marks the run complete
and current. Readers only ever look at complete runs (queries in ``cypher/queries`` start from
``(:AnalysisRun {current: true})``), so they see the previous run until the switch, and a run
that fails midway is invisible; its leftovers are removed by the next successful run.
Result values are not copied onto ``:User``: that would make the switch O(users) and let
readers of ``u.influence`` see a half-copied run; queries join ``(:UserResult {run_id})``.

Interactions: writers take the event counter's lock first, so they run one at a time; each
transaction looks its users' internal node ids up once (endpoints are then matched by id, a
NodeByIdSeek, not by the user_id index at every row), then per chunk of WRITE_CHUNK
relationships reads those it touches (skipped while there are none) with their event keys,
compares key sets in Python (a bot sending one user 100k messages stays linear), CREATEs the
missing relationships and SETs the others, every statement on whole parameter columns.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import neo4j
import numpy as np
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConstraintError,
    ServiceUnavailable,
    SessionExpired,
)

from graphsvc.config import Settings
from graphsvc.errors import ConfigError, ConflictError, NotFoundError, StoreError, shown
from graphsvc.model import (
    RENAMED_TIERS,
    USER_RESULT_COLUMNS,
    CommunityResult,
    EdgeBatch,
    EdgeKind,
    Entity,
    Group,
    GroupResult,
    GroupTable,
    Interaction,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    RunInfo,
    RunResult,
    SeedSet,
    User,
    UserTable,
    event_day,
)
from graphsvc.store.base import (
    COMMUNITY_SORTS,
    DEFAULT_BATCH_SIZE,
    USER_SORTS,
    CommunityQuery,
    UserQuery,
    edge_props,
    renamed_run_json,
    result_column,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "Neo4jStore",
    "cypher_dir",
    "neo4j_login",
    "open_neo4j",
    "schema_statements",
]

DEFAULT_PASSWORD = "graphsvc-dev"  # the dev default of scripts/neo4j
ATTR_PREFIX = "attr_"  # extra user columns become properties attr_<column>
_NEVER = 2**62  # an unknown referral time sorts after every known one
_NO_LIMIT = 2**62
RESULT_BATCH = 20_000  # rows per transaction when writing a run
EXTRACT_TARGET = 100_000  # edges per extraction query (one id range)
EXTRACT_SPREAD = 4  # read by relationship id while a type spans at most this many ids per edge
WRITE_CHUNK = 50_000  # interaction relationships per statement, at most
EXTRACT_WORKERS = 3  # extraction queries in flight: the server works while the client decodes
CONNECT_TIMEOUT = Settings.connect_timeout  # seconds to connect and shake hands

T = TypeVar("T")

_ROLE_CODES = {r.value: r.code for r in MemberRole}
_ROLES = list(MemberRole)


def cypher_dir() -> Path:
    """The ``cypher/`` folder: $GRAPHSVC_CYPHER_DIR, else the one beside the package."""
    configured = os.environ.get("GRAPHSVC_CYPHER_DIR")
    path = Path(configured) if configured else Path(__file__).resolve().parents[2] / "cypher"
    if not (path / "schema.cypher").is_file():
        raise ConfigError(
            f"cannot find schema.cypher in {path}; set GRAPHSVC_CYPHER_DIR to the repository's "
            "cypher/ folder"
        )
    return path


def schema_statements(text: str | None = None) -> list[str]:
    """The statements of ``schema.cypher``: ``//`` comments dropped, split at a ``;`` that
    ends a line."""
    if text is None:
        text = (cypher_dir() / "schema.cypher").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]


def neo4j_login(uri: str) -> tuple[str, str, str, str]:
    """The URI without credentials, user, password and database for ``bolt://`` /
    ``neo4j://`` (``+s``, ``+ssc``) URIs.

    Credentials come from the URI's userinfo (``bolt://user:secret@host:7687``) or from
    NEO4J_USER (default ``neo4j``) and NEO4J_PASSWORD (default: the dev password of
    ``scripts/neo4j``); the database from NEO4J_DATABASE (default ``neo4j``).
    """
    parts = urlsplit(uri)
    user = unquote(parts.username) if parts.username else os.environ.get("NEO4J_USER", "neo4j")
    password = (
        unquote(parts.password)
        if parts.password is not None
        else os.environ.get("NEO4J_PASSWORD", DEFAULT_PASSWORD)
    )
    host = parts.hostname or "127.0.0.1"
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError as e:  # e.g. "Port out of range 0-65535"
        raise ConfigError(f"Neo4j store on {host}: {e}; write bolt://host:port") from e
    if port:
        netloc += f":{port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return clean, user, password, os.environ.get("NEO4J_DATABASE", "neo4j")


def open_neo4j(uri: str, **options: Any) -> Neo4jStore:
    """A Neo4jStore for ``uri``, logged in as ``neo4j_login`` says; ``options`` go to
    Neo4jStore (``connect_timeout``, …)."""
    return Neo4jStore(*neo4j_login(uri), **options)


def _plain(value: Any) -> Any:
    """A value the driver can send: numpy scalars to Python, NaN to None (no property)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class Neo4jStore:
    """GraphStore on a Neo4j 5 server.

    ``keep_runs`` complete runs are kept (at least 2: the current one and the one before).
    Transient failures (deadlocks, a server restarting) are retried for ``retry_seconds``.
    ``extract_workers`` id ranges are read at a time by ``edge_batches``. Connecting (TCP
    and the Bolt handshake) gives up after ``connect_timeout`` seconds.
    """

    def __init__(
        self,
        uri: str,
        user: str = "neo4j",
        password: str = DEFAULT_PASSWORD,
        database: str = "neo4j",
        *,
        keep_runs: int = 5,
        retry_seconds: float = 15.0,
        extract_workers: int = EXTRACT_WORKERS,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.uri = uri
        self.database = database
        self.keep_runs = max(2, keep_runs)
        self.extract_workers = max(1, extract_workers)
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                notifications_min_severity="OFF",
                max_connection_lifetime=3600,
                max_transaction_retry_time=retry_seconds,
                connection_timeout=connect_timeout,
                # The Bolt handshake counts against acquisition: a port that speaks HTTP
                # would otherwise hold the caller for the default 60 s.
                connection_acquisition_timeout=connect_timeout,
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as e:
            raise ConfigError(f"Neo4j store {uri!r}: {e}") from e

    # -- plumbing -------------------------------------------------------------------------

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._driver.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver errors as graphsvc errors, with what to do about them."""
        try:
            yield
        except AuthError as e:
            raise StoreError(
                f"Neo4j at {self.uri} refused the credentials: set NEO4J_USER / NEO4J_PASSWORD "
                f"({e.message})"
            ) from e
        except (ServiceUnavailable, SessionExpired) as e:
            reason = " ".join(str(e).split())  # the driver's message spans lines
            raise StoreError(
                f"Neo4j at {self.uri} is unreachable ({reason}); start a local one with "
                "`scripts/neo4j start`"
            ) from e
        except ConstraintError as e:
            raise ConflictError(f"Neo4j refused a write: {e.message}") from e
        except ClientError as e:
            if e.code == "Neo.ClientError.Database.DatabaseNotFound":
                raise ConfigError(
                    f"Neo4j at {self.uri} has no database {self.database!r}: set NEO4J_DATABASE "
                    "(default neo4j)"
                ) from e
            if e.code == "Neo.ClientError.Security.AuthenticationRateLimit":
                raise StoreError(
                    f"Neo4j at {self.uri} refuses logins for a while after too many wrong "
                    "passwords: wait, then retry with the right NEO4J_USER / NEO4J_PASSWORD"
                ) from e
            raise

    def _session(self, **kwargs: Any) -> neo4j.Session:
        return self._driver.session(database=self.database, **kwargs)

    def _write(self, work: Callable[..., T], *args: Any) -> T:
        """``work(tx, *args)`` in a write transaction."""
        with self._errors(), self._session() as session:
            return session.execute_write(work, *args)

    def _read(self, work: Callable[..., T], *args: Any) -> T:
        with self._errors(), self._session() as session:
            return session.execute_read(work, *args)

    def _rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """All rows of a read query, as dicts."""

        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            result = tx.run(query, params)
            keys = result.keys()
            # dict(zip()) keeps values as decoded; Record.data() would walk every list element.
            return [dict(zip(keys, r.values(), strict=True)) for r in result]

        return self._read(work)

    def _fetch(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """All rows of a short read query in an auto-commit transaction: one round trip where
        a managed one takes two (BEGIN + RUN, COMMIT), but no retry. For the API's reads,
        whose clients can retry."""
        with self._errors(), self._session(default_access_mode=neo4j.READ_ACCESS) as session:
            result = session.run(query, params)
            keys = result.keys()
            return [dict(zip(keys, r.values(), strict=True)) for r in result]

    def _value(self, query: str, **params: Any) -> Any:
        def work(tx: neo4j.ManagedTransaction) -> Any:
            record = tx.run(query, params).single()
            return None if record is None else record[0]

        return self._read(work)

    def _autocommit(self, query: str, **params: Any) -> None:
        """A statement that manages its own transactions (schema, CALL … IN TRANSACTIONS)."""
        with self._errors(), self._session() as session:
            session.run(query, params).consume()

    def verify(self) -> None:
        """Raise StoreError unless the server answers with these credentials."""
        self._value("RETURN 1")

    # -- schema ---------------------------------------------------------------------------

    def init_schema(self) -> None:
        for statement in schema_statements():
            self._autocommit(statement)
        self._autocommit("CALL db.awaitIndexes(300)")

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

        self._write(seed)
        self._rename_tiers()

    def _rename_tiers(self) -> None:
        """Once per database: runs stored under old tier and setting names get the new ones
        (``base.RENAMED_TIERS``), so they read, filter and compare like new runs."""
        if self._value("MATCH (c:Counter {name: 'tiers_renamed'}) RETURN count(c)"):
            return
        for old, new in RENAMED_TIERS.items():
            self._autocommit(
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

        self._write(rename_runs)

    # -- writes ---------------------------------------------------------------------------

    def check_writable(self) -> None:
        """Nothing to check ahead: the server decides per transaction."""

    @contextmanager
    def load_lock(self) -> Iterator[None]:
        """A transaction of its own holding the write lock of ``(:Lock {name: 'loads'})``
        until the load is done, then rolled back (it changes nothing); the server releases
        it if the process dies."""
        with self._session() as session:
            with self._errors():
                tx = session.begin_transaction()
                locked = tx.run(_TAKE_LOAD_LOCK).single()
            try:
                if locked is None:
                    raise StoreError("the Neo4j schema is not initialised: run `graphsvc db init`")
                yield
            finally:
                with suppress(Exception):  # the lock goes with the transaction either way
                    tx.close()

    @staticmethod
    def _ensure_tx(tx: neo4j.ManagedTransaction, label: str, ids: Sequence[str]) -> int:
        """Create bare nodes for ids not yet stored, with consecutive integer ids; the
        sequence node is locked first, so concurrent writers never hand out an id twice."""
        ids = list(dict.fromkeys(str(i) for i in ids))
        if not ids:
            return 0
        if label == "User":
            seq, find, create = "user", _FRESH_USERS, _CREATE_USERS
        else:
            seq, find, create = "group", _FRESH_GROUPS, _CREATE_GROUPS
        base = tx.run(_LOCK_SEQUENCE, name=seq).single()
        if base is None:
            raise StoreError("the Neo4j schema is not initialised: run `graphsvc db init`")
        fresh = tx.run(find, ids=ids).single()["fresh"]
        if fresh:
            tx.run(create, ids=fresh, base=base["next"]).consume()
        tx.run(_UNLOCK_SEQUENCE, name=seq, next=base["next"] + len(fresh)).consume()
        return len(fresh)

    def ensure_users(self, user_ids: Sequence[str]) -> int:
        return self._write(self._ensure_tx, "User", user_ids)

    def ensure_groups(self, group_ids: Sequence[str]) -> int:
        return self._write(self._ensure_tx, "Group", group_ids)

    def upsert_users(self, rows: Sequence[User]) -> int:
        merged: dict[str, dict[str, Any]] = {}
        for u in rows:  # later rows win field by field, as sequential upserts would
            row = merged.setdefault(str(u.user_id), {"id": str(u.user_id), "attrs": {}})
            if u.name is not None:
                row["name"] = u.name
            if u.joined_at is not None:
                row["joined_at"] = int(u.joined_at)
            row["attrs"].update({ATTR_PREFIX + str(k): str(v) for k, v in u.attributes.items()})
        params = [{"name": None, "joined_at": None, **r} for r in merged.values()]

        def work(tx: neo4j.ManagedTransaction) -> int:
            created = self._ensure_tx(tx, "User", list(merged))
            tx.run(_UPSERT_USERS, rows=params).consume()
            return created

        return self._write(work)

    def upsert_groups(self, rows: Sequence[Group]) -> int:
        merged: dict[str, dict[str, Any]] = {}
        for g in rows:
            row = merged.setdefault(str(g.group_id), {"id": str(g.group_id)})
            for name in ("name", "owner_id", "created_at"):
                value = getattr(g, name)
                if value is not None:
                    row[name] = value
        params = [
            {"name": None, "owner_id": None, "created_at": None, **r} for r in merged.values()
        ]
        owners = [r["owner_id"] for r in params if r["owner_id"] is not None]

        def work(tx: neo4j.ManagedTransaction) -> int:
            self._ensure_tx(tx, "User", owners)
            created = self._ensure_tx(tx, "Group", list(merged))
            tx.run(_UPSERT_GROUPS, rows=params).consume()
            return created

        return self._write(work)

    def upsert_memberships(self, rows: Sequence[Membership]) -> int:
        params = [
            {
                "user": str(m.user_id),
                "group": str(m.group_id),
                "joined_at": m.joined_at,
                "role": MemberRole(m.role).value,
            }
            for m in rows
        ]

        def work(tx: neo4j.ManagedTransaction) -> int:
            summary = tx.run(_UPSERT_MEMBERSHIPS, rows=params).consume()
            return summary.counters.relationships_created

        return self._write(work)

    def upsert_referrals(self, rows: Sequence[Referral]) -> int:
        best: dict[str, tuple[tuple[int, str], Referral]] = {}
        for r in rows:  # the batch's own winner per invitee, then one comparison in Cypher
            order = (_NEVER if r.referred_at is None else int(r.referred_at), str(r.inviter_id))
            if r.invitee_id not in best or order < best[r.invitee_id][0]:
                best[str(r.invitee_id)] = (order, r)
        params = [
            {
                "inviter": str(r.inviter_id),
                "invitee": str(r.invitee_id),
                "referred_at": r.referred_at,
                "order_at": order[0],
                "campaign": r.campaign,
            }
            for order, r in best.values()
        ]

        def work(tx: neo4j.ManagedTransaction) -> int:
            return tx.run(_UPSERT_REFERRALS, rows=params, never=_NEVER).single()["first"]

        return self._write(work)

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        """New events join their (src, dst, kind) relationship; see ``_add_interactions_tx``."""
        pending = _pending_interactions(rows)
        return self._write(self._add_interactions_tx, pending) if pending else 0

    @staticmethod
    def _add_interactions_tx(
        tx: neo4j.ManagedTransaction, pending: dict[tuple[str, str, int], list[_Event]]
    ) -> int:
        """Lock the event counter (interaction writers go one at a time, so what is read here
        stays true until commit), look the users up once, then write WRITE_CHUNK
        relationships per statement (see ``_add_chunk``)."""
        if tx.run(_LOCK_EVENTS).single() is None:
            raise StoreError("the Neo4j schema is not initialised: run `graphsvc db init`")
        nodes = _user_nodes(tx, {user for triple in pending for user in triple[:2]})
        stored = tx.run(_ANY_INTERACTION).single()["any"]
        triples = list(pending)
        added = sum(
            _add_chunk(tx, pending, triples[lo : lo + WRITE_CHUNK], nodes, stored)
            for lo in range(0, len(triples), WRITE_CHUNK)
        )
        tx.run(_COUNT_EVENTS, added=added).consume()
        return added

    # -- reads ----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        row = self._rows(_COUNTS)[0]
        return {k: int(v or 0) for k, v in row.items()}

    def users(self) -> UserTable:
        row = self._rows(
            "MATCH (u:User) WITH u ORDER BY u.uid RETURN collect(u.uid) AS uid, "
            "collect(u.user_id) AS user_id"
        )[0]
        return UserTable(np.asarray(row["uid"], dtype=np.int64), row["user_id"])

    def groups(self) -> GroupTable:
        row = self._rows(
            "MATCH (g:Group) WITH g ORDER BY g.gid "
            "OPTIONAL MATCH (o:User {user_id: g.owner_id}) "
            "RETURN collect(g.gid) AS gid, collect(g.group_id) AS group_id, "
            "collect(coalesce(o.uid, -1)) AS owner"
        )[0]
        return GroupTable(
            np.asarray(row["gid"], dtype=np.int64),
            row["group_id"],
            np.asarray(row["owner"], dtype=np.int64),
        )

    def edge_batches(
        self,
        kind: EdgeKind,
        batch_size: int = DEFAULT_BATCH_SIZE,
        columns: Sequence[str] | None = None,
    ) -> Iterator[EdgeBatch]:
        """Columnar batches of exactly ``batch_size`` edges (the last one shorter).

        The server answers one range per query with whole columns (``collect()``), sized to
        about EXTRACT_TARGET edges; rows never travel one by one. A range is one of
        relationship ids when the type's ids are dense enough (at most EXTRACT_SPREAD ids per
        relationship): each relationship is then read by id, in store order, so records and
        properties are read sequentially and no node's relationship chain is walked (half the
        server CPU of expanding from source users, or less). Sparser types are read by source
        uid range through the uid index. Both ends come back as internal node ids, read off
        the relationship without touching the nodes, and become uids/gids here through id
        lookup tables. Small integer columns travel packed in pairs (see _PACKED): fewer,
        longer lists to build, send and decode. ``extract_workers`` ranges are fetched at a
        time, on their own sessions, so the server works on several cores while the client
        decodes; batches come out in range order (no order within a range is promised).
        """
        kind = EdgeKind(kind)
        props = edge_props(kind, columns)
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        sizes = self._rows(_EXTRACT_SIZES[kind])[0]
        n_edges = int(sizes["edges"])
        if n_edges == 0:
            return
        by_id = sizes["last"] - sizes["first"] < EXTRACT_SPREAD * n_edges
        if by_id:
            lo, hi = int(sizes["first"]), int(sizes["last"]) + 1
        else:
            lo, hi = 0, int(sizes["top"] if sizes["top"] is not None else -1) + 1
        width = max(1, (hi - lo) * EXTRACT_TARGET // n_edges)
        names = ("src", "dst", *props)
        pairs = [p for p in _PACKED[kind] if p[0] in names and p[1] in names]
        query, labels = _extract_query(kind, names, pairs, by_id), ("User", _EXTRACT[kind][0])
        dtypes = {"src": np.int64, "dst": np.int64, **props}

        def fetch(lo: int) -> dict[str, np.ndarray]:
            row = self._rows(query, lo=lo, hi=lo + width, codes=_ROLE_CODES)[0]
            for high, low, bits in pairs:
                row[high], row[low] = _unpacked(row.pop(f"{high}_{low}"), bits)
            cols = {n: np.asarray(row[n], dtype=dtypes[n]) for n in names}
            if len({len(c) for c in cols.values()}) > 1:  # collect() leaves nulls out
                raise StoreError(
                    f"{kind} relationships without a value for one of {list(props)}; "
                    "set the missing values or read other columns"
                )
            return cols

        pending: list[dict[str, np.ndarray]] = []
        held = 0
        workers = self.extract_workers
        with ThreadPoolExecutor(workers, thread_name_prefix="neo4j-extract") as pool:
            tables: dict[str, Future[np.ndarray] | np.ndarray] = {
                label: pool.submit(self._node_keys, label) for label in dict.fromkeys(labels)
            }
            starts = iter(range(lo, hi, width))
            window = deque(pool.submit(fetch, lo) for lo in islice(starts, workers + 1))
            while window:
                cols = window.popleft().result()
                for lo in islice(starts, 1):
                    window.append(pool.submit(fetch, lo))
                if not len(cols["src"]):
                    continue
                for end, label in zip(("src", "dst"), labels, strict=True):
                    cols[end], tables[label] = self._keys_at(label, tables[label], cols[end])
                pending.append(cols)
                held += len(cols["src"])
                if held >= batch_size:
                    joined = _concat(pending, names)
                    full = held - held % batch_size
                    for at in range(0, full, batch_size):
                        yield _batch(joined, names, at, at + batch_size)
                    pending = [{n: joined[n][full:] for n in names}]
                    held -= full
        if held:
            yield _batch(_concat(pending, names), names, 0, held)

    def _node_keys(self, label: str) -> np.ndarray:
        """A table from internal node id to the uid (User) or gid (Group) of ``label``
        nodes; -1 for other ids."""
        row = self._rows(_NODE_KEYS[label])[0]
        nodes = np.asarray(row["node"], dtype=np.int64)
        table = np.full(int(nodes.max()) + 1 if len(nodes) else 0, -1, dtype=np.int64)
        table[nodes] = np.asarray(row["key"], dtype=np.int64)
        return table

    def _keys_at(
        self, label: str, table: Future[np.ndarray] | np.ndarray, nodes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The keys of internal ``nodes`` and the table used; the table is read again once
        when a node is not in it (created after it was read)."""
        table = table.result() if isinstance(table, Future) else table
        keys = _keys_in(table, nodes)
        if keys is None:
            table = self._node_keys(label)
            keys = _keys_in(table, nodes)
        if keys is None:
            raise StoreError(
                f"a relationship ends at a node that is not a :{label} (or was deleted while "
                "edges were read); edges join users and groups only"
            )
        return keys, table

    def records(self, entity: Entity) -> Iterator[User | Group | Membership | Referral]:
        entity = Entity(entity)
        if entity is Entity.INTERACTIONS:
            raise ValueError(f"records() does not list {entity}: read edge_batches instead")
        query = _RECORDS[entity]
        with self._errors(), self._session(default_access_mode=neo4j.READ_ACCESS) as session:
            for record in session.run(query):
                yield _record(entity, record)

    # -- analysis runs --------------------------------------------------------------------

    def write_run(self, result: RunResult) -> None:
        info = result.info
        run_id = str(info.run_id)
        self._write(
            lambda tx: tx.run(
                _CREATE_RUN,
                run_id=run_id,
                started_at=float(info.started_at),
                finished_at=None if info.finished_at is None else float(info.finished_at),
                params=json.dumps(info.params, sort_keys=True, default=_plain),
                stats=json.dumps(info.stats, sort_keys=True, default=_plain),
                fingerprint=info.fingerprint,
            ).consume()
        )
        try:
            self._write_run_parts(run_id, result)
            self._write(self._publish_tx, run_id)
        except BaseException:
            with suppress(Exception):  # else the next successful run removes the leftovers
                self._delete_runs([run_id])
            raise
        self._collect_garbage(run_id)

    def _write_run_parts(self, run_id: str, result: RunResult) -> None:
        users = result.users
        columns = {name: users.columns[name].tolist() for name in USER_RESULT_COLUMNS}
        user_ids = [str(u) for u in users.user_id.tolist()]
        for lo in range(0, len(user_ids), RESULT_BATCH):
            rows = [
                {
                    "user_id": user_ids[i],
                    **{name: _plain(columns[name][i]) for name in USER_RESULT_COLUMNS},
                }
                for i in range(lo, min(lo + RESULT_BATCH, len(user_ids)))
            ]
            self._write(lambda tx, rows=rows: tx.run(_CREATE_USER_RESULTS, run=run_id, rows=rows))
        communities = [
            {f: _plain(getattr(c, f)) for f in CommunityResult.__dataclass_fields__}
            for c in result.communities
        ]
        for lo in range(0, len(communities), RESULT_BATCH):
            chunk = communities[lo : lo + RESULT_BATCH]
            self._write(lambda tx, rows=chunk: tx.run(_CREATE_COMMUNITIES, run=run_id, rows=rows))
        for lo in range(0, len(user_ids), RESULT_BATCH):
            rows = [
                {"user_id": user_ids[i], "community_id": columns["community_id"][i]}
                for i in range(lo, min(lo + RESULT_BATCH, len(user_ids)))
                if columns["community_id"][i]
            ]
            self._write(lambda tx, rows=rows: tx.run(_LINK_COMMUNITIES, run=run_id, rows=rows))
        groups = [
            {f: _plain(getattr(g, f)) for f in GroupResult.__dataclass_fields__}
            for g in result.groups
        ]
        for lo in range(0, len(groups), RESULT_BATCH):
            chunk = groups[lo : lo + RESULT_BATCH]
            self._write(lambda tx, rows=chunk: tx.run(_CREATE_GROUP_RESULTS, run=run_id, rows=rows))

    @staticmethod
    def _publish_tx(tx: neo4j.ManagedTransaction, run_id: str) -> None:
        """The one step that makes a run visible: complete and current, the old one not."""
        tx.run(_PUBLISH, run_id=run_id).consume()

    def _collect_garbage(self, keep_run: str) -> None:
        """Remove complete runs beyond the newest ``keep_runs`` and unfinished leftovers of
        earlier writers (analysis runs one at a time; see jobs)."""
        stale = self._value(_STALE_RUNS, keep=self.keep_runs, run_id=keep_run)
        if stale:
            self._delete_runs(stale)

    def _delete_runs(self, run_ids: list[str]) -> None:
        for label in _RUN_LABELS:
            self._autocommit(_DELETE_RUN_NODES[label], runs=run_ids)
        self._write(
            lambda tx: tx.run(
                "MATCH (r:AnalysisRun) WHERE r.run_id IN $runs DETACH DELETE r", runs=run_ids
            ).consume()
        )

    def write_seeds(self, seeds: SeedSet) -> None:
        self._require_run(seeds.run_id)
        props = {
            "seeds_id": seeds.seeds_id,
            "run_id": seeds.run_id,
            "created_at": float(seeds.created_at),
            **{
                k: json.dumps(getattr(seeds, k), default=_plain)
                for k in ("params", "stats", "rows")
            },
        }
        self._write(lambda tx: tx.run("CREATE (s:SeedSet) SET s = $props", props=props).consume())

    def seed_set(self, seeds_id: str) -> SeedSet | None:
        rows = self._fetch(
            "MATCH (s:SeedSet {seeds_id: $id}) MATCH (:AnalysisRun {run_id: s.run_id}) "
            "RETURN s {.*} AS s",
            id=str(seeds_id),
        )
        if not rows:
            return None
        s = rows[0]["s"]
        return SeedSet(
            s["seeds_id"],
            s["run_id"],
            s["created_at"],
            *(json.loads(s[k]) for k in ("params", "stats", "rows")),
        )

    def runs(self) -> list[RunInfo]:
        rows = self._rows(
            "MATCH (r:AnalysisRun {complete: true}) RETURN r {.*} AS run "
            "ORDER BY r.started_at DESC, r.run_id DESC"
        )
        return [_run_info(row["run"]) for row in rows]

    def current_run(self) -> RunInfo | None:
        rows = self._fetch(
            "MATCH (r:AnalysisRun {current: true}) WHERE r.complete RETURN r {.*} AS run"
        )
        return _run_info(rows[0]["run"]) if rows else None

    def revision(self) -> str:
        """The store id and the bookmark of a read: Neo4j 5 answers a read with the id of
        the last transaction committed on the database, by any client, so the bookmark moves
        with every write and only then. The store id tells a bulk-imported database apart,
        whose transaction ids start again."""
        with self._errors(), self._session(default_access_mode=neo4j.READ_ACCESS) as session:
            result = session.run("CALL db.info() YIELD id")
            store_id = result.single(strict=True)["id"]
            result.consume()
            return f"{store_id}:{','.join(sorted(session.last_bookmarks().raw_values))}"

    def _require_run(self, run_id: str) -> None:
        found = self._value(
            "MATCH (r:AnalysisRun {run_id: $run_id}) WHERE r.complete RETURN count(r)",
            run_id=str(run_id),
        )
        if not found:
            raise NotFoundError(f"no analysis run {shown(run_id)}")

    def user_results(
        self,
        run_id: str,
        *,
        community_id: str | None = None,
        tier: str | None = None,
        after_rank: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        self._require_run(run_id)
        rows = self._rows(
            _USER_RESULTS,
            run_id=str(run_id),
            community=community_id,
            tier=tier,
            after=int(after_rank),
            limit=_NO_LIMIT if limit is None else int(limit),
        )
        return [_user_row(row) for row in rows]

    def user_result(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        self._require_run(run_id)
        rows = self._rows(_USER_RESULT, run_id=str(run_id), user_id=str(user_id))
        return _user_row(rows[0]) if rows else None

    def user_profile(self, run_id: str, user_id: str) -> dict[str, Any] | None:
        rows = self._fetch(_USER_PROFILE, run_id=str(run_id), user_id=str(user_id))
        if not rows:
            raise NotFoundError(f"no analysis run {shown(run_id)}")
        row = rows[0]
        if row["r"] is None:
            return None
        return {**_user_row(row), "inviter_id": row["inviter_id"], "groups": row["groups"]}

    def community_results(self, run_id: str) -> list[CommunityResult]:
        self._require_run(run_id)
        rows = self._rows(
            "MATCH (c:Community {run_id: $run_id}) RETURN c {.*} AS c "
            "ORDER BY c.size DESC, c.community_id",
            run_id=str(run_id),
        )
        return [_community(row["c"]) for row in rows]

    def group_results(self, run_id: str) -> list[GroupResult]:
        return self._group_rows(run_id, "true")

    # -- API reads (pages, one entity, neighbourhoods) --------------------------------------

    def user_page(self, run_id: str, query: UserQuery) -> list[dict[str, Any]]:
        if query.sort not in USER_SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; sorts are {', '.join(USER_SORTS)}")
        after_value, after_rank = query.after if query.after is not None else (None, None)
        rows = self._fetch(
            _user_page(query),
            run_id=str(run_id),
            community=query.community_id,
            tier=query.tier,
            role=query.role,
            min_influence=query.min_influence,
            min_level=None if query.min_level is None else max(query.min_level, 0),
            max_level=query.max_level,
            group=query.group_id,
            after_value=after_value,
            after_rank=after_rank,
            limit=int(query.limit),
        )
        if not rows:  # the query matches only a complete run: is there one?
            self._require_run(run_id)
        return [_user_row(row) for row in rows]

    def result_columns(self, run_id: str, columns: Sequence[str]) -> dict[str, np.ndarray]:
        kinds = {"user_id": "str", **{name: USER_RESULT_COLUMNS[name] for name in columns}}
        self._require_run(run_id)
        rows = self._value(
            "MATCH (r:UserResult {run_id: $run_id}) RETURN collect([c IN $columns | r[c]])",
            run_id=str(run_id),
            columns=list(kinds),
        )
        cols = list(zip(*rows, strict=True)) or [()] * len(kinds)
        return {name: result_column(cols[i], kind) for i, (name, kind) in enumerate(kinds.items())}

    def score_column(self, run_id: str, column: str) -> np.ndarray:
        if USER_RESULT_COLUMNS.get(column) not in ("int", "float"):
            raise ValueError(f"{column!r} is not a numeric result column")
        self._require_run(run_id)
        # A static property (the name is a checked constant) reads 2x faster than r[$column];
        # collect() drops nulls, so the missing values are counted and added back as NaN.
        query = (
            f"MATCH (r:UserResult {{run_id: $run_id}}) RETURN collect(r.{column}) AS v, count(r)"
        )
        row = self._rows(query, run_id=str(run_id))[0]
        missing = np.full(row["count(r)"] - len(row["v"]), np.nan)
        return np.concatenate([np.asarray(row["v"], dtype=float), missing])

    def user_groups(self, user_id: str) -> list[dict[str, Any]]:
        return self._rows(
            "MATCH (:User {user_id: $user_id})-[m:MEMBER_OF]->(g:Group) "
            "RETURN g.group_id AS group_id, g.name AS name, m.role AS role ORDER BY group_id",
            user_id=str(user_id),
        )

    def referral_tree(
        self, user_id: str, direction: Literal["up", "down"], depth: int, limit: int
    ) -> list[dict[str, Any]]:
        if direction not in ("up", "down"):
            raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
        if depth < 1 or limit < 1:
            return []
        return self._rows(
            _REFERRALS[direction],
            user_id=str(user_id),
            depth=int(depth),
            limit=int(limit),
        )

    def find_users(self, run_id: str, text: str, limit: int) -> list[dict[str, Any]]:
        rows = self._fetch(_FIND_USERS, run_id=str(run_id), text=str(text), limit=int(limit))
        if not rows:
            self._require_run(run_id)
        return [_user_row(row) for row in rows]

    def edges_among(self, user_ids: Sequence[str]) -> list[tuple[str, str, str, int]]:
        kinds = [kind.value for kind in InteractionKind]
        rows = self._value(_EDGES_AMONG, ids=[str(u) for u in user_ids])
        return [
            (src, dst, "referral" if kind < 0 else kinds[kind], count)
            for src, dst, kind, count in rows
        ]

    def community_page(self, run_id: str, query: CommunityQuery) -> list[CommunityResult]:
        if query.sort not in COMMUNITY_SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; sorts are {', '.join(COMMUNITY_SORTS)}")
        self._require_run(run_id)
        after_value, after_id = query.after if query.after is not None else (None, None)
        rows = self._rows(
            _COMMUNITY_PAGE,
            run_id=str(run_id),
            shape=query.shape,
            by_size=query.sort == "size",
            after_value=after_value,
            after_id=after_id,
            limit=int(query.limit),
        )
        return [_community(row["c"]) for row in rows]

    def community_result(self, run_id: str, community_id: str) -> CommunityResult | None:
        self._require_run(run_id)
        rows = self._rows(
            "MATCH (c:Community {run_id: $run_id, community_id: $community_id}) RETURN c {.*} AS c",
            run_id=str(run_id),
            community_id=str(community_id),
        )
        return _community(rows[0]["c"]) if rows else None

    def group_result(self, run_id: str, group_id: str) -> GroupResult | None:
        found = self._group_rows(run_id, "g.group_id = $value", str(group_id))
        return found[0] if found else None

    def groups_led_by(self, run_id: str, user_id: str) -> list[GroupResult]:
        return self._group_rows(run_id, "g.effective_owner_id = $value", str(user_id))

    def set_community_label(self, community_id: str, label: str | None) -> None:
        self._write(
            lambda tx: tx.run(
                _SET_LABEL if label is not None else _REMOVE_LABEL,
                community_id=str(community_id),
                label=label,
                now=time.time(),
            ).consume()
        )

    def community_labels(self) -> dict[str, str]:
        rows = self._rows("MATCH (l:CommunityLabel) RETURN l.community_id AS id, l.label AS label")
        return {row["id"]: row["label"] for row in rows}

    def _group_rows(
        self, run_id: str, condition: str, value: str | None = None
    ) -> list[GroupResult]:
        """Group results of a run; ``condition`` is one of the constant filters above."""
        self._require_run(run_id)
        rows = self._rows(
            f"MATCH (g:GroupResult {{run_id: $run_id}}) WHERE {condition} "
            "RETURN g {.*} AS g ORDER BY g.group_id",
            run_id=str(run_id),
            value=value,
        )
        return [_group(row["g"]) for row in rows]

    # -- maintenance ----------------------------------------------------------------------

    def wipe(self) -> None:
        """Delete every node and relationship (the schema stays), in batches."""
        self._autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")


# -- helpers ---------------------------------------------------------------------------------


_Event = tuple[int, int | None, float]  # key, occurred_at, weight


def _pending_interactions(rows: Sequence[Interaction]) -> dict[tuple[str, str, int], list[_Event]]:
    """Events grouped per (src, dst, kind code), repeated keys dropped, sorted by source so
    consecutive rows touch the same nodes and pages."""
    groups: dict[tuple[str, str, int], list[_Event]] = {}
    seen: set[int] = set()
    for e in rows:
        key = int(e.key)
        if key in seen:
            continue
        seen.add(key)
        at = None if e.occurred_at is None else int(e.occurred_at)
        triple = (str(e.src_id), str(e.dst_id), InteractionKind(e.kind).code)
        groups.setdefault(triple, []).append((key, at, float(e.weight)))
    return {t: groups[t] for t in sorted(groups)}


def _user_nodes(tx: neo4j.ManagedTransaction, user_ids: set[str]) -> dict[str, int]:
    """Internal node ids of users, looked up once per transaction so that statements match
    endpoints by id (a NodeByIdSeek) rather than by the user_id index at every row."""
    found = tx.run(_USER_NODES, ids=list(user_ids)).single()
    nodes = dict(zip(found["keys"], found["nodes"], strict=True))
    if len(nodes) < len(user_ids):
        missing = sorted(user_ids - nodes.keys())
        raise StoreError(f"interactions name unknown users {missing[:5]}: ensure_users first")
    return nodes


def _add_chunk(
    tx: neo4j.ManagedTransaction,
    pending: dict[tuple[str, str, int], list[_Event]],
    triples: list[tuple[str, str, int]],
    nodes: dict[str, int],
    stored: bool,
) -> int:
    """Events of ``triples`` added: read the relationships they already have (only if any
    is ``stored``), compare key sets in Python (a bot sending one user 100k messages stays
    linear), CREATE the missing relationships and SET the others. The CREATE is not waited
    for: the server runs it while the client prepares the next chunk."""
    ends = {
        "s": [nodes[t[0]] for t in triples],
        "d": [nodes[t[1]] for t in triples],
        "k": [t[2] for t in triples],
    }
    found: dict[int, dict[str, Any]] = {}
    if stored:
        row = tx.run(_FIND_INTERACTIONS, ends).single()
        found = dict(zip(row["rows"], row["rels"], strict=True))
    new = [i for i in range(len(triples)) if i not in found]
    if new:
        columns = {name: [ends[name][i] for i in new] for name in ends}
        tx.run(_CREATE_INTERACTIONS, **columns, **_totals([pending[triples[i]] for i in new]))
    added = sum(len(pending[triples[i]]) for i in new)
    updates = [
        (rel, fresh)
        for i, rel in found.items()
        for known in (set(rel["keys"]),)
        if (fresh := [e for e in pending[triples[i]] if e[0] not in known])
    ]
    if updates:
        rels = [rel for rel, _ in updates]
        totals = _totals([fresh for _, fresh in updates], rels)
        tx.run(_UPDATE_INTERACTIONS, ids=[r["id"] for r in rels], **totals)
        added += sum(len(fresh) for _, fresh in updates)
    return added


def _totals(
    events: list[list[_Event]], stored: list[dict[str, Any]] | None = None
) -> dict[str, list]:
    """Columns ``n``, ``w``, ``f``, ``l``, ``keys``, ``days``, ``day_list``: count, weight
    sum, first and last time (None when unknown), keys, number and list of distinct UTC days
    of each relationship after adding ``events`` to its ``stored`` totals (none: new
    relationships); ``keys`` holds only the added keys."""
    out: dict[str, list] = {k: [] for k in ("n", "w", "f", "l", "keys", "days", "day_list")}
    for i, group in enumerate(events):
        old = stored[i] if stored else {"n": 0, "w": 0.0, "f": None, "l": None, "dl": None}
        ats = [at for _, at, _ in group if at is not None]
        if old["f"] is not None:
            ats.append(old["f"])
            ats.append(old["l"])
        out["n"].append(old["n"] + len(group))
        out["w"].append(old["w"] + sum(w for _, _, w in group))
        out["f"].append(min(ats, default=None))
        out["l"].append(max(ats, default=None))
        out["keys"].append([key for key, _, _ in group])
        days = sorted(set(old["dl"] or ()) | {event_day(at) for _, at, _ in group})
        out["days"].append(len(days))
        out["day_list"].append(days)
    return out


def _keys_in(table: np.ndarray, nodes: np.ndarray) -> np.ndarray | None:
    """``table[nodes]``, or None when a node has no key in the table."""
    if nodes.max() >= len(table):
        return None
    keys = table[nodes]
    return None if (keys < 0).any() else keys


def _concat(parts: list[dict[str, np.ndarray]], names: Sequence[str]) -> dict[str, np.ndarray]:
    if len(parts) == 1:
        return parts[0]
    return {n: np.concatenate([p[n] for p in parts]) for n in names}


def _batch(cols: dict[str, np.ndarray], names: Sequence[str], lo: int, hi: int) -> EdgeBatch:
    return EdgeBatch(
        src=cols["src"][lo:hi],
        dst=cols["dst"][lo:hi],
        props={n: cols[n][lo:hi] for n in names[2:]},
    )


def _record(entity: Entity, r: neo4j.Record) -> User | Group | Membership | Referral:
    if entity is Entity.USERS:
        attrs = {
            k.removeprefix(ATTR_PREFIX): v
            for k, v in sorted(r["props"].items())
            if k.startswith(ATTR_PREFIX)
        }
        return User(r["user_id"], r["name"], r["joined_at"], attrs)
    if entity is Entity.GROUPS:
        return Group(r["group_id"], r["name"], r["owner_id"], r["created_at"])
    if entity is Entity.MEMBERSHIPS:
        return Membership(r["user_id"], r["group_id"], r["joined_at"], MemberRole(r["role"]))
    return Referral(r["inviter_id"], r["invitee_id"], r["referred_at"], r["campaign"])


def _run_info(props: dict[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=props["run_id"],
        started_at=props["started_at"],
        finished_at=props.get("finished_at"),
        params=json.loads(props.get("params") or "{}"),
        stats=json.loads(props.get("stats") or "{}"),
        fingerprint=props.get("fingerprint") or "",
    )


def _community(props: dict[str, Any]) -> CommunityResult:
    values = {f: props.get(f) for f in CommunityResult.__dataclass_fields__}
    text = {k: values[k] or "" for k in ("derived_from", "owner_reason")}
    return CommunityResult(**(values | text))


def _group(props: dict[str, Any]) -> GroupResult:
    values = {f: props.get(f) for f in GroupResult.__dataclass_fields__}
    values["owner_mismatch"] = bool(values["owner_mismatch"])
    values["owner_reason"] = values["owner_reason"] or ""
    return GroupResult(**values)


def _user_row(row: dict[str, Any]) -> dict[str, Any]:
    result = row["r"]
    return {
        "user_id": result["user_id"],
        "name": row["name"],
        **{name: result.get(name) for name in USER_RESULT_COLUMNS},
    }


# -- Cypher (constants; every value is a parameter) -------------------------------------------

_FIND_LOAD_LOCK = "MATCH (l:Lock {name: 'loads'}) RETURN l"
_TAKE_LOAD_LOCK = "MATCH (l:Lock {name: 'loads'}) SET l._lock = true RETURN l"
_LOCK_SEQUENCE = "MATCH (s:Sequence {name: $name}) SET s._lock = true RETURN s.next AS next"
_UNLOCK_SEQUENCE = "MATCH (s:Sequence {name: $name}) SET s.next = $next REMOVE s._lock"
_FRESH_USERS = """
UNWIND $ids AS id
WITH id WHERE NOT EXISTS { MATCH (:User {user_id: id}) }
RETURN collect(id) AS fresh"""
_CREATE_USERS = """
UNWIND range(0, size($ids) - 1) AS i
CREATE (:User {user_id: $ids[i], uid: $base + i})"""
_FRESH_GROUPS = """
UNWIND $ids AS id
WITH id WHERE NOT EXISTS { MATCH (:Group {group_id: id}) }
RETURN collect(id) AS fresh"""
_CREATE_GROUPS = """
UNWIND range(0, size($ids) - 1) AS i
CREATE (:Group {group_id: $ids[i], gid: $base + i})"""

_UPSERT_USERS = """
UNWIND $rows AS row
MATCH (u:User {user_id: row.id})
SET u.name = coalesce(row.name, u.name), u.joined_at = coalesce(row.joined_at, u.joined_at)
SET u += row.attrs"""

_UPSERT_GROUPS = """
UNWIND $rows AS row
MATCH (g:Group {group_id: row.id})
SET g.name = coalesce(row.name, g.name),
    g.owner_id = coalesce(row.owner_id, g.owner_id),
    g.created_at = coalesce(row.created_at, g.created_at)"""

_UPSERT_MEMBERSHIPS = """
UNWIND $rows AS row
MATCH (u:User {user_id: row.user})
MATCH (g:Group {group_id: row.group})
MERGE (u)-[m:MEMBER_OF]->(g)
SET m.joined_at = coalesce(row.joined_at, m.joined_at), m.role = row.role"""

# Replace the stored inviter only by a strictly earlier (referred_at, inviter_id).
_UPSERT_REFERRALS = """
UNWIND $rows AS row
MATCH (invitee:User {user_id: row.invitee})
MATCH (inviter:User {user_id: row.inviter})
OPTIONAL MATCH (old_inviter:User)-[old:REFERRED]->(invitee)
WITH row, inviter, invitee, old, old_inviter, coalesce(old.referred_at, $never) AS old_at
WITH row, inviter, invitee, old,
     old IS NULL OR row.order_at < old_at
       OR (row.order_at = old_at AND row.inviter < old_inviter.user_id) AS wins
CALL (row, inviter, invitee, old, wins) {
  WITH * WHERE wins
  DELETE old
  CREATE (inviter)-[:REFERRED {referred_at: row.referred_at, campaign: row.campaign}]->(invitee)
}
RETURN count(CASE WHEN old IS NULL THEN 1 END) AS first"""

# Interaction writers lock the event counter first and keep it until commit.
_LOCK_EVENTS = """
MATCH (c:Counter {name: 'interaction_events'}) SET c._lock = true RETURN c.value AS value"""

_ANY_INTERACTION = "MATCH ()-[r:INTERACTED]->() RETURN count(r) > 0 AS any"  # the count store

_USER_NODES = """
UNWIND $ids AS key
MATCH (u:User {user_id: key})
RETURN collect(key) AS keys, collect(id(u)) AS nodes"""

# Relationships (src, dst, kind) already stored for columns s, d (node ids), k, by position.
_FIND_INTERACTIONS = """
UNWIND range(0, size($s) - 1) AS i
MATCH (a:User), (b:User) WHERE id(a) = $s[i] AND id(b) = $d[i]
MATCH (a)-[r:INTERACTED {kind: $k[i]}]->(b)
RETURN collect(i) AS rows,
       collect({id: elementId(r), n: r.count, w: r.weight, f: r.first_at, l: r.last_at,
                keys: r.event_keys, dl: r.event_days}) AS rels"""

# kind, count, weight and days first: the properties analysis reads share property records.
_CREATE_INTERACTIONS = """
UNWIND range(0, size($s) - 1) AS i
MATCH (a:User), (b:User) WHERE id(a) = $s[i] AND id(b) = $d[i]
CREATE (a)-[:INTERACTED {kind: $k[i], count: $n[i], weight: $w[i], days: $days[i],
                         first_at: $f[i], last_at: $l[i], event_keys: $keys[i],
                         event_days: $day_list[i]}]->(b)"""

_UPDATE_INTERACTIONS = """
UNWIND range(0, size($ids) - 1) AS i
MATCH ()-[r:INTERACTED]->() WHERE elementId(r) = $ids[i]
SET r.count = $n[i], r.weight = $w[i], r.days = $days[i], r.first_at = $f[i],
    r.last_at = $l[i], r.event_keys = r.event_keys + $keys[i], r.event_days = $day_list[i]"""

_COUNT_EVENTS = """
MATCH (c:Counter {name: 'interaction_events'}) SET c.value = c.value + $added REMOVE c._lock"""

_COUNTS = """
CALL () { MATCH (u:User) RETURN count(u) AS users }
CALL () { MATCH (g:Group) RETURN count(g) AS groups }
CALL () { MATCH ()-[m:MEMBER_OF]->() RETURN count(m) AS memberships }
CALL () { MATCH ()-[r:REFERRED]->() RETURN count(r) AS referrals }
CALL () { MATCH ()-[i:INTERACTED]->() RETURN count(i) AS interactions }
CALL () {
  OPTIONAL MATCH (c:Counter {name: 'interaction_events'})
  RETURN coalesce(c.value, 0) AS interaction_events
}
RETURN users, groups, memberships, referrals, interactions, interaction_events"""

# Edge count (count store), first and last relationship id (the type lookup index, in id
# order: two entries read) and the last user uid.
_EXTRACT_SIZES = {
    kind: f"""CALL () {{ MATCH ()-[r:{kind.value}]->() RETURN count(r) AS edges }}
    CALL () {{
      OPTIONAL MATCH ()-[r:{kind.value}]->() WITH r ORDER BY id(r) LIMIT 1 RETURN id(r) AS first
    }}
    CALL () {{
      OPTIONAL MATCH ()-[r:{kind.value}]->() WITH r ORDER BY id(r) DESC LIMIT 1
      RETURN id(r) AS last
    }}
    OPTIONAL MATCH (s:Sequence {{name: 'user'}})
    RETURN edges, first, last, s.next - 1 AS top"""
    for kind in EdgeKind
}
# Per relationship type: the label of the targets (sources are users) and the Cypher of each
# EDGE_PROPS column.
_EXTRACT: dict[EdgeKind, tuple[str, dict[str, str]]] = {
    EdgeKind.INTERACTED: (
        "User",
        {
            "kind": "r.kind",
            "count": "r.count",
            "weight": "r.weight",
            "days": "r.days",
            "first_at": "coalesce(r.first_at, -1)",
            "last_at": "coalesce(r.last_at, -1)",
        },
    ),
    EdgeKind.REFERRED: ("User", {"referred_at": "coalesce(r.referred_at, -1)"}),
    EdgeKind.MEMBER_OF: ("Group", {"role": "$codes[r.role]"}),
}
# Column pairs (high, low, bits) read as one integer ``high * 2**bits + low``, split back with
# ``>> bits`` and ``& (2**bits - 1)``: exact for any high (floor shift, negative codes too)
# whenever 0 <= low < 2**bits, and Cypher raises "long overflow" rather than wrap when high is
# too large. Low is a node id (below 2**50 in every Neo4j store format) or days, the distinct
# days of count events (days <= count, and count * 2**32 overflows from 2**31 on).
_PACKED: dict[EdgeKind, tuple[tuple[str, str, int], ...]] = {
    EdgeKind.INTERACTED: (("kind", "dst", 56), ("count", "days", 32)),
    EdgeKind.REFERRED: (),
    EdgeKind.MEMBER_OF: (("role", "dst", 56),),
}
_NODE_KEYS = {
    "User": "MATCH (n:User) RETURN collect(id(n)) AS node, collect(n.uid) AS key",
    "Group": "MATCH (n:Group) RETURN collect(id(n)) AS node, collect(n.gid) AS key",
}


def _extract_query(
    kind: EdgeKind, names: Sequence[str], pairs: Sequence[tuple[str, str, int]], by_id: bool
) -> str:
    """Whole columns ``names`` (src, dst and props checked by edge_props) of the edges with
    relationship ids (``by_id``), else source uids, in [$lo, $hi); the ends as node ids, each
    of ``pairs`` packed into one column ``<high>_<low>`` (see _PACKED)."""
    cypher = {"src": "id(a)", "dst": "id(b)", **_EXTRACT[kind][1]}
    returns = {name: f"collect({cypher[name]}) AS {name}" for name in names}
    for high, low, bits in pairs:
        del returns[high]
        returns[low] = f"collect({_packed(cypher[high], cypher[low], bits)}) AS {high}_{low}"
    if by_id:
        match = f"MATCH (a)-[r:{kind.value}]->(b) WHERE id(r) IN range($lo, $hi - 1)"
    else:
        match = f"MATCH (a:User)-[r:{kind.value}]->(b) WHERE a.uid >= $lo AND a.uid < $hi"
    return f"{match} RETURN {', '.join(returns.values())}"


def _packed(high: str, low: str, bits: int) -> str:
    """Cypher of the integer ``high * 2**bits + low`` (see _PACKED)."""
    return f"{high} * {1 << bits} + {low}"


def _unpacked(packed: Sequence[int], bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(high, low)`` of integers made by ``_packed(high, low, bits)``."""
    values = np.asarray(packed, dtype=np.int64)
    return values >> bits, values & ((1 << bits) - 1)


_RECORDS = {
    Entity.USERS: """MATCH (u:User) RETURN u.user_id AS user_id, u.name AS name,
        u.joined_at AS joined_at, properties(u) AS props ORDER BY u.user_id""",
    Entity.GROUPS: """MATCH (g:Group) RETURN g.group_id AS group_id, g.name AS name,
        g.owner_id AS owner_id, g.created_at AS created_at ORDER BY g.group_id""",
    Entity.MEMBERSHIPS: """MATCH (u:User)-[m:MEMBER_OF]->(g:Group)
        RETURN u.user_id AS user_id, g.group_id AS group_id, m.joined_at AS joined_at,
               m.role AS role ORDER BY user_id, group_id""",
    Entity.REFERRALS: """MATCH (a:User)-[r:REFERRED]->(b:User)
        RETURN a.user_id AS inviter_id, b.user_id AS invitee_id, r.referred_at AS referred_at,
               r.campaign AS campaign ORDER BY invitee_id""",
}

_CREATE_RUN = """
CREATE (:AnalysisRun {run_id: $run_id, started_at: $started_at, finished_at: $finished_at,
                      params: $params, stats: $stats, fingerprint: $fingerprint,
                      complete: false, current: false})"""

_CREATE_USER_RESULTS = """
UNWIND $rows AS row
CREATE (r:UserResult {run_id: $run})
SET r += row"""

_CREATE_COMMUNITIES = """
UNWIND $rows AS row
CREATE (c:Community {run_id: $run})
SET c += row
WITH c, row
OPTIONAL MATCH (leader:User {user_id: row.owner_id})
FOREACH (_ IN CASE WHEN leader IS NULL THEN [] ELSE [1] END | CREATE (c)-[:LED_BY]->(leader))"""

_LINK_COMMUNITIES = """
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
MATCH (c:Community {run_id: $run, community_id: row.community_id})
CREATE (u)-[:IN_COMMUNITY]->(c)"""

_CREATE_GROUP_RESULTS = """
UNWIND $rows AS row
CREATE (g:GroupResult {run_id: $run})
SET g += row"""

_SET_LABEL = """
MERGE (l:CommunityLabel {community_id: $community_id})
SET l.label = $label, l.updated_at = $now"""

_REMOVE_LABEL = "MATCH (l:CommunityLabel {community_id: $community_id}) DELETE l"

_PUBLISH = """
MATCH (new:AnalysisRun {run_id: $run_id})
OPTIONAL MATCH (old:AnalysisRun {current: true}) WHERE old <> new
SET old.current = false
SET new.complete = true, new.current = true"""

_STALE_RUNS = """
MATCH (r:AnalysisRun) WHERE r.complete
WITH r ORDER BY r.started_at DESC, r.run_id DESC
WITH collect(r.run_id) AS complete
OPTIONAL MATCH (u:AnalysisRun) WHERE NOT u.complete AND u.run_id <> $run_id
WITH complete, collect(u.run_id) AS unfinished
RETURN [r IN complete[$keep..] WHERE r <> $run_id] + unfinished AS stale"""

_DELETE_RUN_NODES = {
    label: f"""MATCH (n:{label}) WHERE n.run_id IN $runs
    CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 10000 ROWS"""
    for label in ("UserResult", "Community", "GroupResult", "SeedSet")
}
_RUN_LABELS = tuple(_DELETE_RUN_NODES)

# A community and its sub-communities ("c-0042", "c-0042.03"): a prefix seek of the
# (run_id, community_id) index, then the character after the prefix checked.
_IN_COMMUNITY = (
    "r.community_id STARTS WITH $community "
    "AND (r.community_id = $community OR r.community_id STARTS WITH $community + '.')"
)

_USER_RESULTS = f"""
MATCH (r:UserResult {{run_id: $run_id}})
WHERE r.influence_rank > $after
  AND ($community IS NULL OR {_IN_COMMUNITY})
  AND ($tier IS NULL OR r.tier = $tier)
WITH r ORDER BY r.influence_rank LIMIT $limit
OPTIONAL MATCH (u:User {{user_id: r.user_id}})
RETURN r {{.*}} AS r, u.name AS name
ORDER BY r.influence_rank"""

_USER_RESULT = """
MATCH (r:UserResult {run_id: $run_id, user_id: $user_id})
OPTIONAL MATCH (u:User {user_id: r.user_id})
RETURN r {.*} AS r, u.name AS name"""

# No row: no such complete run; r null: the user is not in it.
_USER_PROFILE = """
MATCH (:AnalysisRun {run_id: $run_id, complete: true})
OPTIONAL MATCH (r:UserResult {run_id: $run_id, user_id: $user_id})
OPTIONAL MATCH (u:User {user_id: $user_id})
RETURN r {.*} AS r, u.name AS name,
       [(i:User)-[:REFERRED]->(u) | i.user_id][0] AS inviter_id,
       COLLECT {
         MATCH (u)-[m:MEMBER_OF]->(g:Group)
         RETURN {group_id: g.group_id, name: g.name, role: m.role} AS group ORDER BY g.group_id
       } AS groups"""


def _user_page(query: UserQuery) -> str:
    """A keyset page of users: sort value descending (a missing value as -1), ties by
    influence_rank. Anchored where an index helps (a group's members, a community, else the
    run in rank order) and with only the predicates ``query`` uses; the sort property comes
    from USER_SORTS, never from input."""
    if query.group_id is not None:
        anchor = (
            "MATCH (:Group {group_id: $group})<-[:MEMBER_OF]-(m:User)\n"
            "MATCH (r:UserResult {run_id: $run_id, user_id: m.user_id})"
        )
    elif query.community_id is not None:
        anchor = (  # the hint: a planner without statistics would scan every run's results
            "MATCH (r:UserResult {run_id: $run_id})\n"
            "USING INDEX r:UserResult(run_id, community_id)\n"
            f"WHERE {_IN_COMMUNITY}\nWITH r"
        )
    else:
        anchor = "MATCH (r:UserResult {run_id: $run_id})"
    after = "r.influence_rank > $after_rank" if query.after else "r.influence_rank > 0"
    if query.sort == "influence":  # run_id first: the (run_id, influence_rank) index gives order
        order, where = "r.run_id, r.influence_rank", [after]
    else:
        key = f"coalesce(r.{query.sort}, -1)"
        order = f"{key} DESC, r.influence_rank"
        where = [f"({key} < $after_value OR ({key} = $after_value AND {after}))"]
        where = where if query.after else [after]
    where += [
        condition
        for field, condition in (
            ("tier", "r.tier = $tier"),
            ("role", "r.role = $role"),
            ("min_influence", "r.influence >= $min_influence"),
            ("max_level", "r.referral_level <= $max_level"),
        )
        if getattr(query, field) is not None
    ]
    if query.min_level is not None or query.max_level is not None:
        where.append("r.referral_level >= coalesce($min_level, 0)")
    return f"""{anchor}
WHERE {" AND ".join(where)}
WITH r ORDER BY {order} LIMIT $limit
MATCH (:AnalysisRun {{run_id: $run_id, complete: true}})
OPTIONAL MATCH (u:User {{user_id: r.user_id}})
RETURN r {{.*}} AS r, u.name AS name
ORDER BY {order}"""


def _referral_query(path: str) -> str:
    """Users ``x`` within ``$depth`` referral levels along ``path``, with their inviter."""
    return f"""
MATCH path = {path}
WHERE length(path) <= $depth
WITH x, min(length(path)) AS depth
OPTIONAL MATCH (inviter:User)-[:REFERRED]->(x)
RETURN x.user_id AS user_id, inviter.user_id AS inviter_id, depth
ORDER BY depth, user_id LIMIT $limit"""


_REFERRALS = {
    "down": _referral_query("(:User {user_id: $user_id})-[:REFERRED*1..]->(x:User)"),
    "up": _referral_query("(x:User)-[:REFERRED*1..]->(:User {user_id: $user_id})"),
}

# Users whose id or name starts with $text: the first $limit by each (indexed), by rank.
_FIND_USERS = """
CALL () {
  MATCH (u:User) WHERE u.user_id STARTS WITH $text
  RETURN u ORDER BY u.user_id LIMIT $limit
  UNION
  MATCH (u:User) WHERE u.name STARTS WITH $text
  RETURN u ORDER BY u.name LIMIT $limit
}
MATCH (r:UserResult {run_id: $run_id, user_id: u.user_id})
MATCH (:AnalysisRun {run_id: $run_id, complete: true})
RETURN r {.*} AS r, u.name AS name
ORDER BY r.influence_rank LIMIT $limit"""

_EDGES_AMONG = """
UNWIND $ids AS id
MATCH (a:User {user_id: id})-[e:INTERACTED|REFERRED]->(b:User)
WHERE b.user_id IN $ids
RETURN collect([a.user_id, b.user_id, coalesce(e.kind, -1), coalesce(e.count, 1)])"""

# base.health_score: reciprocity × (1 − centralization), missing values as 0.
_COMMUNITY_PAGE = """
MATCH (c:Community {run_id: $run_id})
WHERE $shape IS NULL OR c.shape = $shape
WITH c, CASE WHEN $by_size THEN toFloat(c.size)
             ELSE coalesce(c.reciprocity, 0.0) * (1.0 - coalesce(c.centralization, 0.0)) END AS key
WHERE $after_id IS NULL OR key < $after_value OR (key = $after_value AND c.community_id > $after_id)
RETURN c {.*} AS c
ORDER BY key DESC, c.community_id
LIMIT $limit"""
