"""Referral conflicts and cycles, decided the same way whatever the order of the rows.

An invitee has one inviter: the earliest ``referred_at`` wins (unknown times last), ties go
to the smaller inviter id — the rule the stores apply. Losing rows are conflicts, not errors.
The winners, added to the stored referrals in that same order, must keep the referral graph
a forest; a row whose inviter descends from its invitee closes a cycle and is a bad row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graphsvc.errors import shown
from graphsvc.model import Referral

__all__ = ["Resolution", "resolve"]

_CHAIN_SHOWN = 8


@dataclass
class Resolution:
    """Which lines to write, the conflicts (messages), and the lines closing a cycle."""

    winners: set[int] = field(default_factory=set)
    conflicts: list[str] = field(default_factory=list)
    cycles: dict[int, str] = field(default_factory=dict)  # line → problem (field invitee_id)


def _rank(r: Referral) -> tuple[bool, int, str]:
    return r.referred_at is None, r.referred_at or 0, r.inviter_id


def _order(line: int, r: Referral) -> tuple[tuple[bool, int, str], str, int]:
    """Among rows of one invitee: by rank; identical rows by campaign, then by line."""
    return _rank(r), r.campaign or "", line


def resolve(
    name: str, rows: Sequence[tuple[int, Referral]], stored: Iterable[Referral]
) -> Resolution:
    """Decide the valid referral ``rows`` (line, referral) of input ``name`` against the
    referrals already ``stored``. O(n α(n)) after sorting the winners."""
    out = Resolution()
    best: dict[str, tuple[int, Referral]] = {}
    for line, r in rows:
        held = best.get(r.invitee_id)
        if held is None or _order(line, r) < _order(*held):
            best[r.invitee_id] = (line, r)
    for line, r in rows:
        winner = best[r.invitee_id][1]
        if r.inviter_id != winner.inviter_id:
            out.conflicts.append(
                f"{name}:{line}: invitee_id: {shown(r.invitee_id)} has an earlier inviter "
                f"{shown(winner.inviter_id)}; inviter {shown(r.inviter_id)} not written"
            )
    held = {s.invitee_id: s for s in stored}
    accepted = []
    for line, r in best.values():
        before = held.get(r.invitee_id)
        if before is not None and before.inviter_id != r.inviter_id:
            if _rank(before) <= _rank(r):
                out.conflicts.append(
                    f"{name}:{line}: invitee_id: {shown(r.invitee_id)} already has inviter "
                    f"{shown(before.inviter_id)} in the store; inviter {shown(r.inviter_id)} "
                    "not written"
                )
                continue
            out.conflicts.append(
                f"{name}:{line}: invitee_id: {shown(r.invitee_id)}: earlier inviter "
                f"{shown(r.inviter_id)} replaces {shown(before.inviter_id)} in the store"
            )
        accepted.append((line, r))
    inviter_of = {s.invitee_id: s.inviter_id for s in held.values()}
    for _, r in accepted:
        inviter_of.pop(r.invitee_id, None)
    _add_acyclic(accepted, inviter_of, out)
    return out


def _add_acyclic(
    accepted: list[tuple[int, Referral]], inviter_of: dict[str, str], out: Resolution
) -> None:
    """Add the accepted rows, earliest first, to the forest ``inviter_of`` (invitee → inviter),
    refusing those that close a cycle. Union-find whose representative is the tree's root."""
    root_of: dict[str, str] = {}

    def root(node: str) -> str:
        path = []
        while (up := root_of.get(node)) is not None:
            path.append(node)
            node = up
        for seen in path:
            root_of[seen] = node
        return node

    for invitee, inviter in list(inviter_of.items()):
        top = root(inviter)
        if top == invitee:  # a cycle already stored: keep it out of the forest
            del inviter_of[invitee]
        else:
            root_of[invitee] = top
    for line, r in sorted(accepted, key=lambda item: (_rank(item[1]), item[1].invitee_id)):
        top = root(r.inviter_id)
        if top == r.invitee_id:
            out.cycles[line] = (
                f"referral {shown(r.inviter_id)} → {shown(r.invitee_id)} closes a cycle: "
                f"{_chain(r, inviter_of)}"
            )
            continue
        root_of[r.invitee_id] = top
        inviter_of[r.invitee_id] = r.inviter_id
        out.winners.add(line)


def _chain(r: Referral, inviter_of: dict[str, str]) -> str:
    """The cycle as "a → b → … → a", inviter before invitee."""
    path = [r.inviter_id]
    while path[-1] != r.invitee_id:
        path.append(inviter_of[path[-1]])
    path.reverse()
    if len(path) > _CHAIN_SHOWN:
        path[_CHAIN_SHOWN - 2 : -1] = ["…"]
    return " → ".join([*path, r.invitee_id])
