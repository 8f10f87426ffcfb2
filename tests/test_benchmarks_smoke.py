"""Smoke run of the benchmark suite: the smallest size, embedded store only, a tiny networkx
baseline; checks the results file and the report, never the timings themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.report import ANALYSIS_STAGES, KERNELS

STAGES = (
    "generate",
    "load.embedded",
    "extract.embedded",
    "analysis.total",
    "write.embedded",
    "diff.load",
    "diff.compute",
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    tmp = tmp_path_factory.mktemp("bench")
    report = tmp / "REPORT.md"
    run.main(
        [
            *("--sizes", "2k", "--repeat", "1", "--no-neo4j", "--out", str(tmp / "out")),
            *("--report", str(report), "--networkx-exact-max", "0", "--networkx-sources", "2"),
            *("--api-clients", "2", "--api-requests", "60", "--api-seconds", "10"),
            *("--seeds-sample", "300", "--seeds-celf-runs", "20"),
        ]
    )
    return json.loads((tmp / "out/results.json").read_text()), report


def test_every_stage_has_positive_figures(smoke: tuple[dict, Path]) -> None:
    results, _ = smoke
    size = results["sizes"]["2000"]
    for name in (*STAGES, *ANALYSIS_STAGES, *KERNELS):
        entry = size["stages"][name]
        assert entry["seconds"]["median"] > 0, name
        assert entry["peak_rss_mb"]["median"] > 0, name
    for name in ("generate", "load.embedded", "extract.embedded", "write.embedded"):
        assert size["stages"][name]["per_second"] > 0, name
    for name in ("seeds.imm", "seeds.imm_lt", "seeds.celf_sample", "seeds.imm_sample"):
        assert size["stages"][name]["seconds"]["median"] > 0, name
    assert size["facts"]["seeds"]["sample"]["spread_ratio"] > 0.5
    api = size["stages"]["api"]
    assert api["errors"] == 0
    assert api["requests"] > 0
    assert api["p50_ms"]["median"] > 0
    assert api["p99_ms"]["median"] >= api["p50_ms"]["median"]
    assert api["requests_per_s"]["median"] > 0
    nx = size["baselines"]["networkx"]
    for name in ("pagerank", "core_number", "betweenness", "louvain"):
        assert nx["stages"][name]["seconds"]["median"] > 0, name
    assert nx["pagerank_agreement"]["spearman"] > 0.9
    assert set(size["skipped"]) == set(run.NEO4J_STEPS)
    diff = size["facts"]["diff"]
    assert diff["users"]["before"] == diff["users"]["after"] == 2000
    assert diff["risers"] + diff["fallers"] > 0
    assert results["machine"]["cores"] >= 1


def test_report_renders(smoke: tuple[dict, Path]) -> None:
    _, report = smoke
    text = report.read_text(encoding="utf-8")
    for heading in (
        "## Machine",
        "## How much faster than networkx",
        "## Campaign seeding",
        "## Run diff",
        "## Not measured",
    ):
        assert heading in text
    assert "`analysis.communities`" in text
    for png in ("time_stages.png", "time_analysis.png", "memory.png"):
        assert (report.parent / "plots" / png).read_bytes().startswith(b"\x89PNG")
