"""Runs people can trust over time, on generated data: stable community ids after a +1% delta,
names that survive re-runs, run diffs, "up to date", explanations — through the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from graphsvc.analysis.pipeline import run_pipeline
from graphsvc.cli import cli
from graphsvc.jobs.analyze import analyze, previous_run
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, parse_lineage
from graphsvc.runs.diff import diff_runs, load_run_view
from graphsvc.store import open_store
from graphsvc.store.sqlite import SqliteStore
from tests.builders import load_query_graph

LABEL = "母婴团购群A"


def invoke(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--store", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def write_delta(source: Path, out: Path, share: float, seed: int) -> int:
    """New interaction events, ``share`` of the existing count: half repeat an existing pair a
    day later, half join random users of the file. Returns the number of rows."""
    with source.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = np.random.default_rng(seed)
    k = int(len(rows) * share)
    users = sorted({r["src_id"] for r in rows} | {r["dst_id"] for r in rows})
    out.mkdir(parents=True, exist_ok=True)
    with (out / "interactions.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for i, j in enumerate(rng.integers(0, len(rows), k).tolist()):
            row = dict(rows[j], occurred_at="2024-03-01T10:00:00Z")
            if i % 2:
                a, b = rng.choice(len(users), 2, replace=False).tolist()
                row.update(src_id=users[a], dst_id=users[b])
            writer.writerow(row)
    return k


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[SqliteStore, str, dict]:
    """3,000 generated users analysed; the largest community named; +1% interactions loaded
    and analysed again."""
    root = tmp_path_factory.mktemp("runs")
    db = f"sqlite:///{root / 'g.db'}"
    invoke(db, "generate", "--users", "3000", "--seed", "5", "--out", str(root / "data"))
    invoke(db, "load", str(root / "data"))
    invoke(db, "analyze")
    store = SqliteStore(root / "g.db")
    first = store.current_run().run_id
    largest = store.community_results(first)[0].community_id
    invoke(db, "community", "label", largest, LABEL)
    added = write_delta(root / "data" / "interactions.csv", root / "delta", 0.01, seed=1)
    invoke(db, "load", str(root / "delta"))
    second = invoke(db, "analyze")
    yield store, db, {"first": first, "largest": largest, "added": added, "output": second}
    store.close()


def test_one_percent_more_interactions_keeps_community_ids(two_runs) -> None:
    store, _, info = two_runs
    assert info["added"] > 100
    old, new = (load_run_view(store, r.run_id) for r in store.runs()[1::-1])
    assert old.run_id == info["first"]
    by_id_old, by_id_new = np.argsort(old.user_id), np.argsort(new.user_id)  # any row order
    assert old.user_id[by_id_old].tolist() == new.user_id[by_id_new].tolist()
    before = old.columns["community_id"][by_id_old]
    after = new.columns["community_id"][by_id_new]
    top = np.char.partition(before.astype(str), ".")[:, 0]
    in_community = top != ""
    same = top[in_community] == np.char.partition(after.astype(str), ".")[:, 0][in_community]
    assert same.mean() >= 0.95, f"only {same.mean():.1%} kept their community id"


def test_analyze_starts_warm_and_prints_what_changed(two_runs) -> None:
    store, _, info = two_runs
    output = info["output"]
    assert f"communities: warm start from {info['first']}" in output
    assert f"changes since {info['first']}:" in output
    churn = store.current_run().stats["churn"]
    kept = f"{churn['kept_community']:.1%}"
    assert any(line.split()[-1] == kept for line in output.splitlines() if "community" in line)
    assert f"+{churn['kols_in']} / -{churn['kols_out']}" in output
    assert churn["kept_community"] >= 0.99


def test_names_survive_the_rerun(two_runs) -> None:
    store, db, info = two_runs
    assert store.community_labels() == {info["largest"]: LABEL}
    current = store.current_run().run_id
    assert store.community_result(current, info["largest"]) is not None
    invoke(db, "export", "--out", str(Path(store.path).parent / "export"))
    with (Path(store.path).parent / "export" / "communities.csv").open(encoding="utf-8-sig") as f:
        labels = {r["community_id"]: r["label"] for r in csv.DictReader(f)}
    assert labels[info["largest"]] == LABEL


def test_kept_communities_list_their_lineage(two_runs) -> None:
    store, _, _ = two_runs
    previous = {c.community_id for c in store.community_results(store.runs()[1].run_id)}
    kept = [
        c
        for c in store.community_results(store.current_run().run_id)
        if c.community_id in previous and c.parent_id is None
    ]
    assert kept
    for c in kept:
        links = dict(parse_lineage(c.derived_from))
        assert links.get(c.community_id, 0) >= 0.5, (c.community_id, c.derived_from)


def test_fresh_ids_are_new_numbers(two_runs) -> None:
    store, _, _ = two_runs
    first, second = store.runs()[1], store.runs()[0]
    used = {c.community_id for c in store.community_results(first.run_id)}
    counter = first.stats["community_counters"][""]
    for c in store.community_results(second.run_id):
        if c.parent_id is None and c.community_id not in used:
            assert int(c.community_id.removeprefix("c-")) >= counter


def test_runs_diff_cli_matches_direct_comparison(two_runs) -> None:
    store, db, _ = two_runs
    body = json.loads(invoke(db, "runs", "diff", "--format", "json", "--limit", "5"))
    assert json.loads(invoke(db, "runs", "diff", "--json", "--limit", "5")) == body
    new, old = store.runs()[0].run_id, store.runs()[1].run_id
    assert (body["from_run"], body["to_run"]) == (old, new)
    expected = diff_runs(load_run_view(store, old), load_run_view(store, new), limit=5)
    assert body == json.loads(json.dumps(expected))
    reasons = {c.community_id: c.owner_reason for c in store.community_results(new)}
    for change in body["owner_changes"]["top"]:
        assert change["reason"] == reasons[change["community_id"]]
        assert change["reason"].startswith("owner changed: ")
    tiers_before = {r["user_id"]: r["tier"] for r in store.user_results(old)}
    tiers_after = {r["user_id"]: r["tier"] for r in store.user_results(new)}
    moved = sum(tiers_before[u] != tiers_after[u] for u in tiers_after)
    assert body["summary"]["tier_moves"] == sum(body["tier_moves"]["by_move"].values()) == moved
    for name, count in body["summary"].items():
        assert len(body[name]["top"]) == min(count, 5), name
    text = invoke(db, "runs", "diff", "--limit", "3")
    assert text.startswith(f"{old} -> {new}: ")
    summary, details = text.split("\n\n", 2)[1:]
    assert summary.splitlines()[2].split() == ["KOLs", "won", f"{body['summary']['kols_new']:,}"]
    assert f"tier moves: top 3 of {moved:,}" in details


def test_unchanged_input_is_up_to_date_and_writes_nothing(two_runs) -> None:
    store, db, _ = two_runs
    runs = [r.run_id for r in store.runs()]
    assert f"up to date (run {runs[0]})" in invoke(db, "analyze")
    assert [r.run_id for r in store.runs()] == runs


def test_explain_names_the_top_signals(two_runs) -> None:
    store, db, _ = two_runs
    top = store.user_results(store.current_run().run_id, limit=1)[0]
    body = json.loads(invoke(db, "explain", top["user_id"], "--json"))
    assert body["user_id"] == top["user_id"]
    assert body["influence_rank"] == 1
    assert body["tier_reason"] == top["tier_reason"]  # "" unless a hysteresis margin decided
    held = [r for r in store.user_results(store.current_run().run_id) if r["tier_reason"]]
    assert held  # the second run had previous tiers: where a margin decided, explain says so
    assert f"tier: {held[0]['tier_reason']}" in invoke(db, "explain", held[0]["user_id"])
    assert 1 <= len(body["why"]) <= 3
    assert [s["top_pct"] for s in body["why"]] == sorted(s["top_pct"] for s in body["why"])
    assert body["why"][0]["top_pct"] < 5  # the top user is rare on its strongest signal
    text = invoke(db, "explain", top["user_id"])
    assert body["why"][0]["text"] in text


def test_stored_run_gives_a_warm_start_everything_it_starts_from(two_runs) -> None:
    store, _, _ = two_runs
    snapshot = build_snapshot(store)
    previous = previous_run(store, snapshot)
    run = store.current_run().run_id
    names = ["in_strength", "out_strength", "community_score", "subcommunity_score"]
    cols = store.result_columns(run, names)
    at = np.searchsorted(snapshot.user_ids, cols["user_id"])
    for name in names:
        np.testing.assert_array_equal(getattr(previous, name)[at], cols[name])
    assert np.nanmax(np.abs(np.bincount(*_by_community(previous)) - 1)) < 1e-9
    assert previous.tier.tolist() == [
        r["tier"] for r in sorted(store.user_results(run), key=lambda r: r["user_id"])
    ]
    owners = {c.community_id: c.owner_id for c in store.community_results(run)}
    assert {cid: str(snapshot.user_ids[v]) for cid, v in previous.owners.items()} == owners
    params = AnalysisParams()
    cold = run_pipeline(snapshot, params, previous=previous, cold=True)
    warm = run_pipeline(snapshot, params, previous=previous)
    # unchanged input: only users without a sub-community move alone; the warm start keeps
    # everyone else's community
    top = np.char.partition(previous.leaf.astype(str), ".")[:, 0]
    split = np.unique(top[previous.leaf != top])
    alone = (previous.leaf == "") | np.isin(previous.leaf, split)
    assert warm.stats["warm_free_users"] == alone.sum()
    kept = warm.users.columns["community_id"] == previous.leaf
    assert kept[~alone].all()
    same = warm.users.columns["community_id"] == cold.users.columns["community_id"]
    assert same.mean() >= 0.9
    # warm-started in-community PageRank: where a community kept its members, the same scores
    now = warm.users.columns["community_id"]
    for name, cut in (("community_score", True), ("subcommunity_score", False)):
        before_ids = (
            np.char.partition(previous.leaf.astype(str), ".")[:, 0] if cut else previous.leaf
        )
        now_ids = np.char.partition(now.astype(str), ".")[:, 0] if cut else now
        moved = set(before_ids[before_ids != now_ids]) | set(now_ids[before_ids != now_ids])
        intact = (now_ids == before_ids) & ~np.isin(now_ids, list(moved)) & (now_ids != "")
        assert intact.mean() > 0.5
        np.testing.assert_allclose(
            warm.users.columns[name][intact], getattr(previous, name)[intact], rtol=0, atol=1e-9
        )


def test_analyze_cold_on_request(two_runs) -> None:
    """Last in this file: it adds a run."""
    store, db, _ = two_runs
    cold = invoke(db, "analyze", "--cold", "--force")
    assert "communities: cold start, consensus of seeded runs" in cold
    assert store.current_run().stats["community_start"] == "cold"
    result = CliRunner().invoke(cli, ["--store", db, "analyze", "--cold", "--refresh"])
    assert result.exit_code == 2
    assert "not with --cold" in result.output


def _by_community(previous) -> tuple[np.ndarray, np.ndarray]:
    """Community index per user in a community and their scores: each community sums to 1."""
    top = np.char.partition(previous.leaf.astype(str), ".")[:, 0]
    has = top != ""
    return np.unique(top[has], return_inverse=True)[1], previous.community_score[has]


def test_a_previous_run_with_ids_of_another_form_still_gives_a_warm_start(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'g.db'}", create=True)
    try:
        load_query_graph(store)  # its run names communities c-a, c-b, … (not c-0001)
        outcome = analyze(store, AnalysisParams(), force=True)
        assert outcome.run.run_id != "r1"
        assert store.current_run().run_id == outcome.run.run_id
    finally:
        store.close()
