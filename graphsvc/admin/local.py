"""A local Neo4j server home run with ``scripts/neo4j``: start, stop, and bulk import of the
files ``admin.import_files`` writes (the server stopped)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from graphsvc.admin.import_files import ImportFiles
from graphsvc.config import Neo4jSettings
from graphsvc.errors import ConfigError, StoreError

__all__ = ["LocalInstance", "neo4j_script"]


def neo4j_script() -> Path:
    """``scripts/neo4j`` of this checkout (or GRAPHSVC_NEO4J_SCRIPT, see config)."""
    configured = Neo4jSettings.from_env().neo4j_script
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
