"""Determinism: the same input in any row order, on either store, with the same parameters
and seed gives the same results — community ids, tiers, owners, scores to 1e-9."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from graphsvc import synth
from graphsvc.ingest.load import discover, load_files
from graphsvc.jobs.analyze import analyze
from graphsvc.model import USER_RESULT_COLUMNS, AnalysisParams
from graphsvc.store.base import GraphStore
from graphsvc.store.sqlite import SqliteStore


def shuffled_copy(source: Path, out: Path, seed: int) -> Path:
    """Every file of ``source`` with its data rows in a random order (header first)."""
    rng = np.random.default_rng(seed)
    out.mkdir()
    for path in source.glob("*.csv"):
        header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
        order = rng.permutation(len(rows))
        (out / path.name).write_text(header + "".join(rows[i] for i in order), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("determinism")
    synth.generate(root / "data", users=1500, seed=21)
    return root / "data", shuffled_copy(root / "data", root / "shuffled", seed=4)


def analysed(store: GraphStore, data: Path) -> dict:
    store.init_schema()
    load_files(discover(data), store)
    run = analyze(store, AnalysisParams(seed=7)).run
    users = store.result_columns(run.run_id, list(USER_RESULT_COLUMNS))
    order = np.argsort(users["user_id"].astype(str))
    return {
        "users": {name: column[order] for name, column in users.items()},
        "communities": sorted(
            (dataclasses.astuple(c) for c in store.community_results(run.run_id)), key=str
        ),
        "groups": [dataclasses.astuple(g) for g in store.group_results(run.run_id)],
    }


def assert_same(a: dict, b: dict) -> None:
    for name, kind in {"user_id": "str", **USER_RESULT_COLUMNS}.items():
        x, y = a["users"][name], b["users"][name]
        if kind == "float":
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-9, equal_nan=True, err_msg=name)
        else:
            assert x.tolist() == y.tolist(), name
    assert len(a["communities"]) == len(b["communities"])
    for c, d in zip(a["communities"], b["communities"], strict=True):
        assert [v for v in c if not isinstance(v, float)] == [
            v for v in d if not isinstance(v, float)
        ]
        np.testing.assert_allclose(
            [v for v in c if isinstance(v, float)],
            [v for v in d if isinstance(v, float)],
            atol=1e-9,
        )
    assert [g[:4] + g[5:] for g in a["groups"]] == [g[:4] + g[5:] for g in b["groups"]]


@pytest.fixture(scope="module")
def embedded_result(inputs, tmp_path_factory) -> dict:
    with SqliteStore(tmp_path_factory.mktemp("a") / "g.db") as store:
        return analysed(store, inputs[0])


def test_shuffled_rows_give_identical_results_on_the_embedded_store(
    inputs, embedded_result, tmp_path
):
    with SqliteStore(tmp_path / "g.db") as store:
        shuffled = analysed(store, inputs[1])
    assert embedded_result["users"]["community_id"].tolist().count("") < 1500
    assert_same(embedded_result, shuffled)


@pytest.mark.neo4j
def test_shuffled_rows_on_neo4j_give_the_embedded_results(inputs, embedded_result, neo4j_store):
    assert_same(embedded_result, analysed(neo4j_store, inputs[1]))
