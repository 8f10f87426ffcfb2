"""The Parquet seam between this process and an engine: numpy columns out as Parquet files
written in row groups, an engine's Parquet results back as numpy columns."""

from __future__ import annotations

__all__ = ["read_columns", "write_columns"]

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP = 1 << 20  # rows per Parquet row group: a chunk of memory on either side


def write_columns(path: Path, columns: dict[str, np.ndarray]) -> Path:
    """Write equal-length numpy columns as one Parquet file, a row group at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    length = len(next(iter(columns.values()))) if columns else 0
    schema = pa.schema([(name, pa.from_numpy_dtype(col.dtype)) for name, col in columns.items()])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, max(length, 1), ROW_GROUP):
            chunk = {name: col[start : start + ROW_GROUP] for name, col in columns.items()}
            writer.write_table(pa.table(chunk, schema=schema))
    return path


def read_columns(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """Columns ``names`` of a Parquet file or of a directory of part files (as Spark writes)
    as numpy arrays (nulls are not expected: every column an engine writes is complete)."""
    table = pq.read_table(path, columns=names)
    return {name: table.column(name).to_numpy() for name in names}
