"""A generated community-commerce graph (graphsvc.synth, loaded into a real SQLite store) and
its influence graph, shared by the influence tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from graphsvc import synth
from graphsvc.analysis.graphs import EdgeList, attention_graph
from graphsvc.analysis.influence.graph import InfluenceGraph, influence_graph
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, GraphSnapshot
from graphsvc.store.sqlite import SqliteStore


@dataclass(frozen=True)
class Generated:
    snapshot: GraphSnapshot
    attention: EdgeList
    graph: InfluenceGraph
    truth: synth.Truth


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Generated:
    """2,500 users of synth.generate: ~20k attention edges."""
    root = tmp_path_factory.mktemp("influence")
    truth = synth.generate(root / "data", users=2500, seed=5)
    with SqliteStore(root / "g.db") as store:
        store.init_schema()
        load_files(discover(root / "data"), store)
        snapshot = build_snapshot(store)
    attention = attention_graph(snapshot, AnalysisParams())
    return Generated(snapshot, attention, influence_graph(attention), truth)
