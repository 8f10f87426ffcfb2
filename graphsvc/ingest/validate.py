"""Field parsing and per-row checks: one aligned row of text becomes a record or a RowError.

Rows arrive as strings aligned with ``Schema.fields`` (missing optional columns are ``""``),
plus the extra columns a schema keeps as attributes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphsvc.errors import shown
from graphsvc.model import (
    Entity,
    Group,
    InteractionKind,
    MemberRole,
    Membership,
    Referral,
    User,
)

__all__ = [
    "PARSERS",
    "SCHEMAS",
    "Event",
    "Parser",
    "Problem",
    "RowError",
    "Schema",
    "parse_time",
]

# An interaction before it gets its key: src_id, dst_id, kind, occurred_at, weight.
# src_id, dst_id, kind, occurred_at, weight, group_id
Event = tuple[str, str, InteractionKind, int | None, float, str | None]
Parser = Callable[[Sequence[str], dict[str, str]], Any]

_MAX_SECONDS = 10**11  # year 5138: anything larger is almost surely milliseconds
_TIMES: dict[str, int] = {}  # recently parsed timestamp texts (exports repeat them)
_TIMES_KEPT = 1 << 16
_KINDS = {kind.value: kind for kind in InteractionKind}
_ROLES = {role.value: role for role in MemberRole}


class RowError(ValueError):
    """One bad row: the field at fault (None for the row as a whole) and the problem."""

    def __init__(self, field: str | None, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad row located in its input; ``str()`` is the message a person reads."""

    source: str
    line: int
    field: str | None
    reason: str
    raw: str = ""

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return f"{self.source}:{self.line}: {field}{self.reason}"


@dataclass(frozen=True)
class Schema:
    """The columns of one kind of input file."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    extras: bool = False  # keep unknown columns (as user attributes)

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


SCHEMAS: dict[Entity, Schema] = {
    Entity.USERS: Schema(("user_id",), ("name", "joined_at"), extras=True),
    Entity.GROUPS: Schema(("group_id",), ("name", "owner_id", "created_at")),
    Entity.MEMBERSHIPS: Schema(("user_id", "group_id"), ("joined_at", "role", "left_at")),
    Entity.REFERRALS: Schema(("inviter_id", "invitee_id"), ("referred_at", "campaign")),
    Entity.INTERACTIONS: Schema(
        ("src_id", "dst_id", "kind"), ("occurred_at", "weight", "group_id")
    ),
}


def parse_time(text: str, field: str) -> int | None:
    """Unix seconds from ISO 8601 (offset or ``Z``; naive and date-only mean UTC) or from
    Unix seconds (int or float); ``None`` when empty."""
    if text.isdigit() and text.isascii():
        seconds = int(text)
    elif (cached := _TIMES.get(text)) is not None:
        return cached
    elif not text or text.isspace():
        return None
    else:
        seconds = _seconds(text, field)
    if abs(seconds) >= _MAX_SECONDS:
        raise RowError(field, f"timestamp {text} is too large for Unix seconds (milliseconds?)")
    if len(_TIMES) >= _TIMES_KEPT:
        _TIMES.clear()
    _TIMES[text] = seconds
    return seconds


def _seconds(text: str, field: str) -> int:
    value = text.strip()
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number) and "_" not in value:
            return math.floor(number)
        raise RowError(
            field,
            f"bad timestamp {shown(text)} (expected ISO 8601 like 2024-05-01T20:00:00+08:00, "
            "or Unix seconds)",
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return math.floor(stamp.timestamp())


def _id(text: str, field: str) -> str:
    value = text.strip()
    if not value:
        raise RowError(field, "empty id")
    return value


def _optional(text: str) -> str | None:
    return text.strip() or None


def _kind(text: str) -> InteractionKind:
    kind = _KINDS.get(text) or _KINDS.get(text.strip().lower())
    if kind is None:
        raise RowError(
            "kind", f"unknown interaction kind {shown(text)} (expected one of {', '.join(_KINDS)})"
        )
    return kind


def _role(text: str) -> MemberRole:
    if not text:
        return MemberRole.MEMBER
    role = _ROLES.get(text.strip().lower())
    if role is None:
        raise RowError("role", f"unknown role {shown(text)} (expected one of {', '.join(_ROLES)})")
    return role


def _weight(text: str) -> float:
    if not text:
        return 1.0
    try:
        weight = float(text)
    except ValueError:
        raise RowError("weight", f"not a number: {shown(text)}") from None
    if not 0 <= weight < math.inf:  # also refuses NaN
        raise RowError("weight", f"must be a finite number ≥ 0, got {shown(text)}")
    return weight


def _user(v: Sequence[str], extras: dict[str, str]) -> User:
    return User(_id(v[0], "user_id"), _optional(v[1]), parse_time(v[2], "joined_at"), extras)


def _group(v: Sequence[str], _: dict[str, str]) -> Group:
    return Group(
        _id(v[0], "group_id"), _optional(v[1]), _optional(v[2]), parse_time(v[3], "created_at")
    )


def _membership(v: Sequence[str], _: dict[str, str]) -> Membership:
    joined, left = parse_time(v[2], "joined_at"), parse_time(v[4], "left_at")
    check_stay(joined, left)
    return Membership(_id(v[0], "user_id"), _id(v[1], "group_id"), joined, _role(v[3]), left)


def check_stay(joined_at: int | None, left_at: int | None) -> None:
    """A member cannot quit before joining."""
    if joined_at is not None and left_at is not None and left_at < joined_at:
        raise RowError("left_at", f"before joined_at ({left_at} < {joined_at} Unix seconds)")


def _referral(v: Sequence[str], _: dict[str, str]) -> Referral:
    inviter, invitee = _id(v[0], "inviter_id"), _id(v[1], "invitee_id")
    if inviter == invitee:
        raise RowError(
            "invitee_id", f"self-referral: inviter_id and invitee_id are both {shown(inviter)}"
        )
    return Referral(inviter, invitee, parse_time(v[2], "referred_at"), _optional(v[3]))


def _interaction(v: Sequence[str], _: dict[str, str]) -> Event:
    # the hot path of a load: inline fast paths, the helpers explain what is wrong
    src, dst, kind, at, weight, chat = v
    src, dst = src.strip(), dst.strip()
    if not src or not dst or src == dst:
        _id(src, "src_id")
        _id(dst, "dst_id")
        raise RowError("dst_id", f"self-loop: src_id and dst_id are both {shown(src)}")
    return (
        src,
        dst,
        _KINDS.get(kind) or _kind(kind),
        int(at)
        if len(at) < 11 and at.isdigit() and at.isascii()
        else parse_time(at, "occurred_at"),
        _weight(weight) if weight else 1.0,
        chat.strip() or None if chat else None,
    )


PARSERS: dict[Entity, Parser] = {
    Entity.USERS: _user,
    Entity.GROUPS: _group,
    Entity.MEMBERSHIPS: _membership,
    Entity.REFERRALS: _referral,
    Entity.INTERACTIONS: _interaction,
}
