"""Input bytes to rows: sources, encoding detection, CSV and JSON Lines tables.

A table yields ``(line, raw)`` pairs; ``align(raw)`` turns one into strings aligned with the
schema's fields (or raises RowError); ``text(raw)`` gives the row back for a rejects file.
Whole-file problems (binary data, no header, missing columns, undecodable bytes, a CSV field
past MAX_FIELD_CHARS) raise InputError with one line naming the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graphsvc.errors import InputError, shown
from graphsvc.ingest.validate import RowError, Schema
from graphsvc.jsontext import parse_json
from graphsvc.model import Entity

__all__ = [
    "FORMATS",
    "MAX_FIELD_CHARS",
    "TOO_LONG",
    "Format",
    "Source",
    "Table",
    "check_columns",
    "csv_line",
    "detect_encoding",
    "encoding_label",
    "open_table",
    "parquet_batches",
    "path_source",
    "stream_source",
]

Format = Literal["csv", "jsonl", "parquet"]
FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}

MAX_FIELD_CHARS = 128 * 1024  # the longest value (or name) of any field, in any format
csv.field_size_limit(MAX_FIELD_CHARS)
TOO_LONG = f"longer than {MAX_FIELD_CHARS:,} characters, the limit for any field"
_CHUNK = 1 << 20
_SPOOL = 64 << 20  # request bodies larger than this spill to a temporary file
_AUTO = ("utf-8-sig", "gbk")
_NOT_TEXT = "not CSV or JSON Lines text"
_MAGIC = {
    b"PK\x03\x04": f"a ZIP archive (an Excel .xlsx workbook?), {_NOT_TEXT}; save the sheet as CSV",
    b"\xd0\xcf\x11\xe0": f"an Excel .xls workbook, {_NOT_TEXT}; save the sheet as CSV",
    b"\x1f\x8b": "gzip-compressed; decompress it first",
    b"\xff\xfe": "UTF-16 text; save it as UTF-8 or pass the encoding utf-16",
    b"\xfe\xff": "UTF-16 text; save it as UTF-8 or pass the encoding utf-16",
    b"SQLite format 3\x00": f"a SQLite database, {_NOT_TEXT}",
}
_NO_EXTRAS: dict[str, str] = {}
_PARQUET_ROWS = 1 << 20
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class Source:
    """One input: what it holds, a name for messages, its format, and how to (re)open it."""

    entity: Entity
    name: str
    fmt: Format
    size: int
    opener: Callable[[], AbstractContextManager[BinaryIO]]


class Table(Protocol):
    """Rows of one input, each ``(line, raw)``; ``align`` and ``text`` interpret a raw row."""

    def rows(self) -> Iterator[tuple[int, Any]]: ...

    def align(self, raw: Any) -> tuple[Sequence[str], dict[str, str]]: ...

    def text(self, raw: Any) -> str: ...


def path_source(entity: Entity, path: Path) -> Source:
    """A file; its format comes from the extension (.csv, .jsonl, .ndjson, .parquet)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown file type {path.suffix!r}; use .csv, .jsonl, .ndjson or .parquet"
        )
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return Source(entity, str(path), fmt, path.stat().st_size, lambda: _open_path(path))


@contextmanager
def stream_source(entity: Entity, data: bytes | BinaryIO, name: str, fmt: str) -> Iterator[Source]:
    """Bytes or a binary stream (a request body), spooled so it can be read twice."""
    if fmt not in ("csv", "jsonl", "parquet"):
        raise InputError(f"{name}: unknown format {fmt!r}; use csv, jsonl or parquet")
    if isinstance(data, bytes | bytearray | memoryview):
        yield Source(entity, name, fmt, len(data), lambda: io.BytesIO(data))
        return
    with tempfile.SpooledTemporaryFile(_SPOOL) as spool:
        shutil.copyfileobj(data, spool, _CHUNK)
        yield Source(entity, name, fmt, spool.tell(), lambda: _rewound(spool))


@contextmanager
def _open_path(path: Path) -> Iterator[BinaryIO]:
    try:
        handle = path.open("rb")
    except OSError as err:
        raise InputError(f"{path}: {err.strerror}") from None
    with handle:
        yield handle


@contextmanager
def _rewound(spool: Any) -> Iterator[BinaryIO]:
    spool.seek(0)
    yield spool


def csv_line(values: Sequence[Any]) -> str:
    """One row as a CSV line (without its line end), as a rejects file shows it; a value
    holding a line break is quoted, so the line reads back as one row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()[:-2]


def encoding_label(encoding: str) -> str:
    """The encoding as people name it (a BOM is a detail)."""
    return encoding.removesuffix("-sig")


def detect_encoding(source: Source, forced: str | None = None) -> str:
    """The codec to read ``source`` with: ``forced`` if given, else the first of UTF-8 (with
    or without BOM) and GBK that decodes the first line holding non-ASCII bytes. Reading
    then refuses any line that codec cannot decode: text valid in one encoding is never
    decoded in another. NUL bytes mean binary. Parquet is binary and typed: "binary"."""
    if source.fmt == "parquet":
        return "binary"
    if forced:
        try:
            codec = codecs.lookup(forced).name
        except LookupError:
            raise InputError(f"{source.name}: unknown encoding {forced!r}") from None
        return "utf-8-sig" if codec == "utf-8" else codec
    offset = lines = 0
    with source.opener() as handle:
        while chunk := handle.read(_CHUNK):
            if offset == 0:
                for magic, what in _MAGIC.items():
                    if chunk.startswith(magic):
                        raise InputError(f"{source.name}: {what}")
            if b"\0" in chunk:
                raise InputError(f"{source.name}: binary data (NUL bytes), {_NOT_TEXT}")
            if not chunk.isascii():
                break
            offset += len(chunk)
            lines += chunk.count(b"\n")
        else:
            return "utf-8-sig"
    start = _NON_ASCII.search(chunk).start()  # type: ignore[union-attr]
    first = chunk[: chunk.find(b"\n", start) + 1 or len(chunk)]  # through that line
    errors = []
    for encoding in _AUTO:
        try:
            codecs.getincrementaldecoder(encoding)().decode(first)
        except UnicodeDecodeError as err:
            errors.append(err)
            continue
        return encoding
    furthest = max(errors, key=lambda err: err.start)
    line = lines + chunk.count(b"\n", 0, start) + 1
    bad = chunk[furthest.start : furthest.end]
    raise InputError(
        f"{source.name}:{line}: neither UTF-8 nor GBK text (bytes {bad!r}); "
        "pass the file's encoding"
    )


@contextmanager
def open_table(
    source: Source,
    schema: Schema,
    encoding: str,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Table]:
    """Open ``source`` as a table, its header (or first object) checked against ``schema``;
    ``on_bytes(n)`` is called as bytes are consumed."""
    with source.opener() as handle:
        counted = io.BufferedReader(_Counted(handle, on_bytes), _CHUNK)
        if source.fmt == "parquet":
            yield _ParquetTable(parquet_batches(source, schema, on_bytes, handle), schema)
            return
        with io.TextIOWrapper(counted, encoding=encoding, newline="") as text:
            kind = _CsvTable if source.fmt == "csv" else _JsonlTable
            yield kind(source, encoding, text, schema)


class _Counted(io.RawIOBase):
    """A raw stream over ``handle`` that reports each read's size."""

    def __init__(self, handle: BinaryIO, on_bytes: Callable[[int], None] | None) -> None:
        self._handle, self._on_bytes = handle, on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._handle.readinto(buffer)  # type: ignore[attr-defined]
        if n and self._on_bytes:
            self._on_bytes(n)
        return n


def _read_error(source: Source, encoding: str, line: int, err: Exception) -> InputError:
    if isinstance(err, UnicodeDecodeError):
        line = _undecodable_line(source, encoding)
        bad = err.object[err.start : err.end]
        return InputError(
            f"{source.name}:{line}: not valid {encoding_label(encoding)} text (bytes {bad!r}); "
            "pass the file's encoding"
        )
    if "field limit" in str(err):
        return InputError(f"{source.name}:{line}: a field is {TOO_LONG}; unbalanced quotes?")
    return InputError(f"{source.name}:{line}: unreadable CSV ({err}); unbalanced quotes?")


def _undecodable_line(source: Source, encoding: str) -> int:
    """The exact line of the first undecodable bytes (rescans; only on the error path)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with source.opener() as handle:
        for number, line in enumerate(handle, 1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return 1


def check_columns(source: Source, line: int, columns: list[str], schema: Schema) -> None:
    missing = [f for f in schema.required if f not in columns]
    if missing:
        found = ", ".join(repr(c[:60]) for c in columns[:12]) or "nothing"
        plural = "s" if len(missing) > 1 else ""
        message = (
            f"{source.name}:{line}: missing required column{plural} {', '.join(missing)} "
            f"(required: {', '.join(schema.required)}; found: {found})"
        )
        sep = next((s for s in ";\t|" if len(columns) == 1 and s in columns[0]), None)
        if sep:
            message += f"; is the file separated by {sep!r} instead of ','?"
        raise InputError(message)
    twice = next((f for f in schema.fields if columns.count(f) > 1), None)
    if twice:
        raise InputError(f"{source.name}:{line}: column {twice} appears more than once")


class _CsvTable:
    """CSV with a header row; line numbers count physical lines (the header is line 1)."""

    def __init__(self, source: Source, encoding: str, text: io.TextIOWrapper, schema: Schema):
        self._source, self._encoding = source, encoding
        self._reader = csv.reader(text)
        try:
            header = next((row for row in self._reader if row), None)
        except (UnicodeDecodeError, csv.Error) as err:
            raise _read_error(source, encoding, self._reader.line_num + 1, err) from None
        if header is None:
            needed = ", ".join(schema.required)
            raise InputError(f"{source.name}: empty file; expected a header row with {needed}")
        columns = [c.strip() for c in header]
        check_columns(source, self._reader.line_num, columns, schema)
        self._width = len(columns)
        self._pad = any(f not in columns for f in schema.fields)
        index = {c: i for i, c in enumerate(columns)}
        order = [index.get(f, self._width) for f in schema.fields]
        # every schema has ≥ 2 fields, so itemgetter returns a tuple
        self._pick = None if order == list(range(self._width)) else itemgetter(*order)
        known = set(schema.fields)
        self._extras = (
            [(c, i) for i, c in enumerate(columns) if c and c not in known] if schema.extras else []
        )

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        line = reader.line_num
        try:
            for row in reader:
                if row:
                    yield line + 1, row
                line = reader.line_num
        except (UnicodeDecodeError, csv.Error) as err:
            raise _read_error(self._source, self._encoding, line + 1, err) from None

    def align(self, row: list[str]) -> tuple[Sequence[str], dict[str, str]]:
        if len(row) != self._width:
            raise RowError(
                None, f"expected {self._width} fields as in the header, found {len(row)}"
            )
        extras = {c: row[i] for c, i in self._extras if row[i]} if self._extras else _NO_EXTRAS
        if self._pick is None:  # the header is the schema's fields, in order
            return row, extras
        return self._pick([*row, ""] if self._pad else row), extras

    def text(self, row: list[str]) -> str:
        return csv_line(row)


class _JsonlTable:
    """JSON Lines: one object per line with the CSV field names; blank lines are skipped."""

    def __init__(self, source: Source, encoding: str, text: io.TextIOWrapper, schema: Schema):
        self._source, self._encoding = source, encoding
        self._lines = enumerate(text, 1)
        try:
            first = next(((n, line) for n, line in self._lines if line.strip()), None)
        except UnicodeDecodeError as err:
            raise _read_error(source, encoding, 1, err) from None
        if first is None:
            raise InputError(f"{source.name}: empty file; expected one JSON object per line")
        number, line = first
        try:
            obj = _object(line)
        except RowError as err:
            raise InputError(
                f"{source.name}:{number}: not JSON Lines (one JSON object per line): {err.problem}"
            ) from None
        check_columns(source, number, list(obj), schema)
        self._first = first
        self._required = schema.required
        self._fields = schema.fields
        self._known = frozenset(schema.fields)
        self._extras = schema.extras

    def rows(self) -> Iterator[tuple[int, str]]:
        yield self._first
        number = self._first[0]
        try:
            for number, line in self._lines:
                if line.strip():
                    yield number, line
        except UnicodeDecodeError as err:
            raise _read_error(self._source, self._encoding, number + 1, err) from None

    def align(self, line: str) -> tuple[Sequence[str], dict[str, str]]:
        obj = _object(line)
        if missing := [f for f in self._required if f not in obj]:
            found = ", ".join(shown(k, 40) for k in list(obj)[:12]) or "none"
            raise RowError(missing[0], f"missing (keys found: {found})")
        get = obj.get
        values = [v if type(v := get(f)) is str else _scalar(v, f) for f in self._fields]
        extras = _NO_EXTRAS
        if self._extras:
            extras = {
                k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                for k, v in obj.items()
                if k not in self._known and v is not None
            }
        if len(line) > MAX_FIELD_CHARS:  # no field is longer than its line
            for field, value in (*zip(self._fields, values, strict=True), *extras.items()):
                if len(field) > MAX_FIELD_CHARS:
                    raise RowError(None, f"a field name is {TOO_LONG}")
                if len(value) > MAX_FIELD_CHARS:
                    raise RowError(field, TOO_LONG)
        return values, extras

    def text(self, line: str) -> str:
        return line.rstrip("\r\n")


def _object(line: str) -> dict[str, Any]:
    """One JSON object, strict (``graphsvc.jsontext``), or RowError; a lone surrogate is
    blamed on the field holding it."""
    try:
        obj = parse_json(line)
    except ValueError as err:
        if "\\ud" in line or "\\uD" in line:  # the only way to a lone surrogate
            _refuse_surrogates(line)
        raise RowError(None, f"bad JSON: {err}") from None
    if not isinstance(obj, dict):
        raise RowError(None, f"expected a JSON object, found {_shown(obj)}")
    return obj


def _refuse_surrogates(line: str) -> None:
    """RowError naming the first field of the object ``line`` whose name or value holds a
    lone surrogate (an escape like \\ud800 without its pair), if any (error path only)."""
    try:
        obj = json.loads(line)
        found = [(k, json.dumps(v, ensure_ascii=False)) for k, v in obj.items()]
    except (ValueError, AttributeError, RecursionError):  # not JSON, or not an object
        return
    for key, value in found:
        for field, text in ((None, key), (key, value)):
            try:
                text.encode()
            except UnicodeEncodeError as err:
                bad = text[err.start : err.end].encode("utf-8", "backslashreplace").decode()
                what = "not valid Unicode" if field else f"field name {key!r} is not valid Unicode"
                raise RowError(field, f"{what} (lone surrogate {bad})") from None


def _shown(value: Any) -> str:
    """The start of a JSON value, for a message."""
    text = json.dumps(value, ensure_ascii=False)[:40]
    return text.encode("utf-8", "backslashreplace").decode()


def _scalar(value: Any, field: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise RowError(field, f"expected a string or number, found {_shown(value)}")


ParquetBatch = tuple[list[str], dict[str, pa.Array], int]  # header, columns, first row number


def parquet_batches(
    source: Source,
    schema: Schema,
    on_bytes: Callable[[int], None] | None = None,
    handle: BinaryIO | None = None,
) -> Iterator[ParquetBatch]:
    """A Parquet input as batches of string columns (times as Unix seconds, nulls as "");
    rows are numbered from 1. The columns are checked before the first batch is yielded."""
    with nullcontext(handle) if handle is not None else source.opener() as opened:
        try:
            parquet = pq.ParquetFile(opened)
        except (pa.ArrowException, OSError) as err:
            raise InputError(f"{source.name}: not a Parquet file ({err})") from None
        header = parquet.schema_arrow.names
        check_columns(source, 1, header, schema)
        for column in parquet.schema_arrow:
            if not _plain_type(column.type):
                raise InputError(
                    f"{source.name}: column {column.name} holds {column.type}; "
                    "expected text, numbers or times"
                )
        row, total = 1, max(parquet.metadata.num_rows, 1)
        batches = parquet.iter_batches(batch_size=_PARQUET_ROWS)
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                columns = {n: _as_text(batch.column(n)) for n in header}
            except (pa.ArrowException, OSError) as err:
                raise InputError(f"{source.name}:{row}: unreadable Parquet ({err})") from None
            yield list(header), columns, row
            row += batch.num_rows
            if on_bytes:
                on_bytes(source.size * batch.num_rows // total)


def _plain_type(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return any(
        test(kind)
        for test in (
            pa.types.is_string,
            pa.types.is_large_string,
            pa.types.is_integer,
            pa.types.is_floating,
            pa.types.is_decimal,
            pa.types.is_timestamp,
            pa.types.is_date,
            pa.types.is_null,
        )
    )


def _as_text(column: pa.Array) -> pa.Array:
    """Strings as a CSV reader would see them: times as Unix seconds, nulls as ""."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_date(column.type):
        column = pc.cast(column, pa.timestamp("s"))
    if pa.types.is_timestamp(column.type):
        seconds = pc.cast(column, pa.timestamp("s", column.type.tz), safe=False)
        column = pc.cast(seconds, pa.int64())
    return pc.fill_null(pc.cast(column, pa.string()), "")


class _ParquetTable:
    """Parquet rows one at a time, for inputs read row by row; a row's text is its CSV."""

    def __init__(self, batches: Iterator[ParquetBatch], schema: Schema) -> None:
        self._batches = batches
        self._first = next(batches, None)  # checks the columns now
        self._header: list[str] = self._first[0] if self._first else []
        self._fields, self._known = schema.fields, frozenset(schema.fields)
        self._extras = schema.extras

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self._first is None:
            return
        for header, columns, row in itertools.chain([self._first], self._batches):
            self._header = header
            values = [columns[name].to_pylist() for name in header]
            for offset, raw in enumerate(zip(*values, strict=True)):
                yield row + offset, list(raw)

    def align(self, raw: list[str]) -> tuple[Sequence[str], dict[str, str]]:
        by_name = dict(zip(self._header, raw, strict=True))
        extras = {k: v for k, v in by_name.items() if k not in self._known and v}
        return [by_name.get(f, "") for f in self._fields], extras if self._extras else _NO_EXTRAS

    def text(self, raw: list[str]) -> str:
        return csv_line(raw)
