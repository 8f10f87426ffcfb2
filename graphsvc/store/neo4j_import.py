"""Files for ``neo4j-admin database import full``: the fast path for a first load of a big graph.

The import tool writes a new database directly (the server stopped, or into a database that
is not running), several times faster than transactions (NEO4J.md: ~115k relationships/s vs
~20k). It cannot merge into an existing graph, so the rules the store applies on every write
are applied here, in Python, before writing: one user per id with a compact ``uid``, one
group per id with a ``gid``, one membership per (user, group), the earliest inviter per
invitee, and one INTERACTED relationship per (src, dst, kind) aggregating distinct events (with
their ``event_keys``, so later incremental loads through Neo4jStore stay idempotent).

The files also hold the store's id sequences and event counter. After the import, start the
server and call ``Neo4jStore.init_schema()``: it creates the constraints and indexes.
``graphsvc.jobs.bulk_import`` does all of it, from input files, for ``graphsvc db import``.

    files = write_import_files(out_dir, users=..., interactions=...)
    LocalInstance(home, bolt_port).import_files(files)  # the server stopped
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from graphsvc.errors import ConfigError, StoreError
from graphsvc.model import (
    Entity,
    Group,
    Interaction,
    MemberRole,
    Membership,
    Referral,
    User,
    event_day,
)
from graphsvc.store.neo4j import ATTR_PREFIX

__all__ = [
    "ImportBuilder",
    "ImportFiles",
    "LocalInstance",
    "neo4j_script",
    "write_import_files",
]

_NEVER = 2**62
ARRAY_DELIMITER = ";"


@dataclass
class ImportFiles:
    """The CSV files written, and the counts of what they hold."""

    directory: Path
    nodes: dict[str, list[Path]] = field(default_factory=dict)  # label -> header, data
    relationships: dict[str, list[Path]] = field(default_factory=dict)  # type -> header, data
    counts: dict[str, int] = field(default_factory=dict)

    def arguments(self, database: str = "neo4j") -> list[str]:
        """Arguments after ``neo4j-admin database import full``."""
        args = [
            database,  # first: --nodes and --relationships take several values
            "--id-type=STRING",
            f"--array-delimiter={ARRAY_DELIMITER}",
            "--overwrite-destination=true",
            "--skip-bad-relationships=false",
            "--high-parallel-io=on",
            f"--report-file={self.directory / 'import.report'}",
        ]
        for label, paths in self.nodes.items():
            args.append(f"--nodes={label}={','.join(str(p) for p in paths)}")
        for rel_type, paths in self.relationships.items():
            args.append(f"--relationships={rel_type}={','.join(str(p) for p in paths)}")
        return args


def _write(directory: Path, name: str, header: list[str], rows: Iterable[list]) -> list[Path]:
    head, data = directory / f"{name}.header.csv", directory / f"{name}.csv"
    with head.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow(header)
    with data.open("w", newline="", encoding="utf-8", buffering=1 << 20) as f:
        csv.writer(f).writerows(rows)
    return [head, data]


def _blank(value: object) -> object:
    return "" if value is None else value


class ImportBuilder:
    """A first load gathered in memory under the store's rules, then written as import files.

    A LoadTarget, so ``graphsvc.ingest.load_files`` validates input into it exactly as into
    a store. Ids referenced by edges or group owners but absent from the users / groups
    become bare users / groups; later rows update earlier ones field by field.
    """

    def __init__(self) -> None:
        self._users: dict[str, list] = {}  # id -> [name, joined_at, attrs]
        self._groups: dict[str, list] = {}  # id -> [name, owner_id, created_at]
        self._members: dict[tuple[str, str], list] = {}  # (user, group) -> [joined_at, role]
        self._referrals: dict[str, tuple[tuple[int, str], Referral]] = {}  # invitee -> best
        # (src, dst, kind code) -> [count, weight, first_at, last_at, keys, days]
        self._edges: dict[tuple[str, str, int], list] = {}
        self._keys: set[int] = set()

    def _user(self, user_id: str) -> list:
        row = self._users.get(user_id)
        if row is None:
            row = self._users[user_id] = [None, None, {}]
        return row

    def ensure_users(self, user_ids: Sequence[str]) -> int:
        before = len(self._users)
        for user_id in user_ids:
            self._user(user_id)
        return len(self._users) - before

    def ensure_groups(self, group_ids: Sequence[str]) -> int:
        before = len(self._groups)
        for group_id in group_ids:
            self._groups.setdefault(group_id, [None, None, None])
        return len(self._groups) - before

    def upsert_users(self, rows: Sequence[User]) -> int:
        before = len(self._users)
        for u in rows:
            row = self._user(u.user_id)
            if u.name is not None:
                row[0] = u.name
            if u.joined_at is not None:
                row[1] = u.joined_at
            row[2].update({str(k): str(v) for k, v in u.attributes.items()})
        return len(self._users) - before

    def upsert_groups(self, rows: Sequence[Group]) -> int:
        before = len(self._groups)
        for g in rows:
            row = self._groups.setdefault(g.group_id, [None, None, None])
            for i, value in enumerate((g.name, g.owner_id, g.created_at)):
                if value is not None:
                    row[i] = value
            if g.owner_id is not None:
                self._user(g.owner_id)
        return len(self._groups) - before

    def upsert_memberships(self, rows: Sequence[Membership]) -> int:
        before = len(self._members)
        for m in rows:
            self._user(m.user_id)
            self._groups.setdefault(m.group_id, [None, None, None])
            row = self._members.setdefault((m.user_id, m.group_id), [None, None])
            if m.joined_at is not None:
                row[0] = m.joined_at
            row[1] = MemberRole(m.role).value
        return len(self._members) - before

    def upsert_referrals(self, rows: Sequence[Referral]) -> int:
        before, best = len(self._referrals), self._referrals
        for r in rows:
            self._user(r.inviter_id)
            self._user(r.invitee_id)
            order = (_NEVER if r.referred_at is None else r.referred_at, r.inviter_id)
            if r.invitee_id not in best or order < best[r.invitee_id][0]:
                best[r.invitee_id] = (order, r)
        return len(best) - before

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        keys, edges, users = self._keys, self._edges, self._users
        before = len(keys)
        for e in rows:
            if e.key in keys:
                continue
            keys.add(e.key)
            triple = (e.src_id, e.dst_id, e.kind.code)
            agg = edges.get(triple)
            if agg is None:
                if e.src_id not in users:
                    self._user(e.src_id)
                if e.dst_id not in users:
                    self._user(e.dst_id)
                agg = edges[triple] = [0, 0.0, None, None, [], set()]
            agg[0] += 1
            agg[1] += e.weight
            at = e.occurred_at
            if at is not None:
                agg[2] = at if agg[2] is None else min(agg[2], at)
                agg[3] = at if agg[3] is None else max(agg[3], at)
            agg[4].append(e.key)
            agg[5].add(event_day(at))
        return len(keys) - before

    def records(self, entity: Entity) -> Iterator[User | Group | Membership | Referral]:
        """Rows gathered so far, in the stores' order (by id)."""
        entity = Entity(entity)
        if entity is Entity.USERS:
            for user_id in sorted(self._users):
                name, joined_at, attrs = self._users[user_id]
                yield User(user_id, name, joined_at, dict(sorted(attrs.items())))
        elif entity is Entity.GROUPS:
            for group_id in sorted(self._groups):
                yield Group(group_id, *self._groups[group_id])
        elif entity is Entity.MEMBERSHIPS:
            for (user_id, group_id), (joined_at, role) in sorted(self._members.items()):
                yield Membership(user_id, group_id, joined_at, MemberRole(role))
        elif entity is Entity.REFERRALS:
            for invitee_id in sorted(self._referrals):
                yield self._referrals[invitee_id][1]
        else:
            raise ValueError(f"records() does not list {entity}")

    def check_writable(self) -> None:
        """Memory: always writable (the files are written later, by ``write``)."""

    def load_lock(self) -> AbstractContextManager[None]:
        """Nothing to lock: one load gathers into one builder."""
        return nullcontext()

    def counts(self) -> dict[str, int]:
        """What the files will hold, named as in ``GraphStore.counts``."""
        return {
            "users": len(self._users),
            "groups": len(self._groups),
            "memberships": len(self._members),
            "referrals": len(self._referrals),
            "interactions": len(self._edges),
            "interaction_events": len(self._keys),
        }

    def write(self, directory: str | Path) -> ImportFiles:
        """Write node and relationship CSV files (header files apart) into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = ImportFiles(out, counts=self.counts())
        attr_names = sorted({k for row in self._users.values() for k in row[2]})
        files.nodes["User"] = _write(
            out,
            "users",
            ["user_id:ID(User)", "uid:long", "name", "joined_at:long"]
            + [f"{ATTR_PREFIX}{a}" for a in attr_names],
            (
                [user_id, i, _blank(name), _blank(joined_at)]
                + [attrs.get(a, "") for a in attr_names]
                for i, (user_id, (name, joined_at, attrs)) in enumerate(self._users.items())
            ),
        )
        files.nodes["Group"] = _write(
            out,
            "groups",
            ["group_id:ID(Group)", "gid:long", "name", "owner_id", "created_at:long"],
            (
                [group_id, i, *map(_blank, row)]
                for i, (group_id, row) in enumerate(self._groups.items())
            ),
        )
        files.relationships["MEMBER_OF"] = _write(
            out,
            "memberships",
            [":START_ID(User)", ":END_ID(Group)", "joined_at:long", "role"],
            ([u, g, _blank(at), role] for (u, g), (at, role) in self._members.items()),
        )
        files.relationships["REFERRED"] = _write(
            out,
            "referrals",
            [":START_ID(User)", ":END_ID(User)", "referred_at:long", "campaign"],
            (
                [r.inviter_id, r.invitee_id, _blank(r.referred_at), _blank(r.campaign)]
                for _, r in self._referrals.values()
            ),
        )
        # The store's id sequences and event counter, so init_schema need not scan for them.
        files.nodes["Sequence"] = _write(
            out,
            "sequences",
            ["name:ID(Sequence)", "next:long"],
            [["user", len(self._users)], ["group", len(self._groups)]],
        )
        files.nodes["Counter"] = _write(
            out,
            "counters",
            ["name:ID(Counter)", "value:long"],
            [["interaction_events", len(self._keys)]],
        )
        join = ARRAY_DELIMITER.join
        files.relationships["INTERACTED"] = _write(
            out,
            "interactions",
            [
                ":START_ID(User)",
                ":END_ID(User)",
                "kind:long",
                "count:long",
                "weight:double",
                "days:long",
                "first_at:long",
                "last_at:long",
                "event_keys:long[]",
                "event_days:long[]",
            ],
            (
                [
                    s,
                    d,
                    k,
                    count,
                    weight,
                    len(days),
                    _blank(first),
                    _blank(last),
                    join(map(str, keys)),
                    join(map(str, sorted(days))),
                ]
                for (s, d, k), (count, weight, first, last, keys, days) in self._edges.items()
            ),
        )
        return files


def write_import_files(
    directory: str | Path,
    *,
    users: Iterable[User] = (),
    groups: Iterable[Group] = (),
    memberships: Iterable[Membership] = (),
    referrals: Iterable[Referral] = (),
    interactions: Iterable[Interaction] = (),
) -> ImportFiles:
    """Gather the rows in an ImportBuilder and write its files into ``directory``."""
    builder = ImportBuilder()
    builder.upsert_users(list(users))
    builder.upsert_groups(list(groups))
    builder.upsert_memberships(list(memberships))
    builder.upsert_referrals(list(referrals))
    builder.add_interactions(list(interactions))
    return builder.write(directory)


def neo4j_script() -> Path:
    """``scripts/neo4j`` of this checkout (or $GRAPHSVC_NEO4J_SCRIPT)."""
    configured = os.environ.get("GRAPHSVC_NEO4J_SCRIPT")
    path = Path(configured) if configured else Path(__file__).resolve().parents[2] / "scripts/neo4j"
    if not path.is_file():
        raise ConfigError(f"{path} not found: set GRAPHSVC_NEO4J_SCRIPT to scripts/neo4j")
    return path


def _port(address: str | None) -> int | None:
    """The port of ``host:port``, None if there is none."""
    tail = (address or "").rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


def _failure(stderr: str) -> str:
    """The importer's reason for failing, on one line (its warnings and hints left out)."""
    lines = [line.strip() for line in stderr.splitlines()]
    kept = [line for line in lines if line and not line.startswith(("WARNING", "Run with"))]
    return "; ".join(kept)[-500:] or "no reason given"


@dataclass(frozen=True)
class LocalInstance:
    """A Neo4j server home of its own, run with ``scripts/neo4j`` (shared jars, own data,
    own ports): for bulk imports and benchmarks beside the main local server."""

    home: Path
    bolt_port: int
    password: str = "graphsvc-dev"
    gds: bool = False
    heap: str | None = None  # e.g. "2g"; default $NEO4J_HEAP or the script's 1g
    pagecache: str | None = None  # e.g. "1g"; default $NEO4J_PAGECACHE or 512m
    http_port: int | None = None  # None: no HTTP connector

    @classmethod
    def of_home(cls, home: Path | None, password: str) -> LocalInstance:
        """The home ``scripts/neo4j`` manages (None: the script's own default, from
        $NEO4J_HOME_DIR or its install directory) with the settings of its last start —
        ports, memory, GDS — so a restart changes nothing. ConfigError if it is not one."""
        if home is None:
            home = Path(subprocess.check_output([str(neo4j_script()), "home"], text=True).strip())
        conf_path = Path(home) / "conf" / "neo4j.conf"
        text = conf_path.read_text(encoding="utf-8") if conf_path.is_file() else ""
        if not text.startswith("# Written by scripts/neo4j"):
            raise ConfigError(
                f"{home} is not a Neo4j home run by scripts/neo4j (no {conf_path} written by it): "
                "pass --home, or start one with `scripts/neo4j start`"
            )
        conf = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        http = conf.get("server.http.enabled") == "true"
        return cls(
            Path(home),
            _port(conf.get("server.bolt.listen_address")) or 7687,
            password,
            gds=any((Path(home) / "plugins").glob("*.jar")),
            heap=conf.get("server.memory.heap.max_size"),
            pagecache=conf.get("server.memory.pagecache.size"),
            http_port=_port(conf.get("server.http.listen_address")) if http else None,
        )

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def serves(self, uri: str) -> bool:
        """Whether ``uri`` (bolt:// or neo4j://) reaches this instance."""
        parts = urlsplit(uri)
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        return local and (parts.port or 7687) == self.bolt_port

    def run(
        self, *args: str, timeout: float = 900, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``scripts/neo4j ARGS`` on this home; StoreError if it fails and ``check``."""
        env = {
            **os.environ,
            "NEO4J_HOME_DIR": str(self.home),
            "NEO4J_BOLT_PORT": str(self.bolt_port),
            "NEO4J_HTTP_PORT": "off" if self.http_port is None else str(self.http_port),
            "NEO4J_PASSWORD": self.password,
            "NEO4J_GDS": "1" if self.gds else "0",
        }
        if self.heap:
            env["NEO4J_HEAP"] = self.heap
        if self.pagecache:
            env["NEO4J_PAGECACHE"] = self.pagecache
        done = subprocess.run(
            [str(neo4j_script()), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        ok = done.returncode == 0 or (done.returncode == 3 and args[0] == "status")
        if check and not ok:
            raise StoreError(
                f"scripts/neo4j {' '.join(args[:4])} exited {done.returncode}: "
                f"{done.stderr[-2000:]}"
            )
        return done

    def import_files(self, files: ImportFiles, database: str = "neo4j") -> str:
        """Run ``neo4j-admin database import full`` (the instance must be stopped); return
        its output, also kept in ``logs/import.log``.

        The importer deletes the database it replaces before it writes, and leaves a broken
        store when it fails; so the previous database is moved aside first and put back if
        the import fails, and deleted once the import is done.
        """
        data = self.home / "data"
        moves = [
            (data / part / database, data / part / f".{database}.before-import")
            for part in ("databases", "transactions")
        ]
        for _, aside in moves:
            if aside.exists():
                raise StoreError(
                    f"{aside} is left from an interrupted import: put it back as "
                    f"{aside.parent / database} (or delete it) first"
                )
        for path, aside in moves:
            if path.exists():
                path.rename(aside)
        log = self.home / "logs" / "import.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        try:
            done = self.run(
                "admin", "database", "import", "full", *files.arguments(database), check=False
            )
            log.write_text(done.stdout + done.stderr, encoding="utf-8")
            if done.returncode != 0:
                raise StoreError(
                    f"neo4j-admin database import failed (exit {done.returncode}): "
                    f"{_failure(done.stderr)}; the previous database is back in place, the "
                    f"importer's output is in {log}"
                )
        except BaseException:
            for path, aside in moves:
                shutil.rmtree(path, ignore_errors=True)
                if aside.exists():
                    aside.rename(path)
            raise
        for _, aside in moves:
            shutil.rmtree(aside, ignore_errors=True)
        return done.stdout

    def has_database(self, database: str = "neo4j") -> bool:
        """Whether ``database`` has store files (a home never started has none)."""
        return (self.home / "data" / "databases" / database).is_dir()

    def start(self) -> None:
        self.run("start")

    def stop(self) -> None:
        self.run("stop")

    def running(self) -> bool:
        return self.run("status").returncode == 0
