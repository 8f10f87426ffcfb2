"""The Spark engine over Spark Connect (``sc://``): no JVM in the test process, so connected
components run as joins; a real Spark Connect server started from pyspark's own jars."""

from __future__ import annotations

import igraph as ig
import numpy as np
import pytest
from scipy.stats import spearmanr

from graphsvc.analysis import run_pipeline
from graphsvc.engines import bridge
from graphsvc.engines.spark import SparkEngine, SparkOptions
from graphsvc.engines.spark_graph import components_by_joins
from graphsvc.model import AnalysisParams
from tests.builders import generated_snapshot, nmi


def test_components_by_joins_equal_graphx(spark):
    rng = np.random.default_rng(4)
    pairs = rng.integers(0, 2_000, (1_500, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    edges = spark.createDataFrame([tuple(map(int, p)) for p in pairs], "src long, dst long")
    joined = components_by_joins(edges).toPandas().sort_values("id")
    graphx = bridge.connected_components(edges).toPandas().sort_values("id")
    assert joined["id"].tolist() == graphx["id"].tolist()
    assert joined["component"].tolist() == graphx["component"].tolist()
    reference = ig.Graph(n=2_000, edges=pairs.tolist()).connected_components()
    assert len(set(joined["component"])) == sum(len(c) > 1 for c in reference)


@pytest.fixture(scope="module")
def over_connect(spark_connect_url, tmp_path_factory):
    snapshot, _ = generated_snapshot(1_000, 5, tmp_path_factory.mktemp("connect"))
    params = AnalysisParams()
    with SparkEngine(SparkOptions(master=spark_connect_url)) as engine:
        assert bridge.is_connect(engine.spark)
        remote = run_pipeline(snapshot, params, engine=engine)
    return run_pipeline(snapshot, params), remote


def test_the_engine_over_spark_connect_agrees_with_igraph(over_connect):
    reference, remote = over_connect
    a, b = reference.users.columns, remote.users.columns
    assert remote.stats["spark_graph_library"] == "dataframes"
    assert spearmanr(a["influence"], b["influence"]).statistic >= 0.999
    top = np.argsort(-a["influence"], kind="stable")[:20]
    assert top.tolist() == np.argsort(-b["influence"], kind="stable")[:20].tolist()
    assert nmi(a["community_id"], b["community_id"]) >= 0.9
    assert a["referral_level"].tolist() == b["referral_level"].tolist()
    assert a["downline"].tolist() == b["downline"].tolist()
    assert (a["tier"] == b["tier"]).mean() >= 0.95
