"""Neo4j commands of the ``graphsvc`` CLI: ``db init``, ``db import`` and ``cypher``.

The store URI comes from the settings in the click context (``ctx.obj.settings.store``);
credentials from the URI's userinfo or NEO4J_USER / NEO4J_PASSWORD (see ``open_neo4j``).
``cypher`` runs only what ``graphsvc.store.cypher_guard`` allows, within a time and row limit.
"""

from __future__ import annotations

import json
import math
import re
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
import neo4j
from neo4j.exceptions import ClientError

from graphsvc.admin.local import LocalInstance
from graphsvc.cli.inputs import chosen_inputs, input_options, progress
from graphsvc.cli.output import echo_rows, format_option
from graphsvc.config import Neo4jSettings
from graphsvc.errors import ConfigError, InputError, shown
from graphsvc.ingest import OnError
from graphsvc.store import NEO4J_SCHEMES
from graphsvc.store.cypher_guard import WRITES, plan_refusal, text_refusal
from graphsvc.store.neo4j import Neo4jStore, neo4j_login

__all__ = ["cypher_command", "db_group", "parse_param", "run_cypher"]

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.I)


def parse_param(text: str) -> tuple[str, Any]:
    """``k=v`` with v typed: integers, floats, true/false, null; anything else is a string
    (quote it, ``k='42'``, to keep digits a string)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"--param {shown(text)}: write name=value")
    name = name.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return name, value[1:-1]
    if _INT.fullmatch(value):
        return name, int(value)
    if _FLOAT.fullmatch(value):
        return name, float(value)
    lowered = value.lower()
    if lowered in ("true", "false"):
        return name, lowered == "true"
    if lowered == "null":
        return name, None
    return name, value


def _login_from(ctx: click.Context) -> tuple[str, str, str, str]:
    """URI, user, password and database of the Neo4j store the settings name."""
    uri = ctx.obj.settings.store if ctx.obj is not None else ""
    if uri.split("://", 1)[0] not in NEO4J_SCHEMES:
        raise ConfigError(
            f"store {uri!r} is not Neo4j: set GRAPHSVC_STORE=bolt://127.0.0.1:7687 "
            "(or pass --store)"
        )
    return neo4j_login(uri, ctx.obj.settings.neo4j)


def _store_from(ctx: click.Context) -> Neo4jStore:
    return Neo4jStore(*_login_from(ctx), connect_timeout=ctx.obj.settings.neo4j.connect_timeout)


def _plain(value: Any) -> Any:
    """Bolt values as JSON-friendly Python: nodes and relationships as property maps."""
    if isinstance(value, neo4j.graph.Node):
        return {"_labels": sorted(value.labels), **{k: _plain(v) for k, v in value.items()}}
    if isinstance(value, neo4j.graph.Relationship):
        return {"_type": value.type, **{k: _plain(v) for k, v in value.items()}}
    if isinstance(value, neo4j.graph.Path):
        return [_plain(n) for n in value.nodes]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value


_READ_ONLY = "this statement writes, and `graphsvc cypher` is read-only: add --write"


def run_cypher(
    store: Neo4jStore,
    query: str,
    params: dict[str, Any],
    *,
    write: bool = False,
    timeout: float = Neo4jSettings.cypher_timeout,
    max_rows: int = Neo4jSettings.cypher_max_rows,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one statement that ``cypher_guard`` allows, in a READ transaction (a WRITE one if
    ``write``) of at most ``timeout`` seconds (0: no limit) returning at most ``max_rows``
    rows. Returns the column names and the rows."""

    @neo4j.unit_of_work(timeout=timeout)
    def work(tx: neo4j.ManagedTransaction) -> tuple[list[str], list[dict[str, Any]]]:
        result = tx.run(query, params)
        rows: list[dict[str, Any]] = []
        for record in result:
            if len(rows) == max_rows:
                raise InputError(
                    f"the statement returns more than {max_rows:,} rows: add LIMIT, or raise "
                    "--max-rows (GRAPHSVC_CYPHER_MAX_ROWS)"
                )
            rows.append({k: _plain(v) for k, v in record.items()})
        return list(result.keys()), rows

    access = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
    try:
        with store.session.errors(), store.session.session(default_access_mode=access) as session:
            refused = _refusal(session, query, params, store.database, write)
            if refused == WRITES:
                raise InputError(_READ_ONLY)
            if refused:
                raise InputError(
                    f"`graphsvc cypher` refuses {refused}; see the README's Security section"
                )
            if write:
                return session.execute_write(work)
            return session.execute_read(work)
    except ClientError as e:
        code = e.code or ""
        if not write and ("AccessMode" in code or "ForbiddenOnReadOnly" in code):
            raise InputError(_READ_ONLY) from e
        if "TransactionTimedOut" in code:
            raise InputError(
                f"the statement ran longer than {timeout:g} s and was stopped: raise --timeout "
                "(GRAPHSVC_CYPHER_TIMEOUT)"
            ) from e
        raise InputError(f"Cypher failed: {_first_line(e.message or '')} ({code})") from e


_EXPLAIN = "EXPLAIN "
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")


def _first_line(message: str) -> str:
    """A server message's first line, its position in the statement without our EXPLAIN."""

    def unshifted(m: re.Match[str]) -> str:
        line, column, offset = (int(g) for g in m.groups())
        column -= len(_EXPLAIN) if line == 1 else 0
        return f"(line {line}, column {column} (offset: {max(0, offset - len(_EXPLAIN))}))"

    head = message.splitlines()[0] if message else ""
    return _POSITION.sub(unshifted, head)


def _refusal(
    session: neo4j.Session, query: str, params: dict[str, Any], database: str, write: bool
) -> str | None:
    """What the guard refuses in ``query`` (its plan first, then its text), or None."""
    builtins = frozenset(
        record["name"].lower()
        for record in session.run("SHOW FUNCTIONS YIELD name, isBuiltIn WHERE isBuiltIn")
    )
    summary = session.run(_EXPLAIN + query, params).consume()
    plan = summary.plan if isinstance(summary.plan, dict) else None
    return plan_refusal(
        summary.query_type, plan, database=database, write=write, builtins=builtins
    ) or text_refusal(query, database=database, builtins=builtins)


@click.group("db")
def db_group() -> None:
    """Neo4j database administration."""


@db_group.command("init")
@click.pass_context
def db_init(ctx: click.Context) -> None:
    """Create the constraints and indexes of cypher/schema.cypher (idempotent)."""
    store = _store_from(ctx)
    try:
        store.init_schema()
        click.echo(f"schema applied to {store.uri} (database {store.database})")
    finally:
        store.close()


@db_group.command("import")
@input_options
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Home of the local server (default: scripts/neo4j's, $NEO4J_HOME_DIR or its install).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace a database that holds data (everything in it, analysis runs included).",
)
@click.pass_context
def db_import(
    ctx: click.Context,
    inputs: tuple[Path, ...],
    encoding: str | None,
    on_error: OnError,
    rejects: Path | None,
    home: Path | None,
    overwrite: bool,
    **files: Path | None,
) -> None:
    """First load of a big graph into the local Neo4j, with neo4j-admin database import.

    Reads and validates the input like `graphsvc load`, stops the local server (a
    scripts/neo4j home), imports, starts it again and applies the schema. Refused if the
    database holds data, unless --overwrite; a failed import leaves it as it was. Later
    loads go through `graphsvc load`.
    """
    from graphsvc.admin.bulk_import import bulk_import

    chosen = chosen_inputs(inputs, files)
    uri, user, password, database = _login_from(ctx)
    instance = LocalInstance.of_home(home, password)
    started = time.perf_counter()
    total = sum(path.stat().st_size for path in chosen.values())
    timeout = ctx.obj.settings.neo4j.connect_timeout
    with (
        Neo4jStore(uri, user, password, database, connect_timeout=timeout) as store,
        ExitStack() as reading,
    ):
        bar: Any = None

        def on_stage(name: str) -> None:
            nonlocal bar
            reading.close()  # the read stage's progress bar ends with it
            click.echo(f"  {time.perf_counter() - started:7.1f}s  {name}", err=True)
            if name == "read":
                bar = reading.enter_context(progress("  reading", total))

        report = bulk_import(
            chosen,
            store,
            instance,
            overwrite=overwrite,
            encoding=encoding,
            on_error=on_error,
            rejects=rejects,
            on_stage=on_stage,
            on_bytes=lambda n: bar.update(n),
        )
    click.echo(report.summary())


@click.command("cypher")
@click.argument("query", required=False)
@click.option(
    "-f",
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the statement from a .cypher file (e.g. cypher/queries/top_kols.cypher).",
)
@click.option("--param", "-p", "params", multiple=True, help="name=value (typed); repeatable.")
@format_option
@click.option(
    "--write", is_flag=True, help="Allow the statement to write data (default: read-only)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    help="Seconds the statement may run, 0 for no limit [default: GRAPHSVC_CYPHER_TIMEOUT, 60].",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    help="Rows it may return [default: GRAPHSVC_CYPHER_MAX_ROWS, 10000].",
)
@click.pass_context
def cypher_command(
    ctx: click.Context,
    query: str | None,
    path: Path | None,
    params: tuple[str, ...],
    fmt: str,
    write: bool,
    timeout: float | None,
    max_rows: int | None,
) -> None:
    """Run a Cypher statement against the Neo4j store (read-only unless --write).

    Refused, with or without --write: administration and schema commands, LOAD CSV, and
    procedures other than the db.* schema readers (README, Security).

    \b
    graphsvc cypher "MATCH (u:User) RETURN count(u) AS users"
    graphsvc cypher -f cypher/queries/top_kols.cypher -p limit=20 --format json
    """
    if (query is None) == (path is None):
        raise click.UsageError("give a QUERY or -f FILE (one of them)")
    text = path.read_text(encoding="utf-8") if path is not None else query
    values = dict(parse_param(p) for p in params)
    settings = ctx.obj.settings
    store = _store_from(ctx)
    try:
        columns, rows = run_cypher(
            store,
            text or "",
            values,
            write=write,
            timeout=settings.neo4j.cypher_timeout if timeout is None else timeout,
            max_rows=settings.neo4j.cypher_max_rows if max_rows is None else max_rows,
        )
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        echo_rows(rows, columns, fmt)
