"""Ingest: read CSV / JSON Lines inputs (UTF-8, UTF-8 with BOM, GBK), validate every row,
resolve referral conflicts and cycles, and write to a store in batches.

Bad input raises ``graphsvc.errors.InputError`` and nothing else.
"""

from __future__ import annotations

from graphsvc.ingest.load import (
    BATCH_ROWS,
    OnError,
    discover,
    entity_of,
    load_files,
    load_stream,
)
from graphsvc.ingest.report import EntityReport, LoadReport

__all__ = [
    "BATCH_ROWS",
    "EntityReport",
    "LoadReport",
    "OnError",
    "discover",
    "entity_of",
    "load_files",
    "load_stream",
]
