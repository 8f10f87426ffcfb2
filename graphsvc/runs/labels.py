"""Marketers' names for communities. Community ids are stable across runs, so a name given
to ``c-0042`` stays with that community in every later run that keeps the id."""

from __future__ import annotations

import unicodedata

from graphsvc.errors import InputError, NotFoundError, shown
from graphsvc.runs.current import current_run
from graphsvc.store.base import GraphStore

__all__ = ["MAX_LABEL_LENGTH", "label_community"]

MAX_LABEL_LENGTH = 200


def label_community(store: GraphStore, community_id: str, label: str | None) -> None:
    """Name a community of the current run (None removes the name).

    Raises NotFoundError for an id the current run does not have, InputError for an empty
    or overlong name or one with a control character (NUL, newline…) or lone surrogate.
    """
    run = current_run(store)
    if store.community_result(run.run_id, community_id) is None:
        raise NotFoundError(f"no community {shown(community_id)} in run {run.run_id}")
    if label is not None:
        label = label.strip()
        if not label or len(label) > MAX_LABEL_LENGTH:
            raise InputError(f"label: must be 1 to {MAX_LABEL_LENGTH} characters, got {len(label)}")
        bad = next((c for c in label if unicodedata.category(c) in ("Cc", "Cs")), None)
        if bad is not None:
            raise InputError(f"label: {bad!r} is a control character or lone surrogate, not text")
    store.set_community_label(community_id, label)
