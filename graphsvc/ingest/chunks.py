"""Inputs as columnar chunks: plain CSV parsed by pyarrow, Parquet row groups.

A chunk holds every column of the input as strings (``""`` for missing values), the line of
each row (its row number, from 1, in Parquet) and the rows that could not be split into the
header's fields. Plain CSV is CSV without quotes or blank lines, the shape exports take; any
other CSV raises NotPlain and is read row by row (``readers``), which knows every CSV rule.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from graphsvc.errors import InputError
from graphsvc.ingest.readers import (
    MAX_FIELD_CHARS,
    TOO_LONG,
    Source,
    check_columns,
    csv_line,
    encoding_label,
    parquet_batches,
)
from graphsvc.ingest.validate import Problem, Schema

__all__ = ["CHUNK_BYTES", "Chunk", "NotPlain", "chunks", "in_line_order"]

CHUNK_BYTES = 32 << 20  # plain CSV read at a time (split at a line end)
OnBytes = Callable[[int], None]


class NotPlain(Exception):
    """The CSV input has quotes or blank lines: read it row by row instead."""


@dataclass
class Chunk:
    """Consecutive rows of one input: ``columns`` (header order) as string arrays, the
    ``lines`` they start on, and the rows refused before any field was read."""

    header: list[str]
    columns: dict[str, pa.Array]
    lines: np.ndarray  # int64
    problems: list[Problem]

    def __len__(self) -> int:
        return len(self.lines)

    def field(self, name: str) -> pa.Array:
        """The column ``name``, or empty strings when the input has no such column."""
        column = self.columns.get(name)
        return column if column is not None else pa.array([""] * len(self), pa.string())

    def text(self, rows: np.ndarray) -> list[str]:
        """Rows ``rows`` as CSV lines (for the rejects file)."""
        values = [self.columns[c].take(pa.array(rows)).to_pylist() for c in self.header]
        return [csv_line(row) for row in zip(*values, strict=True)]


def in_line_order(
    chunk: Chunk,
    add_rows: Callable[[Chunk, Callable[[Problem], None]], int],
    on_problem: Callable[[Problem], None],
) -> int:
    """``add_rows(chunk, note)``, then the chunk's refused rows and the problems ``add_rows``
    noted, to ``on_problem`` in line order (also if ``add_rows`` raises). Returns rows read."""
    problems = list(chunk.problems)
    try:
        return add_rows(chunk, problems.append) + len(chunk.problems)
    finally:
        for problem in sorted(problems, key=lambda p: p.line):
            on_problem(problem)


def chunks(
    source: Source,
    schema: Schema,
    encoding: str,
    on_bytes: OnBytes | None = None,
) -> Iterator[Chunk]:
    """The chunks of ``source`` (plain CSV or Parquet). Raises NotPlain, before yielding
    anything wrong, at the first sign of CSV that is not plain."""
    if source.fmt == "parquet":
        yield from _parquet_chunks(source, schema, on_bytes)
    elif source.fmt == "csv":
        yield from _csv_chunks(source, schema, encoding, on_bytes, CHUNK_BYTES)
    else:
        raise NotPlain(source.fmt)


def _csv_chunks(
    source: Source, schema: Schema, encoding: str, on_bytes: OnBytes | None, chunk_bytes: int
) -> Iterator[Chunk]:
    codec = codecs.lookup(encoding).name
    utf8 = codec in ("utf-8", "utf-8-sig")
    with source.opener() as handle:
        pending = handle.read(chunk_bytes)
        if pending.startswith(codecs.BOM_UTF8) and utf8:
            pending = pending[len(codecs.BOM_UTF8) :]
        end = pending.find(b"\n")
        head = pending[: end + 1] if end >= 0 else pending
        if not head.strip() or b'"' in head:
            raise NotPlain("header")
        header = [c.strip() for c in head.decode(encoding).rstrip("\r\n").split(",")]
        check_columns(source, 1, header, schema)
        pending = pending[len(head) :]
        if on_bytes:
            on_bytes(len(head))
        line = 2
        while True:
            more = handle.read(chunk_bytes)
            cut = pending.rfind(b"\n") + 1 if more else len(pending)
            if more and cut == 0:  # one line longer than a chunk
                pending += more
                continue
            block, pending = pending[:cut], pending[cut:] + more
            if block:
                yield _csv_chunk(source, header, block, line, codec, utf8)
                line += block.count(b"\n") + (not block.endswith(b"\n"))
                if on_bytes:
                    on_bytes(len(block))
            if not more and not pending:
                return


def _csv_chunk(
    source: Source, header: list[str], block: bytes, line: int, codec: str, utf8: bool
) -> Chunk:
    if b'"' in block or b"\n\n" in block or b"\n\r\n" in block or block[:1] in (b"\n", b"\r"):
        raise NotPlain("quotes or blank lines")
    if block.count(b"\r") != block.count(b"\r\n"):
        raise NotPlain("bare carriage returns")
    try:
        text = block.decode(codec)
    except UnicodeDecodeError as err:
        at = line + block.count(b"\n", 0, err.start)
        bad = err.object[err.start : err.end]
        raise InputError(
            f"{source.name}:{at}: not valid {encoding_label(codec)} text (bytes {bad!r}); "
            "pass the file's encoding"
        ) from None
    refused: list[tuple[int, str, int]] = []

    def refuse(row: pa_csv.InvalidRow) -> str:
        if row.number is None:
            raise NotPlain("unnumbered row")
        refused.append((row.number, row.text, row.actual_columns))
        return "skip"

    try:
        table = pa_csv.read_csv(
            io.BytesIO(block if utf8 else text.encode()),
            read_options=pa_csv.ReadOptions(column_names=header, use_threads=False),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=refuse),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowException as err:  # the row reader says what is wrong, exactly
        raise NotPlain(str(err)) from None
    rows = block.count(b"\n") + (not block.endswith(b"\n"))
    lines = np.arange(line, line + rows, dtype=np.int64)
    problems = []
    if refused:
        skip = np.array([n - 1 for n, _, _ in refused])
        for number, raw, found in refused:
            problems.append(
                Problem(
                    source.name,
                    line + number - 1,
                    None,
                    f"expected {len(header)} fields as in the header, found {found}",
                    raw,
                )
            )
        lines = np.delete(lines, skip)
    if len(lines) != table.num_rows:
        raise NotPlain("rows and lines disagree")
    columns = {name: table.column(name).combine_chunks() for name in header if name}
    _check_lengths(source, columns, lines)
    return Chunk([h for h in header if h], columns, lines, problems)


def _check_lengths(source: Source, columns: dict[str, pa.Array], lines: np.ndarray) -> None:
    """A field longer than any field may be is a whole-file error, as the row reader says."""
    for column in columns.values():
        if len(column) and pc.max(pc.utf8_length(column)).as_py() > MAX_FIELD_CHARS:
            first = int(np.argmax(pc.utf8_length(column).to_numpy() > MAX_FIELD_CHARS))
            raise InputError(
                f"{source.name}:{lines[first]}: a field is {TOO_LONG}; unbalanced quotes?"
            )


def _parquet_chunks(source: Source, schema: Schema, on_bytes: OnBytes | None) -> Iterator[Chunk]:
    for header, columns, line in parquet_batches(source, schema, on_bytes):
        lines = np.arange(line, line + len(columns[header[0]]), dtype=np.int64)
        _check_lengths(source, columns, lines)
        yield Chunk(header, columns, lines, [])
