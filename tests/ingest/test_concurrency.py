"""Loads at the same time, as real processes on every store: referrals checked against the
store are written under one lock, so two loads cannot store a referral cycle between them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from graphsvc.model import Entity
from graphsvc.store.base import GraphStore

CHAIN = 50_000  # rows per file: each load validates for a while, so the two overlap


def chain_file(path: Path, tag: str, last: str) -> Path:
    """A referral chain, then ``last``: in the last batch, written long after validating."""
    rows = [*(f"{tag}{i},{tag}{i + 1}" for i in range(CHAIN)), last]
    path.write_text("inviter_id,invitee_id\n" + "\n".join(rows) + "\n")
    return path


def load_at_once(store: GraphStore, files: list[Path], env: dict[str, str]) -> list[tuple]:
    """``graphsvc load --referrals FILE`` for every file at once: (exit code, stderr) each."""
    load = [sys.executable, "-m", "graphsvc.cli", "--store", store.uri, "load", "--referrals"]
    procs = [
        subprocess.Popen(
            [*load, str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for path in files
    ]
    outcomes = []
    for proc in procs:
        _, err = proc.communicate(timeout=900)
        outcomes.append((proc.returncode, err))
    return outcomes


def cycle_in(inviter_of: dict[str, str]) -> list[str]:
    """A referral cycle (its users), or [] for a forest. O(n)."""
    done: set[str] = set()
    for start in inviter_of:
        path: dict[str, None] = {}  # the walk up from start, in order
        node = start
        while node in inviter_of and node not in done and node not in path:
            path[node] = None
            node = inviter_of[node]
        if node in path:
            walk = list(path)
            return walk[walk.index(node) :]
        done.update(path)
    return []


def test_concurrent_loads_closing_a_cycle_between_them(store, request, tmp_path):
    env = dict(os.environ)
    if not store.uri.startswith("sqlite:"):
        server = request.getfixturevalue("neo4j_server")
        env |= {"NEO4J_USER": server.user, "NEO4J_PASSWORD": server.password}
    files = [
        chain_file(tmp_path / "a.csv", "a", "cx,cy"),
        chain_file(tmp_path / "b.csv", "b", "cy,cx"),
    ]
    outcomes = load_at_once(store, files, env)
    assert sorted(code for code, _ in outcomes) == [0, 65], outcomes
    refused = next(err for code, err in outcomes if code == 65)
    assert "closes a cycle" in refused, refused
    assert "nothing was written" in refused
    assert "Traceback" not in refused
    inviter_of = {r.invitee_id: r.inviter_id for r in store.records(Entity.REFERRALS)}
    assert cycle_in(inviter_of) == []
    assert len(inviter_of) == CHAIN + 1  # the winner's rows, and none of the other load
    assert sum(1 for invitee in ("cx", "cy") if invitee in inviter_of) == 1
