"""Loading data over HTTP: one CSV, NDJSON or Parquet body per request, validated as the CLI
does."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from werkzeug.exceptions import UnsupportedMediaType

from graphsvc import ingest
from graphsvc.api.auth import requires
from graphsvc.api.deps import arg, choice, store
from graphsvc.errors import shown
from graphsvc.model import Entity
from graphsvc.service.state import KeyRole

__all__ = ["bp"]

bp = Blueprint("ingest", __name__)

FORMATS = {
    "text/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/vnd.apache.parquet": "parquet",
}
ENTITIES = "<any({}):entity>".format(", ".join(e.value for e in Entity))


@bp.post(f"/ingest/{ENTITIES}")
@requires(KeyRole.OPERATOR)
def load(entity: str) -> dict[str, Any]:
    """Validate and load the body; any bad row is a 422 naming each (``on_error=fail``, the
    default), or is skipped and listed in the report (``on_error=skip``)."""
    fmt = FORMATS.get(request.mimetype)
    if fmt is None:
        raise UnsupportedMediaType(
            f"send Content-Type {', '.join(FORMATS)}, not {shown(request.mimetype or 'nothing')}"
        )
    on_error = arg("on_error", choice(("fail", "skip")), "fail", " (fail or skip)")
    report = ingest.load_stream(
        Entity(entity), request.stream, store(), name=f"{entity}.{fmt}", fmt=fmt, on_error=on_error
    )
    return report.as_dict()
