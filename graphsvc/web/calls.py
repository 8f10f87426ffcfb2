"""The API's answers, for pages: a request to an ``/api/v1`` route dispatched inside the
page's request, with the signed-in key, so every page sees exactly what the API says, through
its validation, roles and response cache."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, session

__all__ = ["api"]


def api(
    path: str,
    query: Mapping[str, Any] | None = None,
    method: str = "GET",
    body: dict[str, Any] | None = None,
) -> Any:
    """The JSON the API answers at ``/api/v1{path}``; its errors are raised as they are."""
    secret = session.get("key")
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    with current_app.test_request_context(
        f"/api/v1{path}", method=method, query_string=query, headers=headers, json=body
    ):
        response = current_app.make_response(current_app.dispatch_request())
    return response.get_json()
