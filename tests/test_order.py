"""lex_order: np.lexsort's order, by one sort of a packed key where the keys fit in one."""

from __future__ import annotations

import numpy as np
import pytest

from graphsvc.model.order import lex_order


@pytest.mark.parametrize("rows", [0, 1, 7, 5000])
def test_the_order_is_lexsorts_whatever_the_keys(rows):
    rng = np.random.default_rng(rows)
    small = rng.integers(-3, 3, rows)  # repeats: stability decides
    flag = rng.integers(0, 2, rows).astype(np.int8)
    wide = rng.integers(-(2**40), 2**40, rows)  # three of these overflow a packed key
    real = rng.random(rows)  # not integers: lexsort itself
    for keys in ((small, flag), (small, flag, wide), (wide, wide, small), (real, small)):
        assert np.array_equal(lex_order(*keys), np.lexsort(keys))


def test_the_last_key_is_primary_and_ties_keep_their_order():
    dst = np.array([2, 1, 1, 1, 0])
    src = np.array([1, 1, 0, 1, 0])
    assert lex_order(dst, src).tolist() == [4, 2, 1, 3, 0]
