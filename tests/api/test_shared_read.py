"""SharedRead: concurrent callers share reads, and none gets a read older than its call."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from graphsvc.api.cache import SharedRead


def test_a_caller_arriving_during_a_read_gets_the_next_one():
    started, release, reads = threading.Event(), threading.Event(), []

    def read() -> str:
        reads.append(len(reads) + 1)
        started.set()
        release.wait(5)
        return f"v{reads[-1]}"

    shared = SharedRead(read)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(shared)
        assert started.wait(5)
        later = [pool.submit(shared) for _ in range(3)]
        while len(shared._cond._waiters) < 3:  # all three wait, arrived during read 1
            time.sleep(0.001)
        release.set()
        assert first.result(5) == "v1"
        assert {f.result(5) for f in later} == {"v2"}  # one more read, shared by all three
    assert reads == [1, 2]


def test_a_failed_read_raises_for_its_caller_and_the_next_caller_reads_again():
    outcomes = iter([RuntimeError("down"), "v2"])

    def read() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    shared = SharedRead(read)
    with pytest.raises(RuntimeError):
        shared()
    assert shared() == "v2"
