"""Files for ``neo4j-admin database import full``: the fast path for a first load of a big graph.

The import tool writes a new database directly (the server stopped, or into a database that
is not running), several times faster than transactions (NEO4J.md: ~115k relationships/s vs
~20k). It cannot merge into an existing graph, so the rules the store applies on every write
are applied here, in Python, before writing: one user per id with a compact ``uid``, one
group per id with a ``gid``, one membership per (user, group), the earliest inviter per
invitee, and one INTERACTED relationship per (src, dst, kind) aggregating distinct events (their
fingerprints go into the store's ledger nodes, so later incremental loads through Neo4jStore
stay idempotent).

The files also hold the store's id sequences and event counter. After the import, start the
server and call ``Neo4jStore.init_schema()``: it creates the constraints and indexes.
``graphsvc.admin.bulk_import`` does all of it, from input files, for ``graphsvc db import``.

    files = write_import_files(out_dir, users=..., interactions=...)
    LocalInstance(home, bolt_port).import_files(files)  # the server stopped
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from graphsvc.admin.import_events import ImportEvents
from graphsvc.model import (
    Entity,
    EventColumns,
    Group,
    Interaction,
    MemberRole,
    Membership,
    Referral,
    User,
)
from graphsvc.store.bulk import collector_paused
from graphsvc.store.neo4j import ATTR_PREFIX
from graphsvc.store.neo4j.ledger import LEDGER_MARKER

__all__ = [
    "ImportBuilder",
    "ImportFiles",
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


def _write(
    directory: Path, name: str, header: list[str], rows: Iterable[list] | pa.Table
) -> list[Path]:
    """A header file and a data file; a pyarrow table is written by pyarrow's CSV writer."""
    head, data = directory / f"{name}.header.csv", directory / f"{name}.csv"
    with head.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow(header)
    if isinstance(rows, pa.Table):
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        pa_csv.write_csv(rows, data, write_options=options)
        return [head, data]
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
        # (user, group) -> [joined_at, role, left_at]
        self._members: dict[tuple[str, str], list] = {}
        self._referrals: dict[str, tuple[tuple[int, str], Referral]] = {}  # invitee -> best
        self._events = ImportEvents()

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
            row = self._members.setdefault((m.user_id, m.group_id), [None, None, None])
            if m.left_at is not None:
                row[2] = m.left_at
            elif m.joined_at is not None and row[2] is not None and m.joined_at > row[2]:
                row[2] = None  # came back
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

    def add_events(self, events: EventColumns) -> int:
        # a load has ensured their users and groups; a group's gid is its place in the file
        gid = {group_id: i for i, group_id in enumerate(self._groups)}
        return self._events.add_columns(events, [gid[g] for g in events.groups.tolist()])

    def add_interactions(self, rows: Sequence[Interaction]) -> int:
        """Events given one by one (``write_import_files``); their users and groups are
        created."""
        self.ensure_users([user for e in rows for user in (e.src_id, e.dst_id)])
        self.ensure_groups([e.group_id for e in rows if e.group_id is not None])
        gid = {group_id: i for i, group_id in enumerate(self._groups)}
        return self._events.add_records(rows, gid)

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
            for (user_id, group_id), (joined_at, role, left) in sorted(self._members.items()):
                yield Membership(user_id, group_id, joined_at, MemberRole(role), left)
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
            "interactions": self._events.pairs(),
            "interaction_events": self._events.events,
        }

    @collector_paused()
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
            [":START_ID(User)", ":END_ID(Group)", "joined_at:long", "role", "left_at:long"],
            (
                [u, g, _blank(at), role, _blank(left)]
                for (u, g), (at, role, left) in self._members.items()
            ),
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
            [["interaction_events", self._events.events], [LEDGER_MARKER, 1]],
        )
        files.nodes["EventLedger"] = _write(
            out, "ledger", ["slot:long", "keys:long[]"], self._events.ledger(ARRAY_DELIMITER)
        )
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
                "event_days:long[]",
                "day_counts:long[]",
                "day_weights:double[]",
                "chat_days:long[]",
            ],
            self._events.table(ARRAY_DELIMITER),
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
