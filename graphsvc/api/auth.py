"""API keys: ``Authorization: Bearer KEY``, roles reader < operator < admin. No anonymous
writes, ever; anonymous reads only with GRAPHSVC_ANONYMOUS_READS=true."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from graphsvc.api.deps import settings, state
from graphsvc.errors import GraphsvcError
from graphsvc.service.state import ApiKey, KeyRole, ServiceState

__all__ = ["Forbidden", "Unauthorized", "api_key", "requires"]

F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(GraphsvcError):
    """No API key, or an unknown or revoked one (401, with WWW-Authenticate)."""

    exit_code, status, title = 77, 401, "Unauthorized"  # EX_NOPERM


class Forbidden(GraphsvcError):
    """The key's role does not allow this (403)."""

    exit_code, status, title = 77, 403, "Forbidden"


def api_key(
    state: ServiceState, header: str | None, role: KeyRole, anonymous: bool
) -> ApiKey | None:
    """The key an ``Authorization`` header names, if it may do what ``role`` may; None for
    no header when ``anonymous`` is allowed. Raises Unauthorized or Forbidden."""
    if header is None:
        if anonymous:
            return None
        raise Unauthorized(
            "send an API key as 'Authorization: Bearer KEY' "
            f"(create one with `graphsvc apikey create --role {role}`)"
        )
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("the Authorization header must be 'Bearer KEY'")
    key = state.authenticate(secret.strip())
    if key is None:
        raise Unauthorized("the API key is unknown or revoked")
    if not key.role.allows(role):
        raise Forbidden(f"this needs the {role} role; key {key.key_id} has the {key.role} role")
    return key


def authorize(role: KeyRole) -> None:
    """Raise unless the request may do what ``role`` may."""
    anonymous = role is KeyRole.READER and settings().anonymous_reads
    g.api_key = api_key(state(), request.headers.get("Authorization"), role, anonymous)


def requires(role: KeyRole) -> Callable[[F], F]:
    """Decorate a handler so it runs only for keys with ``role`` (or a higher one)."""

    def decorate(handler: F) -> F:
        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            authorize(role)
            return handler(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
