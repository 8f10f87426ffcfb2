"""Generate → load → analyze on the embedded store, checked against the planted truth."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphsvc.cli import cli
from graphsvc.model import Entity, Tier
from graphsvc.store.sqlite import SqliteStore
from tests.builders import free_port


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> tuple[SqliteStore, dict, Path]:
    """A generated graph of 4,000 users, loaded and analysed through the CLI."""
    root = tmp_path_factory.mktemp("e2e")
    db = f"sqlite:///{root / 'g.db'}"
    runner = CliRunner()
    for args in (
        ["generate", "--users", "4000", "--seed", "11", "--out", str(root / "data")],
        ["load", str(root / "data")],
        ["analyze"],
    ):
        result = runner.invoke(cli, ["--store", db, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    store = SqliteStore(root / "g.db")
    truth = json.loads((root / "data" / "truth.json").read_text(encoding="utf-8"))
    yield store, truth, root
    store.close()


def test_planted_leaders_are_effective_owners_of_their_groups(analysed):
    store, truth, _ = analysed
    groups = store.group_results(store.current_run().run_id)
    effective = {g.group_id: g.effective_owner_id for g in groups}
    hits = sum(effective.get(g) == leader for g, leader in truth["leaders"].items())
    assert hits / len(truth["leaders"]) >= 0.95


def test_super_users_are_core_and_leaders_are_kol_or_core(analysed):
    store, truth, _ = analysed
    tiers = {r["user_id"]: r["tier"] for r in store.user_results(store.current_run().run_id)}
    supers, leaders = truth["super_users"], list(truth["leaders"].values())
    assert supers
    assert sum(tiers[u] == Tier.CORE for u in supers) / len(supers) >= 0.8
    assert sum(tiers[u] in (Tier.KOL, Tier.CORE) for u in leaders) / len(leaders) >= 0.9


def test_official_account_groups_are_flagged(analysed):
    store, truth, _ = analysed
    groups = {g.group_id: g for g in store.group_results(store.current_run().run_id)}
    flagged = [groups[g].owner_mismatch for g in truth["official_groups"]]
    assert flagged
    assert sum(flagged) / len(flagged) >= 0.9


def test_lurkers_are_tier_lurker(analysed):
    store, truth, _ = analysed
    run_id = store.current_run().run_id
    tiers = {r["user_id"]: r["tier"] for r in store.user_results(run_id)}
    lurkers = truth["lurkers"]
    assert sum(tiers[u] == Tier.LURKER for u in lurkers) / len(lurkers) >= 0.95


def test_reanalysing_unchanged_input_is_up_to_date(analysed):
    store, _, root = analysed
    before = [r.run_id for r in store.runs()]
    result = CliRunner().invoke(cli, ["--store", f"sqlite:///{root / 'g.db'}", "analyze"])
    assert result.exit_code == 0
    assert f"up to date (run {before[0]})" in result.output
    assert [r.run_id for r in store.runs()] == before


def test_loading_the_same_files_again_changes_nothing(analysed):
    store, _, root = analysed
    before = store.counts()
    result = CliRunner().invoke(
        cli, ["--store", f"sqlite:///{root / 'g.db'}", "load", str(root / "data")]
    )
    assert result.exit_code == 0, result.output
    assert store.counts() == before
    assert store.counts()["users"] == sum(1 for _ in store.records(Entity.USERS))


def test_demo_prints_kols_then_serves_the_api(tmp_path):
    """The README's first command, as a new user runs it (smaller graph)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "GRAPHSVC_STORE"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graphsvc.cli",
            "demo",
            "--users",
            "3000",
            "--dir",
            str(tmp_path / "demo"),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        output = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("Serving"):
                break
        text = "".join(output)
        assert "Top KOLs:" in text, text
        assert re.search(r"^\s*1\s+u\d+", text, re.MULTILINE), text
        said = re.search(r"^(?:Owners of the (\d+) |No community)", text, re.MULTILINE)
        table = text[said.end() :].split("\n\n")[0].splitlines()[3:]  # title, header, rule
        assert len(table) == int(said.group(1) or 0)  # as many rows as the title says
        key = re.search(r"API key \(reader, shown once\): (\S+)", text).group(1)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/kols?limit=3",
            headers={"Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request) as r:
            body = json.load(r)
        assert len(body["data"]) == 3
        assert body["data"][0]["influence_rank"] == 1
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


WRITE_HEAVY = """
import sys
import numpy as np
from graphsvc.jobs.analyze import analyze
from graphsvc.model import AnalysisParams, Referral
from graphsvc.store.sqlite import SqliteStore

class WriteHeavyStore(SqliteStore):
    '''The real store, whose write needs 160 MB more than the analysis (as 1M users do).'''
    def write_run(self, result):
        ballast = np.ones(20 * 2**20)
        super().write_run(result)
        del ballast

store = WriteHeavyStore(sys.argv[1])
store.init_schema()
store.ensure_users([f"u{i}" for i in range(30)])
store.upsert_referrals([Referral(f"u{i}", f"u{i + 1}") for i in range(29)])
print(analyze(store, AnalysisParams()).peak_rss_mb)
"""


def test_analyze_reports_the_process_peak_memory_write_included(tmp_path):
    """The figure `analyze` prints is the process's peak RSS, as the OS counts it from outside
    (wait4), not a peak taken before the run is written."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITE_HEAVY, str(tmp_path / "g.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    with proc.stdout, proc.stderr:
        out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, err
    measured_mb = usage.ru_maxrss / 1024  # Linux: KiB
    assert float(out) == pytest.approx(measured_mb, rel=0.03)
