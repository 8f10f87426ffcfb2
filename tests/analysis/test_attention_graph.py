"""The attention graph: direction, weights, parallel edges, self-loops; column helpers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from graphsvc.analysis.graphs import (
    EdgeList,
    attention_graph,
    find_sorted,
    interaction_attention,
    sorted_unique,
    stable_argsort,
    symmetrized,
)
from graphsvc.model import AnalysisParams, GraphSnapshot
from tests.builders import snapshot_of

ANALYSIS = Path(__file__).resolve().parents[2] / "graphsvc" / "analysis"


def snapshot(n, interactions=(), referrals=()) -> GraphSnapshot:
    """interactions: (src, dst, kind name, count, weight); referrals: (inviter, invitee)."""
    rows = [(s, d, kind, count, count, weight) for s, d, kind, count, weight in interactions]
    return snapshot_of([f"u{i}" for i in range(n)], rows, referrals)


def as_dict(graph: EdgeList) -> dict[tuple[int, int], float]:
    return {
        (a, b): w
        for a, b, w in zip(
            graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True
        )
    }


def test_analysis_imports_only_numpy_scipy_igraph_model_and_stdlib():
    allowed = {"numpy", "scipy", "igraph", "graphsvc.model", "graphsvc.analysis", "__future__"}
    stdlib = {"dataclasses", "math", "random", "threading", "contextlib", "time"}
    stdlib |= {"collections", "collections.abc", "functools", "typing"}
    found = set()
    for path in ANALYSIS.glob("*.py"):
        for m in re.finditer(r"(?m)^\s*(?:from|import)\s+([\w.]+)", path.read_text("utf-8")):
            found.add(m.group(1))
    bad = {
        name
        for name in found
        if name not in stdlib and not any(name == a or name.startswith(a + ".") for a in allowed)
    }
    assert not bad, f"analysis imports {sorted(bad)}"


def test_interactions_point_from_actor_and_referrals_from_invitee():
    snap = snapshot(
        3,
        interactions=[(0, 1, "reply", 2, 2.0), (0, 1, "like", 1, 1.0), (2, 2, "share", 1, 1.0)],
        referrals=[(1, 2)],  # 1 invited 2: attention 2 → 1
    )
    params = AnalysisParams(referral_weight=0.5, repeat_transform="linear")
    graph = attention_graph(snap, params)
    # reply 1.0 × 2 + like 0.5 × 1, summed into one edge; the self-share is dropped
    assert as_dict(graph) == {(0, 1): 2.5, (2, 1): 0.5}
    assert graph.directed
    assert graph.out_strength().tolist() == [2.5, 0.0, 0.5]
    assert graph.in_strength().tolist() == [0.0, 3.0, 0.0]


def test_kind_weights_and_repeat_transforms():
    snap = snapshot(2, interactions=[(0, 1, "purchase", 4, 8.0)])  # 4 events on 4 days
    linear = interaction_attention(snap, AnalysisParams(repeat_transform="linear"))
    assert linear.tolist() == [3.0 * 8.0]
    logged = interaction_attention(snap, AnalysisParams())
    assert logged[0] == pytest.approx(3.0 * 2.0 * (1 + np.log(4)))
    zero = interaction_attention(snap, AnalysisParams(kind_weights={"purchase": 0.0}))
    assert zero.tolist() == [0.0]
    with pytest.raises(ValueError, match="repeat_transform"):
        interaction_attention(snap, AnalysisParams(repeat_transform="sqrt"))


def test_symmetrized_sums_both_directions_once_per_pair():
    graph = EdgeList.build(4, [0, 1, 2, 3, 3], [1, 0, 3, 2, 3], [1.0, 2.0, 4.0, 1.0, 9.0])
    sym = symmetrized(graph)
    assert not sym.directed
    assert as_dict(sym) == {(0, 1): 3.0, (2, 3): 5.0}
    assert sym.in_strength().tolist() == [3.0, 3.0, 5.0, 5.0]
    ig_graph = sym.to_igraph()
    assert ig_graph.get_edgelist() == [(0, 1), (2, 3)]
    assert ig_graph.es["weight"] == [3.0, 5.0]


def test_edge_order_does_not_change_the_graph():
    rng = np.random.default_rng(5)
    src, dst = rng.integers(0, 30, 200), rng.integers(0, 30, 200)
    w = rng.random(200)
    order = rng.permutation(200)
    a = EdgeList.build(30, src, dst, w)
    b = EdgeList.build(30, src[order], dst[order], w[order])
    assert a.src.tolist() == b.src.tolist()
    assert a.dst.tolist() == b.dst.tolist()
    np.testing.assert_allclose(a.weight, b.weight, rtol=1e-12)


@pytest.mark.parametrize(
    "values",
    [
        np.array([], dtype=np.int64),
        np.array([7]),
        np.random.default_rng(1).integers(-50, 50, 10_000),  # many ties, negative values
        np.random.default_rng(2).integers(0, 10**12, 5_000),  # the range takes 40 bits
        np.random.default_rng(3).integers(-(2**62), 2**62, 5_000),  # too wide to pack
        np.random.default_rng(4).integers(0, 3, 1_000).astype(np.uint8),
        np.random.default_rng(5).random(1_000),  # floats are not packed
    ],
)
def test_stable_argsort_equals_numpys_stable_argsort(values):
    assert stable_argsort(values).tolist() == np.argsort(values, kind="stable").tolist()


def test_sorted_unique_and_find_sorted():
    values, counts = sorted_unique(np.array([5, 1, 5, 3, 1, 5]))
    assert values.tolist() == [1, 3, 5]
    assert counts.tolist() == [2, 1, 3]
    assert find_sorted(values, np.array([3, 4, 5, 0, 1])).tolist() == [1, -1, 2, -1, 0]
    assert find_sorted(values[:0], np.array([1])).tolist() == [-1]
