"""Referral conflicts and cycles, decided the same way whatever the order of the rows.

An invitee has one inviter: the earliest ``referred_at`` wins (unknown times last), ties go
to the smaller inviter id — the rule the stores apply. Losing rows are conflicts, not errors.
The winners, added to the stored referrals in that same order, must keep the referral graph
a forest; a row whose inviter descends from its invitee closes a cycle and is a bad row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphsvc.errors import shown
from graphsvc.model import Referral

__all__ = ["REFERRAL_COLUMNS", "Resolution", "referral_table", "resolve"]

_CHAIN_SHOWN = 8


@dataclass
class Resolution:
    """Which lines to write, the conflicts (messages), and the lines closing a cycle."""

    winners: set[int] = field(default_factory=set)
    conflicts: list[str] = field(default_factory=list)
    cycles: dict[int, str] = field(default_factory=dict)  # line → problem (field invitee_id)


def _rank(r: Referral) -> tuple[bool, int, str]:
    return r.referred_at is None, r.referred_at or 0, r.inviter_id


REFERRAL_COLUMNS = ("line", "inviter_id", "invitee_id", "referred_at", "campaign")


def resolve(name: str, rows: pa.Table, stored: Iterable[Referral]) -> Resolution:
    """Decide the valid referral ``rows`` of input ``name`` (``REFERRAL_COLUMNS``, in line
    order; ``referred_at`` and ``campaign`` null when absent) against the referrals already
    ``stored``. One sort picks each invitee's winner (by rank; identical rows by campaign,
    then line); the referrals that would then stand are checked for a cycle at once, and only
    when there is one are the rows added one by one (O(n α(n))) to name those that close it."""
    out = Resolution()
    if not rows.num_rows:
        return out
    line = rows["line"].to_numpy()
    rows = rows.combine_chunks()
    inviter, invitee = rows["inviter_id"].chunk(0), rows["invitee_id"].chunk(0)
    ranked = pa.table(
        {
            "invitee": invitee,
            "undated": pc.is_null(rows["referred_at"]),
            "at": pc.fill_null(rows["referred_at"], 0),
            "inviter": inviter,
            "campaign": pc.fill_null(rows["campaign"], ""),
            "line": rows["line"],
        }
    )
    order = pc.sort_indices(ranked, [(k, "ascending") for k in ranked.column_names]).to_numpy()
    grouped = invitee.take(order)
    starts = np.flatnonzero(np.append(True, _differs(grouped[1:], grouped[:-1])))
    best = order[starts]  # each invitee's winning row
    winner_of = np.empty(len(order), np.int64)
    winner_of[order] = np.repeat(best, np.diff(np.append(starts, len(order))))
    for i in np.flatnonzero(_differs(inviter, inviter.take(winner_of))).tolist():
        out.conflicts.append(
            f"{name}:{line[i]}: invitee_id: {shown(invitee[i].as_py())} has an earlier inviter "
            f"{shown(inviter[winner_of[i]].as_py())}; inviter {shown(inviter[i].as_py())} "
            "not written"
        )
    best = best[np.argsort(np.minimum.reduceat(order, starts), kind="stable")]  # first seen
    held = list(stored)
    accepted = _against_store(name, rows, best, held, out)
    replaced = pc.is_in(
        pa.array([s.invitee_id for s in held], pa.string()), value_set=invitee.take(accepted)
    ).to_numpy(zero_copy_only=False)
    inviter_of = {
        s.invitee_id: s.inviter_id for s, gone in zip(held, replaced, strict=True) if not gone
    }
    if _forest(inviter_of, inviter.take(accepted), invitee.take(accepted)):
        out.winners = set(line[accepted].tolist())
    else:
        _add_acyclic([(int(line[i]), _referral(rows, i)) for i in accepted], inviter_of, out)
    return out


def referral_table(rows: Sequence[tuple[int, Referral]]) -> pa.Table:
    """Referrals read row by row, (line, referral), as the columns ``resolve`` reads."""
    return pa.table(
        {
            "line": pa.array([line for line, _ in rows], pa.int64()),
            **{
                k: pa.array([getattr(r, k) for _, r in rows], _TYPES.get(k, pa.string()))
                for k in REFERRAL_COLUMNS[1:]
            },
        }
    )


_TYPES = {"referred_at": pa.int64()}


def _against_store(
    name: str, rows: pa.Table, best: np.ndarray, held: list[Referral], out: Resolution
) -> np.ndarray:
    """The rows of ``best`` to add beside the ``held`` referrals: a stored invitee keeps its
    inviter unless the row's is earlier (each such row is a conflict)."""
    if not held:
        return best
    stored = pa.array([s.invitee_id for s in held], pa.string())
    position = pc.index_in(rows["invitee_id"].take(best), value_set=stored)
    present = position.is_valid().to_numpy(zero_copy_only=False)
    found = np.flatnonzero(present)
    at = np.full(len(best), -1, np.int64)
    at[found] = position.filter(present).to_numpy()
    before_inviter = pa.array([held[k].inviter_id for k in at[found].tolist()], pa.string())
    keep = np.ones(len(best), bool)
    other = _differs(rows["inviter_id"].take(best[found]), before_inviter)
    for j in found[other].tolist():
        line, r, before = rows["line"][best[j]].as_py(), _referral(rows, best[j]), held[int(at[j])]
        if _rank(before) <= _rank(r):
            out.conflicts.append(
                f"{name}:{line}: invitee_id: {shown(r.invitee_id)} already has inviter "
                f"{shown(before.inviter_id)} in the store; inviter {shown(r.inviter_id)} "
                "not written"
            )
            keep[j] = False
        else:
            out.conflicts.append(
                f"{name}:{line}: invitee_id: {shown(r.invitee_id)}: earlier inviter "
                f"{shown(r.inviter_id)} replaces {shown(before.inviter_id)} in the store"
            )
    return best[keep]


def _referral(rows: pa.Table, i: int) -> Referral:
    """Row ``i`` of the referral columns as a Referral."""
    return Referral(**{k: rows[k][int(i)].as_py() for k in REFERRAL_COLUMNS[1:]})


def _differs(a: pa.Array, b: pa.Array) -> np.ndarray:
    return pc.not_equal(a, b).to_numpy(zero_copy_only=False)


def _forest(stored: dict[str, str], inviter: pa.Array, invitee: pa.Array) -> bool:
    """Whether the ``stored`` referrals (invitee → inviter) and the new ones together have no
    cycle: every user's ancestors found by pointer doubling (one inviter each at most)."""
    ids = pc.dictionary_encode(
        pa.concat_arrays(
            [
                pa.array(list(stored), pa.string()),
                pa.array(list(stored.values()), pa.string()),
                invitee,
                inviter,
            ]
        )
    )
    codes, held, new = ids.indices.to_numpy(), len(stored), len(invitee)
    parent = np.full(len(ids.dictionary), -1, np.int64)
    parent[codes[:held]] = codes[held : 2 * held]
    parent[codes[2 * held : 2 * held + new]] = codes[2 * held + new :]
    ancestor, reach = parent, 1  # ancestor: each user's reach-th inviter up, -1 none
    while (ancestor >= 0).any():
        if reach >= len(parent):  # a chain longer than there are users goes round
            return False
        ancestor = np.where(ancestor >= 0, ancestor[np.maximum(ancestor, 0)], -1)
        reach *= 2
    return True


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
