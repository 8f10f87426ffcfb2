"""The Spark benchmark's cost model recovers known costs and predicts by its formula."""

from __future__ import annotations

import pytest

from benchmarks.spark_engine import CORES, fit_cost_model, predict


def test_the_fit_recovers_the_costs_that_made_the_points():
    a, b, c = 0.2, 5e-7, 0.03
    points = [
        (m, p, a + b * m / min(p, CORES) + c * -(-p // CORES))
        for m in (250_000, 1_000_000, 4_000_000)
        for p in (2, 8, 32, 128)
    ]
    model = fit_cost_model(points)
    assert model["a_job_seconds"] == pytest.approx(a, rel=1e-6)
    assert model["b_seconds_per_edge_core"] == pytest.approx(b, rel=1e-6)
    assert model["c_seconds_per_task_wave"] == pytest.approx(c, rel=1e-6)
    assert model["max_relative_error"] < 1e-6

    size = {"spark": {"n_edges": 4_000_000, "spark": {"spark_seconds": {"pagerank": 60.0}}}}
    prediction = predict(model, [size])
    step_here = a + b * 4_000_000 / CORES + c * 4  # 8 partitions on 2 cores
    step_there = a + b * 1e9 / 160 + c * 3  # 480 partitions on 160 cores
    assert prediction["stage_steps"]["pagerank"] == pytest.approx(60.0 / step_here, abs=0.05)
    assert prediction["spark_seconds"] == pytest.approx(60.0 / step_here * step_there, rel=0.01)
