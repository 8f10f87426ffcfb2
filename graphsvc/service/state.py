"""The service's own state, beside the graph store and independent of it: API keys (stored
hashed) and job records, in one small SQLite file, so every graph store behaves the same."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from graphsvc.errors import ConflictError, NotFoundError, shown
from graphsvc.store.sqlite.connections import SqliteConnections

__all__ = ["ApiKey", "Job", "JobStatus", "KeyRole", "ServiceState"]

KEY_PREFIX = "gsk_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, revoked_at REAL);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, params TEXT NOT NULL,
    stages TEXT NOT NULL, created_at REAL NOT NULL, started_at REAL, finished_at REAL,
    run_id TEXT, up_to_date INTEGER, error TEXT);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at REAL NOT NULL);
"""


class KeyRole(StrEnum):
    """API key roles, each allowed what the ones before it are."""

    READER = "reader"
    OPERATOR = "operator"
    ADMIN = "admin"

    def allows(self, needed: KeyRole) -> bool:
        order = list(KeyRole)
        return order.index(self) >= order.index(needed)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    role: KeyRole
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    status: JobStatus
    params: dict[str, Any]
    created_at: float
    stages: list[str] = field(default_factory=list)  # stage names as they started, in order
    started_at: float | None = None
    finished_at: float | None = None
    run_id: str | None = None
    up_to_date: bool | None = None
    error: str | None = None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ServiceState:
    """API keys and job records in one SQLite file; every thread gets its own connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._connections = SqliteConnections(
            self.path, purpose="service state", pragmas=("busy_timeout=10000",), mode=0o600
        )
        self._db.executescript(_SCHEMA)

    @property
    def _db(self) -> sqlite3.Connection:
        return self._connections.db

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._connections.transaction()

    # -- API keys -------------------------------------------------------------------------

    def create_key(self, role: KeyRole, name: str = "") -> tuple[ApiKey, str]:
        """A new key; returns its record and the secret, which is shown once and kept only
        as a SHA-256 hash (the secret has 256 random bits, so no salt or stretching)."""
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(secrets.token_hex(4), name, KeyRole(role), time.time())
        with self._tx() as db:
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                (key.key_id, key.name, key.role.value, _hash(secret), key.created_at),
            )
        return key, secret

    def api_keys(self) -> list[ApiKey]:
        rows = self._db.execute(
            "SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at"
        )
        return [ApiKey(k, n, KeyRole(r), c, v) for k, n, r, c, v in rows]

    def revoke_key(self, key_id: str) -> None:
        with self._tx() as db:
            found = db.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE key_id = ?",
                (time.time(), key_id),
            ).rowcount
        if not found:
            raise NotFoundError(f"no API key {shown(key_id)}: see `graphsvc apikey list`")

    def authenticate(self, secret: str) -> ApiKey | None:
        """The live key with this secret, or None."""
        digest = _hash(secret)
        row = self._db.execute(
            "SELECT key_id, name, role, created_at, key_hash FROM api_keys "
            "WHERE key_hash = ? AND revoked_at IS NULL",
            (digest,),
        ).fetchone()
        if row is None or not hmac.compare_digest(row[4], digest):
            return None
        return ApiKey(row[0], row[1], KeyRole(row[2]), row[3])

    # -- jobs -----------------------------------------------------------------------------

    def create_job(self, kind: str, params: dict[str, Any]) -> Job:
        """A queued job, or ConflictError while another job of ``kind`` is queued or running
        (checked and inserted in one transaction)."""
        job = Job(f"job-{secrets.token_hex(6)}", kind, JobStatus.QUEUED, params, time.time())
        with self._tx() as db:
            busy = db.execute(
                "SELECT job_id FROM jobs WHERE kind = ? AND status IN (?, ?)", (kind, *ACTIVE)
            ).fetchone()
            if busy:
                raise ConflictError(
                    f"{kind} job {busy[0]} is still running: wait for it (GET /api/v1/jobs/"
                    f"{busy[0]}) before starting another"
                )
            db.execute(
                "INSERT INTO jobs (job_id, kind, status, params, stages, created_at) "
                "VALUES (?, ?, ?, ?, '[]', ?)",
                (job.job_id, kind, job.status.value, json.dumps(params), job.created_at),
            )
        return job

    def update_job(self, job_id: str, **changes: Any) -> None:
        """Set fields of a job (status, started_at, finished_at, run_id, up_to_date, error)."""
        names = ", ".join(f"{name} = ?" for name in changes)
        values = [v.value if isinstance(v, StrEnum) else v for v in changes.values()]
        with self._tx() as db:
            db.execute(f"UPDATE jobs SET {names} WHERE job_id = ?", (*values, job_id))

    def add_stage(self, job_id: str, stage: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET stages = json_insert(stages, '$[#]', ?) WHERE job_id = ?",
                (stage, job_id),
            )

    def job(self, job_id: str) -> Job:
        row = self._db.execute(f"SELECT {_JOB_FIELDS} FROM jobs WHERE job_id = ?", (job_id,))
        found = row.fetchone()
        if found is None:
            raise NotFoundError(f"no job {shown(job_id)}")
        return _job(found)

    def recent_jobs(self, limit: int = 20) -> list[Job]:
        """The newest ``limit`` jobs, newest first."""
        rows = self._db.execute(
            f"SELECT {_JOB_FIELDS} FROM jobs ORDER BY created_at DESC, job_id LIMIT ?", (limit,)
        )
        return [_job(row) for row in rows]

    def interrupt_jobs(self, reason: str) -> int:
        """Mark every queued or running job failed with ``reason`` (at start-up: their process
        is gone); return how many."""
        with self._tx() as db:
            return db.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE status IN (?, ?)",
                (JobStatus.FAILED.value, reason, time.time(), *ACTIVE),
            ).rowcount

    # -- secrets --------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """A random 256-bit secret called ``name`` (e.g. the dashboard's session-signing key),
        created on first use and kept, so every server process on this state shares it."""
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO secrets VALUES (?, ?, ?)",
                (name, secrets.token_urlsafe(32), time.time()),
            )
            return db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()[0]

    def close(self) -> None:
        self._connections.close()


_JOB_FIELDS = (
    "job_id, kind, status, params, created_at, stages, started_at, finished_at, run_id, "
    "up_to_date, error"
)


def _job(row: tuple) -> Job:
    job_id, kind, status, params, created, stages, started, finished, run, fresh, err = row
    return Job(
        job_id,
        kind,
        JobStatus(status),
        json.loads(params),
        created,
        json.loads(stages),
        started,
        finished,
        run,
        None if fresh is None else bool(fresh),
        err,
    )
