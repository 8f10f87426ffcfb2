"""Analysis parameters are checked once, against their bounds in the model: the environment,
the command line and API jobs accept and refuse the same values; the Neo4j settings group."""

from __future__ import annotations

import dataclasses
import math
import typing

import pytest
from click.testing import CliRunner

from graphsvc.api.runs import job_param_problem
from graphsvc.cli import cli
from graphsvc.config import Neo4jSettings, Settings, check_analysis
from graphsvc.errors import ConfigError
from graphsvc.jobs.analyze import JOB_PARAMS
from graphsvc.model import PARAM_BOUNDS, AnalysisParams, Bound, param_bound


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GRAPHSVC_DAMPING": "1.5"}, "GRAPHSVC_DAMPING=1.5 is not a number in (0, 1)"),
        ({"GRAPHSVC_DAMPING": "0"}, "GRAPHSVC_DAMPING=0.0 is not a number in (0, 1)"),
        ({"GRAPHSVC_RESOLUTION": "-1"}, "GRAPHSVC_RESOLUTION=-1.0 is not a number > 0"),
        ({"GRAPHSVC_MIN_COMMUNITY_SIZE": "0"}, "is not an integer in [1, 2147483647]"),
        (
            {"GRAPHSVC_CONSENSUS_THRESHOLD": "2"},
            "GRAPHSVC_CONSENSUS_THRESHOLD=2.0 is not a number in [0, 1]",
        ),
        ({"GRAPHSVC_DUNBAR": "nan"}, "GRAPHSVC_DUNBAR"),
        ({"GRAPHSVC_KIND_WEIGHTS": "like=-1"}, "GRAPHSVC_KIND_WEIGHTS: weights must be >= 0"),
    ],
)
def test_the_environment_is_refused_outside_the_bounds(env, message):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)


def test_every_default_is_within_its_bound():
    assert check_analysis(AnalysisParams()) == AnalysisParams()
    assert Settings.from_env({}).analysis == AnalysisParams()


def test_bounds_name_only_numeric_parameters():
    hints = typing.get_type_hints(AnalysisParams)
    assert set(PARAM_BOUNDS) <= {n for n, kind in hints.items() if kind in (int, float)}


@pytest.mark.parametrize(
    ("bound", "inside", "outside"),
    [
        (Bound(0, 1, low_open=True, high_open=True), [1e-9, 0.5], [0, 1, -1, math.nan]),
        (Bound(1), [1, 10**9], [0, 0.5, math.nan]),
        (Bound(0, 1), [0, 1], [-1e-9, 1.0000001]),
    ],
)
def test_bounds_hold_inside_only(bound, inside, outside):
    assert all(bound.holds(v) for v in inside)
    assert not any(bound.holds(v) for v in outside)


@pytest.mark.parametrize("name", JOB_PARAMS)
def test_api_jobs_and_the_environment_agree_on_every_job_parameter(name):
    kind = typing.get_type_hints(AnalysisParams)[name]
    default = getattr(AnalysisParams(), name)
    assert job_param_problem(name, default) is None
    if kind is bool:
        assert job_param_problem(name, 1) == "true or false"
        return
    bound = param_bound(name)
    below = bound.low if bound.low_open else bound.low - 1
    assert job_param_problem(name, below) == bound.words(kind)
    with pytest.raises(ConfigError):
        check_analysis(dataclasses.replace(AnalysisParams(), **{name: below}))


def test_the_command_line_takes_the_same_bounds(tmp_path):
    result = CliRunner().invoke(
        cli, ["--store", f"sqlite:///{tmp_path / 'none.db'}", "analyze", "--damping", "1.5"]
    )
    assert result.exit_code == 2
    assert "1.5 is not in the range 0<x<1" in result.output


def test_neo4j_settings_keep_the_drivers_names():
    env = {"NEO4J_USER": "ana", "NEO4J_PASSWORD": "s", "NEO4J_DATABASE": "kol"}
    env |= {"GRAPHSVC_CONNECT_TIMEOUT": "3", "GRAPHSVC_NEO4J_SCRIPT": "/opt/neo4j"}
    neo4j = Settings.from_env(env).neo4j
    assert neo4j == Neo4jSettings("ana", "s", "kol", 3.0, neo4j_script="/opt/neo4j")
    with pytest.raises(ConfigError, match="GRAPHSVC_CYPHER_MAX_ROWS='many' is not an integer"):
        Settings.from_env({"GRAPHSVC_CYPHER_MAX_ROWS": "many"})


def test_a_burst_must_be_faster_than_a_keen_fan():
    with pytest.raises(
        ConfigError,
        match=r"GRAPHSVC_SHILL_BURST_FULL=3\.0 must be above GRAPHSVC_SHILL_BURST_BASE=3\.0",
    ):
        Settings.from_env({"GRAPHSVC_SHILL_BURST_FULL": "3"})
