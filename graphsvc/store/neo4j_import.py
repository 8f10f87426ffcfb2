"""Files for ``neo4j-admin database import full``: the fast path for a first load of a big graph.

The import tool writes a new database directly (the server stopped, or into a database that
is not running), several times faster than transactions (NEO4J.md: ~115k relationships/s vs
~20k). It cannot merge into an existing graph, so the rules the store applies on every write
are applied here, in Python, before writing: one user per id with a compact ``uid``, one
group per id with a ``gid``, one membership per (user, group), the earliest inviter per
invitee, and one INTERACTED relationship per (src, dst, kind) aggregating distinct events (with
their ``event_keys``, so later incremental loads through Neo4jStore stay idempotent).

After the import, start the server and call ``Neo4jStore.init_schema()``: it creates the
constraints and seeds the id sequences and the event counter from the imported data.

    files = write_import_files(out_dir, users=..., interactions=...)
    scripts/neo4j admin database import full {' '.join(files.arguments("neo4j"))}
"""

from __future__ import annotations

import csv
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from graphsvc.errors import ConfigError, StoreError
from graphsvc.model import (
    Group,
    Interaction,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    User,
    event_day,
)

__all__ = ["ImportFiles", "LocalInstance", "neo4j_script", "write_import_files"]

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
    with data.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return [head, data]


def write_import_files(
    directory: str | Path,
    *,
    users: Iterable[User] = (),
    groups: Iterable[Group] = (),
    memberships: Iterable[Membership] = (),
    referrals: Iterable[Referral] = (),
    interactions: Iterable[Interaction] = (),
) -> ImportFiles:
    """Write node and relationship CSV files (header files apart) for a first import.

    Ids referenced by edges or group owners but absent from ``users``/``groups`` become
    bare users/groups, as in the store. Later rows update earlier ones field by field.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files = ImportFiles(out)

    user_rows: dict[str, dict] = {}
    for u in users:
        row = user_rows.setdefault(u.user_id, {"attrs": {}})
        if u.name is not None:
            row["name"] = u.name
        if u.joined_at is not None:
            row["joined_at"] = u.joined_at
        row["attrs"].update(u.attributes)
    group_rows: dict[str, dict] = {}
    for g in groups:
        row = group_rows.setdefault(g.group_id, {})
        for name in ("name", "owner_id", "created_at"):
            if getattr(g, name) is not None:
                row[name] = getattr(g, name)
        if g.owner_id is not None:
            user_rows.setdefault(g.owner_id, {"attrs": {}})

    member_rows: dict[tuple[str, str], dict] = {}
    for m in memberships:
        user_rows.setdefault(m.user_id, {"attrs": {}})
        group_rows.setdefault(m.group_id, {})
        row = member_rows.setdefault((m.user_id, m.group_id), {})
        if m.joined_at is not None:
            row["joined_at"] = m.joined_at
        row["role"] = MemberRole(m.role).value

    best: dict[str, tuple[tuple[int, str], Referral]] = {}
    for r in referrals:
        user_rows.setdefault(r.inviter_id, {"attrs": {}})
        user_rows.setdefault(r.invitee_id, {"attrs": {}})
        order = (_NEVER if r.referred_at is None else r.referred_at, r.inviter_id)
        if r.invitee_id not in best or order < best[r.invitee_id][0]:
            best[r.invitee_id] = (order, r)

    edges: dict[tuple[str, str, int], list] = {}
    seen: set[int] = set()
    for e in interactions:
        if e.key in seen:
            continue
        seen.add(e.key)
        user_rows.setdefault(e.src_id, {"attrs": {}})
        user_rows.setdefault(e.dst_id, {"attrs": {}})
        kind = InteractionKind(e.kind).code
        agg = edges.get((e.src_id, e.dst_id, kind))
        if agg is None:
            agg = edges[(e.src_id, e.dst_id, kind)] = [0, 0.0, None, None, [], set()]
        agg[0] += 1
        agg[1] += e.weight
        if e.occurred_at is not None:
            agg[2] = e.occurred_at if agg[2] is None else min(agg[2], e.occurred_at)
            agg[3] = e.occurred_at if agg[3] is None else max(agg[3], e.occurred_at)
        agg[4].append(e.key)
        agg[5].add(event_day(e.occurred_at))

    attr_names = sorted({k for row in user_rows.values() for k in row["attrs"]})
    files.nodes["User"] = _write(
        out,
        "users",
        ["user_id:ID(User)", "uid:long", "name", "joined_at:long"]
        + [f"attr_{a}" for a in attr_names],
        (
            [user_id, i, row.get("name"), row.get("joined_at")]
            + [row["attrs"].get(a) for a in attr_names]
            for i, (user_id, row) in enumerate(user_rows.items())
        ),
    )
    files.nodes["Group"] = _write(
        out,
        "groups",
        ["group_id:ID(Group)", "gid:long", "name", "owner_id", "created_at:long"],
        (
            [gid, i, row.get("name"), row.get("owner_id"), row.get("created_at")]
            for i, (gid, row) in enumerate(group_rows.items())
        ),
    )
    files.relationships["MEMBER_OF"] = _write(
        out,
        "memberships",
        [":START_ID(User)", ":END_ID(Group)", "joined_at:long", "role"],
        ([u, g, row.get("joined_at"), row["role"]] for (u, g), row in member_rows.items()),
    )
    files.relationships["REFERRED"] = _write(
        out,
        "referrals",
        [":START_ID(User)", ":END_ID(User)", "referred_at:long", "campaign"],
        ([r.inviter_id, r.invitee_id, r.referred_at, r.campaign] for _, r in best.values()),
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
            "event_keys:long[]",
            "event_days:long[]",
        ],
        (
            [
                s,
                d,
                k,
                *a[:2],
                len(a[5]),
                *a[2:4],
                ARRAY_DELIMITER.join(map(str, a[4])),
                ARRAY_DELIMITER.join(map(str, sorted(a[5]))),
            ]
            for (s, d, k), a in edges.items()
        ),
    )
    files.counts = {
        "users": len(user_rows),
        "groups": len(group_rows),
        "memberships": len(member_rows),
        "referrals": len(best),
        "interactions": len(edges),
        "interaction_events": len(seen),
    }
    return files


def neo4j_script() -> Path:
    """``scripts/neo4j`` of this checkout (or $GRAPHSVC_NEO4J_SCRIPT)."""
    configured = os.environ.get("GRAPHSVC_NEO4J_SCRIPT")
    path = Path(configured) if configured else Path(__file__).resolve().parents[2] / "scripts/neo4j"
    if not path.is_file():
        raise ConfigError(f"{path} not found: set GRAPHSVC_NEO4J_SCRIPT to scripts/neo4j")
    return path


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

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "NEO4J_HOME_DIR": str(self.home),
            "NEO4J_BOLT_PORT": str(self.bolt_port),
            "NEO4J_HTTP_PORT": "off",
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
        if done.returncode not in (0, 3) or (done.returncode == 3 and args[0] != "status"):
            raise StoreError(
                f"scripts/neo4j {' '.join(args[:4])} exited {done.returncode}: "
                f"{done.stderr[-2000:]}"
            )
        return done

    def import_files(self, files: ImportFiles, database: str = "neo4j") -> str:
        """Run ``neo4j-admin database import full`` (the instance must be stopped)."""
        return self.run("admin", "database", "import", "full", *files.arguments(database)).stdout

    def start(self) -> None:
        self.run("start")

    def stop(self) -> None:
        self.run("stop")

    def running(self) -> bool:
        return self.run("status").returncode == 0
