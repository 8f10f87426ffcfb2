"""One tree of errors, mapped once: to exit codes in the CLI and to problem+json in the API."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConflictError",
    "GraphsvcError",
    "InputError",
    "NoRunError",
    "NotFoundError",
    "StoreError",
    "shown",
]


class GraphsvcError(Exception):
    """Base of every error graphsvc raises on purpose; the message is for a person."""

    exit_code, status, title = 1, 500, "Internal error"


class InputError(GraphsvcError):
    """Input data is malformed: names file, line, field and the problem."""

    exit_code, status, title = 65, 422, "Invalid input"  # EX_DATAERR


class ConfigError(GraphsvcError):
    """A setting (environment, option) has a bad value."""

    exit_code, status, title = 78, 400, "Invalid configuration"  # EX_CONFIG


class NotFoundError(GraphsvcError):
    """An id (user, community, group, run) does not exist."""

    exit_code, status, title = 66, 404, "Not found"  # EX_NOINPUT


class NoRunError(NotFoundError):
    """The store has no analysis run yet; the CLI and the API each add how to start one."""

    def __init__(self, message: str = "no analysis run yet") -> None:
        super().__init__(message)


class ConflictError(GraphsvcError):
    """The request conflicts with the current state (e.g. an analysis is already running)."""

    exit_code, status, title = 75, 409, "Conflict"  # EX_TEMPFAIL


class StoreError(GraphsvcError):
    """The store cannot be reached or refused an operation."""

    exit_code, status, title = 69, 503, "Store unavailable"  # EX_UNAVAILABLE


def shown(value: object, limit: int = 80) -> str:
    """Input echoed in a message, quoted as ``repr`` does (so on one line), and past ``limit``
    characters cut with its length: a 100 kB id reads 'u00000…'…(100,000 chars)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}…({len(value):,} chars)"
    text = repr(value)
    return text if len(text) <= limit + 2 else f"{text[:limit]}…({len(text):,} chars)"
