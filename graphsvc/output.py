"""Print rows as an aligned table, JSON or CSV (the CLI's ``--format``)."""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["FORMATS", "plain", "render"]

FORMATS = ("table", "json", "csv")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):  # six significant digits, never scientific notation
        return np.format_float_positional(value, precision=6, fractional=False, trim="-")
    return str(value)


def plain(value: Any) -> Any:
    """JSON-safe, nested: numpy scalars become Python numbers, NaN and infinities null (JSON
    has neither), tuples lists; dicts and lists are converted throughout."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True))

    body = [line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(s.rstrip() for s in body)


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    """Rows (dicts) restricted to ``columns``, as ``table``, ``json`` or ``csv`` text."""
    if fmt == "json":
        clean = [{c: plain(row.get(c)) for c in columns} for row in rows]
        return json.dumps(clean, ensure_ascii=False, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        return buffer.getvalue().rstrip("\n")
    if fmt == "table":
        return _table(rows, columns)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
