"""Health over time on every store: `graphsvc health` and the API's group health and alarms,
on planted lifecycles loaded and analysed like any input."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.ingest import discover, load_files
from graphsvc.jobs.analyze import analyze
from graphsvc.model import AnalysisParams
from graphsvc.synth.lifecycles import PLANTED_ALARMS, LifecycleTruth, write_lifecycles
from tests.builders import sample_run


@pytest.fixture
def planted(served, tmp_path) -> tuple:
    truth = write_lifecycles(tmp_path / "files", groups=15, seed=0)
    load_files(discover(tmp_path / "files"), served.store)
    analyze(served.store, AnalysisParams())
    return served, truth


def _cli(store, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--store", store.uri, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _troubled(truth: LifecycleTruth) -> dict[str, str]:
    return {g.group_id: PLANTED_ALARMS[g.trouble] for g in truth.groups if g.trouble}


def test_health_lists_every_group_with_stage_and_planted_alarms(planted):
    served, truth = planted
    rows = json.loads(_cli(served.store, "health", "--format", "json"))
    assert {r["group_id"] for r in rows} == {g.group_id for g in truth.groups}
    assert {r["stage"] for r in rows} <= {"emerging", "growing", "interacting", "declining"}
    first = rows[0]
    for column in ("members", "joins_7d", "quits_7d", "active_share_7d", "silent_share_7d"):
        assert column in first
    alarmed = json.loads(_cli(served.store, "health", "--alarms", "--format", "json"))
    found = {r["group_id"]: r["alarms"].split(",") for r in alarmed}
    for group_id, alarm in _troubled(truth).items():
        assert alarm in found[group_id]
    assert all(r["alarms"] and r["reasons"] for r in alarmed)
    table = _cli(served.store, "health", "--group", "lc000", "--format", "csv")
    (row,) = csv.DictReader(io.StringIO(table.lstrip("\ufeff")))
    assert row["group_id"] == "lc000"


def test_health_on_an_earlier_day_and_over_30_days(planted):
    served, truth = planted
    day = date(2026, 1, 1) + timedelta(days=100)
    rows = json.loads(
        _cli(served.store, "health", "--as-of", str(day), "--window", "30d", "--format", "json")
    )
    assert {r["as_of"] for r in rows} == {str(day)}
    assert "joins_30d" in rows[0]
    late = {g.group_id for g in truth.groups if g.created > 100}
    assert late
    assert not late & {r["group_id"] for r in rows}  # no members yet then
    refused = CliRunner().invoke(cli, ["--store", served.store.uri, "health", "--window", "5d"])
    assert refused.exit_code == 2
    assert "not one of 1d, 7d, 30d" in refused.output


def test_group_health_over_http_with_its_series(planted):
    served, truth = planted
    quiet = next(g for g in truth.groups if g.trouble == "quiet_leader")
    response = served.get(f"/api/v1/groups/{quiet.group_id}/health?window=30d")
    assert response.status == 200
    body = response.json
    assert body["group_id"] == quiet.group_id
    assert body["window"] == "30d"
    assert "leader_quiet" in body["alarms"].split(",")
    assert set(body["successors"].split(",")) == set(quiet.rising)
    assert len(body["series"]["members"]) == 30
    assert body["series"]["members"][-1] == body["members"]
    assert sum(body["series"]["joins"]) == body["joins_30d"]
    assert body["series"]["leader_active"][-10:] == [0] * 10
    assert served.get("/api/v1/groups/nope/health").status == 404
    assert served.get(f"/api/v1/groups/{quiet.group_id}/health?window=9d").status == 400


def test_alarms_over_http(planted):
    served, truth = planted
    response = served.get("/api/v1/alarms")
    assert response.status == 200
    found = {r["group_id"]: r["alarms"].split(",") for r in response.json["items"]}
    for group_id, alarm in _troubled(truth).items():
        assert alarm in found[group_id]
    communities = served.get("/api/v1/alarms?unit=community").json
    assert communities["unit"] == "community"
    assert all(r["community_id"].startswith("c-") for r in communities["items"])
    assert served.get("/api/v1/alarms?unit=city").status == 400


def test_analyze_a_window_of_time(planted):
    served, truth = planted
    output = _cli(served.store, "analyze", "--since", "2026-03-01", "--until", "2026-04-10")
    assert "groups on 2026-04-10:" in output
    run = served.store.current_run()
    assert (run.params["since"], run.params["until"]) == (1772323200, 1775865599)
    rows = json.loads(_cli(served.store, "health", "--format", "json"))
    assert {r["as_of"] for r in rows} == {"2026-04-10"}
    founded_later = {g.group_id for g in truth.groups if g.created > 99}  # after 2026-04-10
    assert founded_later
    assert not founded_later & {r["group_id"] for r in rows}
    refused = CliRunner().invoke(
        cli,
        ["--store", served.store.uri, "analyze", "--since", "2026-05-01", "--until", "2026-04-01"],
    )
    assert refused.exit_code == 2
    assert "--since is after --until" in refused.output


def test_a_run_without_health_says_so(served):
    served.store.ensure_users(["a", "b"])
    served.store.write_run(sample_run("r1", 1.0, {"a": 1, "b": 2}))
    result = CliRunner().invoke(cli, ["--store", served.store.uri, "health"])
    assert result.exit_code == 66
    assert "run r1 has no health over time" in result.output
    response = served.get("/api/v1/alarms")
    assert response.status == 404
    assert "no health over time" in response.json["detail"]
