"""docker-compose.yml and the Dockerfile, validated as data (Docker does not run here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_start_order():
    services = compose()["services"]
    assert set(services) == {"neo4j", "api", "analyze"} | SPARK_SERVICES
    assert services["neo4j"]["image"] == "neo4j:5.26-community"
    for name in ("api", "analyze"):
        assert services[name]["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
        assert services[name]["build"] == "."
    assert services["api"]["command"][:3] == ["serve", "--host", "0.0.0.0"]
    assert services["analyze"]["command"] == ["analyze"]
    assert services["analyze"]["restart"] == "no"


SPARK_SERVICES = {"spark-master", "spark-worker-1", "spark-worker-2", "analyze-spark"}


def test_the_spark_profile_runs_the_analysis_on_a_master_and_two_workers():
    services = compose()["services"]
    for name in SPARK_SERVICES:
        assert services[name]["profiles"] == ["spark"]
        assert services[name]["build"] == {"context": ".", "target": "spark"}
        assert services[name]["image"] == "graphsvc-spark:latest"
    master = services["spark-master"]["command"]
    assert master[0] == "org.apache.spark.deploy.master.Master"
    assert master[master.index("--port") + 1] == "7077"
    for worker in ("spark-worker-1", "spark-worker-2"):
        command = services[worker]["command"]
        assert command[:2] == ["org.apache.spark.deploy.worker.Worker", "spark://spark-master:7077"]
        assert services[worker]["entrypoint"][0].endswith("pyspark/bin/spark-class")
    job = services["analyze-spark"]
    assert job["command"] == ["analyze", "--engine", "spark"]
    assert job["environment"]["GRAPHSVC_SPARK_MASTER"] == "spark://spark-master:7077"
    assert job["environment"]["SPARK_LOCAL_HOSTNAME"] == job["hostname"]
    # the Parquet seam: the driver's work directory is a volume every worker mounts there too
    shared = job["environment"]["GRAPHSVC_SPARK_WORKDIR"]
    for name in ("analyze-spark", "spark-worker-1", "spark-worker-2"):
        volume, mount = services[name]["volumes"][0].split(":")
        assert shared.startswith(mount + "/")
        assert volume in compose()["volumes"]


def test_the_dockerfile_has_a_spark_stage_and_the_api_stage_last():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.M)
    assert [alias for _, alias in stages] == ["base", "spark", ""]
    spark = text.split("AS spark", 1)[1].split("\nFROM ", 1)[0]
    assert "openjdk-17-jdk-headless" in spark
    assert 'pip install ".[spark]"' in spark
    assert "bridge_jar()" in spark  # the GraphX bridge is built into the image


def test_healthchecks():
    services = compose()["services"]
    neo4j_check = services["neo4j"]["healthcheck"]
    assert "cypher-shell" in " ".join(neo4j_check["test"])
    assert "RETURN 1" in " ".join(neo4j_check["test"])
    assert neo4j_check["retries"] >= 3
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    assert "/healthz" in api_check
    assert ":8000" in api_check


def test_auth_and_store_come_from_the_environment():
    services = compose()["services"]
    env = services["neo4j"]["environment"]
    assert env["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD:?")
    for name in ("api", "analyze"):
        app_env = services[name]["environment"]
        assert app_env["GRAPHSVC_STORE"] == "bolt://neo4j:7687"
        assert app_env["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")
        assert app_env["NEO4J_USER"] == "neo4j"
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"NEO4J_PASSWORD:\s*[\"']?[A-Za-z0-9]", text), "no password in the file"


def test_memory_ports_and_volumes():
    data = compose()
    neo4j = data["services"]["neo4j"]
    env = neo4j["environment"]
    assert env["NEO4J_server_memory_heap_max__size"].startswith("${NEO4J_HEAP")
    assert env["NEO4J_server_memory_pagecache_size"].startswith("${NEO4J_PAGECACHE")
    assert {"127.0.0.1:7687:7687", "127.0.0.1:7474:7474"} <= set(neo4j["ports"])
    assert "127.0.0.1:8000:8000" in data["services"]["api"]["ports"]
    mounts = {v.split(":")[1] for v in neo4j["volumes"]}
    assert {"/data", "/logs"} <= mounts
    named = {v.split(":")[0] for v in neo4j["volumes"]}
    assert named <= set(data["volumes"])


def test_dockerfile_installs_the_package_and_serves():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert "pip install ." in text
    assert "COPY cypher" in text
    assert 'ENTRYPOINT ["graphsvc"]' in text
    assert '"serve", "--host", "0.0.0.0"' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".git" in ignored
    assert "tests" in ignored


def hardening(script: str) -> dict[str, str]:
    """The security settings scripts/neo4j writes into neo4j.conf, $PROCEDURES resolved."""
    procedures = re.search(r"(?m)^PROCEDURES=(\S+)$", script).group(1)
    lines = re.findall(r"(?m)^((?:dbms\.security|internal\.dbms\.cypher)\S*?)=(.*)$", script)
    return {name: value.replace("$PROCEDURES", procedures) for name, value in lines}


def test_neo4j_is_hardened_as_by_scripts_neo4j():
    settings = hardening((ROOT / "scripts" / "neo4j").read_text())
    assert settings["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert settings["internal.dbms.cypher_ip_blocklist"] == "0.0.0.0/0,::/0"
    assert "gds.graph.export" not in settings["dbms.security.procedures.allowlist"]
    env = compose()["services"]["neo4j"]["environment"]
    for name, value in settings.items():
        if name != "dbms.security.auth_enabled":  # the image's default, from NEO4J_AUTH
            key = "NEO4J_" + name.replace("_", "__").replace(".", "_")
            assert env.get(key) == value, key
