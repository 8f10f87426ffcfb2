"""Render REPORT.md and its plots from a results file alone, so the report can be regenerated.

python -m benchmarks.report benchmarks/out/results.json benchmarks/REPORT.md
"""

from __future__ import annotations

__all__ = ["render"]

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.charts import plot_memory, plot_times
from graphsvc.analysis.pipeline import STAGES

Data = dict[str, Any]

MAIN_STAGES = (
    "generate",
    "load.embedded",
    "load.neo4j",
    "extract.embedded",
    "extract.neo4j",
    "analysis.total",
    "write.embedded",
    "write.neo4j",
)
ANALYSIS_STAGES = tuple(f"analysis.{s}" for s in STAGES)
KERNELS = ("kernel.igraph_build", "kernel.pagerank", "kernel.coreness", "kernel.betweenness")
KERNELS += ("kernel.leiden",)
# (networkx stage, graphsvc kernel, what is compared)
NX_PAIRS = (
    ("pagerank", "kernel.pagerank", "weighted PageRank, L1 tol 1e-10"),
    ("core_number", "kernel.coreness", "k-core numbers"),
    ("betweenness", "kernel.betweenness", "betweenness"),
    ("louvain", "kernel.leiden", "communities: nx Louvain vs igraph Leiden"),
)


def _sizes(data: Data) -> list[tuple[int, Data]]:
    return sorted((int(k), v) for k, v in data["sizes"].items())


def _num(x: float) -> str:
    """Three significant digits, thousands separated."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:,.{digits}f}"


def _si(x: float) -> str:
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{_num(x / scale)}{unit}"
    return _num(x)


def _spread(stat: Data, unit: str = "") -> str:
    """``median (min–max)``, or the median alone for one run."""
    mid = f"{_num(stat['median'])}{unit}"
    if stat["n"] < 2:
        return f"{mid} (n=1)"
    return f"{mid} ({_num(stat['min'])}–{_num(stat['max'])})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["(nothing measured)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _median(entry: Data | None, key: str = "seconds") -> float | None:
    return entry[key]["median"] if entry and key in entry else None


def _seconds(stages: Data, *names: str) -> float:
    """Sum of the medians of ``names`` (0 for a stage not measured)."""
    return sum(_median(stages.get(n)) or 0.0 for n in names)


def _ratio(slow: float | None, fast: float | None) -> str:
    return f"{slow / fast:,.1f}×" if slow and fast else "–"


def _machine(data: Data) -> list[str]:
    m = data["machine"]
    gds = next(
        (s["baselines"]["gds"]["server"] for _, s in _sizes(data) if "gds" in s["baselines"]), {}
    )
    rows = [
        ["CPU", f"{m['cpu_model']}, {m['cores']} cores"],
        ["memory", f"{m['memory_gb']} GB"],
        ["OS", m["os"]],
        ["Python", m["python"]],
        ["igraph / networkx / numpy", f"{m['igraph']} / {m['networkx']} / {m['numpy']}"],
        [
            "Neo4j (server) / GDS",
            f"{gds.get('neo4j', '–')} {gds.get('edition', '')} / {gds.get('gds', '–')}",
        ],
        ["neo4j driver / waitress", f"{m['neo4j']} / {m['waitress']}"],
    ]
    return _table(["", ""], rows)


def _size_table(data: Data) -> list[str]:
    rows = []
    for users, s in _sizes(data):
        f = s["facts"]
        stats, kern = f.get("pipeline_stats", {}), f.get("kernels", {})
        counts = f.get("store_counts", {})
        rows.append(
            [
                f"{users:,}",
                f"{f.get('events', 0):,}",
                f"{counts.get('interactions', 0):,}",
                f"{f.get('edges', 0):,}",
                f"{f.get('undirected_edges', 0):,}",
                f"{stats.get('n_communities', '–')}",
                f"{stats.get('modularity', 0):.3f} / {kern.get('leiden_modularity', 0):.3f}",
            ]
        )
    header = ["users", "interaction events", "INTERACTED rels", "attention edges", "undirected"]
    return _table([*header, "communities", "modularity (pipeline / Leiden kernel)"], rows)


def _stage_table(data: Data, names: tuple[str, ...], memory: bool) -> list[str]:
    sizes = _sizes(data)
    rows = []
    for name in names:
        cells = []
        for _, s in sizes:
            e = s["stages"].get(name)
            if e is None:
                cells.append("–")
                continue
            cell = _spread(e["seconds"], " s")
            if "per_second" in e:
                cell += f"; {_si(e['per_second'])} {e['unit']}/s"
            if memory:
                peak, more = e["peak_rss_mb"]["median"], e["rss_increase_mb"]["median"]
                cell += f"; peak {_num(peak)} MB (+{_num(more)})"
            cells.append(cell)
        if any(c != "–" for c in cells):
            rows.append([f"`{name}`", *cells])
    return _table(["stage", *(f"{u:,} users" for u, _ in sizes)], rows)


def _nx_rows(users: int, s: Data) -> list[list[str]]:
    nx = s["baselines"].get("networkx")
    if not nx:
        return []
    ours_k = s["facts"].get("kernels", {}).get("betweenness_sources", users)
    rows = []
    for nx_name, kernel, what in NX_PAIRS:
        theirs, ours = _median(nx["stages"].get(nx_name)), _median(s["stages"].get(kernel))
        note = ""
        if nx_name == "betweenness" and theirs and ours:
            k = nx["betweenness_sources"]
            theirs, ours = theirs / k, ours / ours_k
            note = f" per BFS source (nx k={k:,}, graphsvc k={ours_k:,})"
        agree = {
            "pagerank": "top-20 {top20_overlap:.0%}, Spearman {spearman:.5f}".format(
                **nx["pagerank_agreement"]
            ),
            "core_number": f"{nx['core_number_equal']:.1%} equal",
            "louvain": f"modularity nx {nx['louvain_modularity']:.3f} vs "
            f"{s['facts']['kernels']['leiden_modularity']:.3f}",
        }.get(nx_name, "")
        peak = nx["stages"][nx_name]["peak_rss_mb"]["median"]
        rows.append(
            [
                f"{users:,}",
                what + note,
                f"{_num(theirs)} s, {_num(peak)} MB" if theirs else "–",
                f"{_num(ours)} s" if ours else "–",
                _ratio(theirs, ours),
                agree,
            ]
        )
    return rows


def _gds_e2e(s: Data) -> tuple[float, float] | None:
    """(graphsvc, GDS) seconds, store to PageRank + Leiden results, both sides."""
    gds, st = s["baselines"].get("gds"), s["stages"]
    names = ("extract.neo4j", "analysis.graph", "kernel.pagerank", "kernel.leiden")
    if not gds or not all(n in st for n in names):
        return None
    ours = sum(st[n]["seconds"]["median"] for n in names)
    steps = ("project_directed", "pagerank_write", "project_undirected", "leiden_write")
    return ours, sum(gds[n]["seconds"]["median"] for n in steps)


def _gds_rows(users: int, s: Data) -> list[list[str]]:
    gds, st = s["baselines"].get("gds"), s["stages"]
    if not gds:
        return []
    pr_gds = (
        gds["project_directed"]["seconds"]["median"] + gds["pagerank_write"]["seconds"]["median"]
    )
    ld_gds = (
        gds["project_undirected"]["seconds"]["median"] + gds["leiden_write"]["seconds"]["median"]
    )
    agree = gds["rank_agreement"]
    rows = [
        [
            f"{users:,}",
            "PageRank compute only",
            f"{_num(gds['pagerank_write']['compute_ms']['median'] / 1000)} s "
            f"({gds['pagerank']['ranIterations']} it.)",
            f"{_num(_median(st.get('kernel.pagerank')) or 0)} s",
            f"top-20 {agree['top20_overlap']:.0%}, Spearman {agree['spearman']:.5f}",
        ],
        [
            f"{users:,}",
            "PageRank: projection + write (GDS) vs graph + PageRank (ours)",
            f"{_num(pr_gds)} s",
            f"{_num(_seconds(st, 'analysis.graph', 'kernel.pagerank'))} s",
            "",
        ],
        [
            f"{users:,}",
            "Leiden compute only",
            f"{_num(gds['leiden_write']['compute_ms']['median'] / 1000)} s",
            f"{_num(_median(st.get('kernel.leiden')) or 0)} s",
            f"modularity GDS {gds['leiden']['modularity']:.3f} "
            f"(Louvain {gds['louvain']['modularity']:.3f}) vs "
            f"{s['facts']['kernels']['leiden_modularity']:.3f}",
        ],
        [
            f"{users:,}",
            "Leiden: projection + write (GDS) vs Leiden kernel (ours)",
            f"{_num(ld_gds)} s",
            f"{_num(_median(st.get('kernel.leiden')) or 0)} s",
            "",
        ],
    ]
    e2e = _gds_e2e(s)
    if e2e:
        ours, theirs = e2e
        rows.append(
            [
                f"{users:,}",
                "**end to end** from Neo4j: GDS projections + PageRank + Leiden writes vs "
                "ours extract + graph + PageRank + Leiden",
                f"{_num(theirs)} s",
                f"{_num(ours)} s",
                f"GDS/ours = {theirs / ours:.2f}",
            ]
        )
    return rows


def _gds_steps(data: Data) -> list[str]:
    rows = []
    for users, s in _sizes(data):
        gds = s["baselines"].get("gds")
        for step in (
            "project_directed",
            "pagerank_write",
            "project_undirected",
            "leiden_write",
            "louvain_stats",
        ):
            if gds and step in gds:
                e = gds[step]
                rows.append(
                    [
                        f"{users:,}",
                        f"`{step}`",
                        _spread(e["seconds"], " s"),
                        _num(e["compute_ms"]["median"]) if "project" not in step else "–",
                    ]
                )
    return _table(["users", "GDS step", "wall s (min–max)", "computeMillis"], rows)


def _load_rows(data: Data) -> list[str]:
    rows = []
    for users, s in _sizes(data):
        naive, st = s["baselines"].get("naive_cypher"), s["stages"]
        if not naive:
            continue
        full = st.get("load.neo4j", {}).get("per_second")
        rows.append(
            [
                f"{users:,}",
                _si(naive["naive_rels_per_s"]["median"]),
                _si(naive["batched_rels_per_s"]["median"]),
                f"{naive['speedup']['median']:.0f}×",
                f"{_si(full)} events/s" if full else "–",
                f"{_si(st.get('load.embedded', {}).get('per_second', 0))} events/s",
                naive.get("note", ""),
            ]
        )
    header = ["users", "naive rels/s", "store batched rels/s", "speedup"]
    return _table([*header, "full load.neo4j", "full load.embedded", "note"], rows)


def _api_rows(data: Data) -> list[str]:
    rows = []
    for users, s in _sizes(data):
        api = s["stages"].get("api")
        if api:
            rows.append(
                [
                    f"{users:,}",
                    _spread(api["p50_ms"], " ms"),
                    _spread(api["p99_ms"], " ms"),
                    _spread(api["requests_per_s"], "/s"),
                    f"{api['requests']:,} / {api['errors']}",
                    f"{_num(api['server_rss_mb'])} MB",
                ]
            )
    header = ["users", "p50", "p99", "throughput", "requests / errors", "server RSS"]
    return _table(header, rows)


API_TARGETS = {"sqlite": (500, 50), "neo4j": (200, 100)}  # issue #5: req/s, p99 ms
API_ENDPOINTS = {
    "kols": "`/kols` pages (walks, cache hits)",
    "kols_miss": "`/kols` random filters (misses)",
    "users": "`/users/{id}` random users (misses)",
}


def _api_endpoint_rows(data: Data) -> list[str]:
    """``python -m benchmarks.api_load --results``: each endpoint on each store, against the
    targets (throughput and p99) of the endpoints the issue names."""
    rows = []
    for users, s in _sizes(data):
        for store, figures in s["stages"].get("api_endpoints", {}).items():
            if store not in API_TARGETS:
                continue
            least, slowest = API_TARGETS[store]
            for name, label in API_ENDPOINTS.items():
                r = figures[name]
                met = r["requests_per_s"] >= least and r["p99_ms"] <= slowest
                rows.append(
                    [
                        f"{users:,}",
                        store,
                        label,
                        f"{_num(r['requests_per_s'])}/s",
                        f"{_num(r['p50_ms'])} ms",
                        f"{_num(r['p99_ms'])} ms",
                        f"{r['requests']:,} / {r['errors']}",
                        f"≥ {least}/s, p99 ≤ {slowest} ms: {'met' if met else 'not met'}"
                        if name != "kols_miss"
                        else "(no target)",
                    ]
                )
    header = ["users", "store", "requests", "throughput", "p50", "p99", "requests / errors"]
    return _table([*header, "target"], rows) if rows else []


def _refresh_rows(data: Data) -> list[str]:
    rows = []
    for users, s in _sizes(data):
        facts = s["facts"].get("refresh")
        cold, warm = (
            _median(s["stages"].get("refresh.cold")),
            _median(s["stages"].get("refresh.warm")),
        )
        if facts and cold and warm:
            rows.append(
                [
                    f"{users:,}",
                    f"{facts['delta_rows']:,}",
                    _spread(s["stages"]["refresh.cold"]["seconds"], " s"),
                    _spread(s["stages"]["refresh.warm"]["seconds"], " s"),
                    _ratio(cold, warm),
                    f"{facts['nmi_refresh_vs_cold']:.3f} / {facts['nmi_top_refresh_vs_cold']:.3f}",
                    f"{facts['nmi_cold_vs_cold_other_seed']:.3f} / "
                    f"{facts['nmi_top_cold_vs_cold_other_seed']:.3f}",
                    f"{facts['kept_id_refresh']:.1%} / {facts['kept_id_cold']:.1%}",
                ]
            )
    header = [
        "users",
        "delta rows",
        "cold run",
        "refresh",
        "speed-up",
        "NMI vs cold (finest / top)",
    ]
    header.append("NMI cold vs cold, other seed")
    return _table([*header, "kept community id (refresh / cold)"], rows)


def _seeds_rows(data: Data) -> list[str]:
    rows = []
    for _, s in _sizes(data):
        facts, imm_stage = s["facts"].get("seeds"), s["stages"].get("seeds.imm")
        if not facts or not imm_stage:
            continue
        sample, gds = facts["sample"], facts.get("gds")
        rows.append(
            [
                f"{facts['edges']:,}",
                _spread(imm_stage["seconds"], " s"),
                f"{imm_stage['peak_rss_mb']['median']:,.0f} MB",
                f"{facts['imm']['simulated_spread']:,.0f}",
                f"{sample['users']:,} / {sample['edges']:,}",
                f"{sample['speedup']:,.0f}×",
                f"{sample['spread_ratio']:.1%}",
                f"{gds['speedup']:,.1f}×, {gds['imm_spread'] / gds['gds_spread']:.1%}"
                if gds
                else "not run",
            ]
        )
    header = ["edges", "IMM k=50", "peak RSS", "spread (10k sims)", "sample users / edges"]
    header += ["vs CELF: faster", "spread vs CELF", "vs GDS CELF: faster, spread"]
    return _table(header, rows) if rows else []


def _diff_rows(data: Data) -> list[str]:
    rows = []
    for users, s in _sizes(data):
        facts, load, compute = (
            s["facts"].get("diff"),
            s["stages"].get("diff.load"),
            s["stages"].get("diff.compute"),
        )
        if facts and load and compute:
            counts = ", ".join(f"{k} {v:,}" for k, v in facts.items() if k != "users")
            rows.append(
                [
                    f"{users:,}",
                    _spread(load["seconds"], " s"),
                    _spread(compute["seconds"], " s"),
                    counts,
                ]
            )
    return _table(["users", "read both runs", "diff", "entries per section"], rows)


def slope(data: Data, name: str, last: int = 0) -> float | None:
    """Exponent b of seconds ≈ a·edges^b, least squares on log-log over the sizes measured
    (the ``last`` largest of them only, when given)."""
    pts = [
        (s["facts"]["edges"], s["stages"][name]["seconds"]["median"])
        for _, s in _sizes(data)
        if name in s["stages"]
        and s["facts"].get("edges")
        and s["stages"][name]["seconds"]["median"] > 0
    ]
    pts = pts[-last:] if last else pts
    if len(pts) < 2:
        return None
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def _slopes(data: Data) -> list[str]:
    rows = []
    for name in (*MAIN_STAGES, *ANALYSIS_STAGES, *KERNELS):
        b, top = slope(data, name), slope(data, name, last=2)
        if b is not None and top is not None:
            rows.append([f"`{name}`", f"{b:.2f}", f"{top:.2f}", _growth(top)])
    return _table(["stage", "slope, all sizes", "slope, two largest", "growth"], rows)


def _growth(b: float) -> str:
    if b < 0.85:
        return "sub-linear (fixed costs still dominate)"
    return "linear" if b < 1.15 else ("near-linear (m log m)" if b < 1.3 else "super-linear")


def _where_time_goes(data: Data) -> tuple[int, list[str]]:
    """Shares of the embedded path's stages at the largest size analysed."""
    users, s = [(u, s) for u, s in _sizes(data) if "analysis.total" in s["stages"]][-1]
    names = ("load.embedded", "extract.embedded", *ANALYSIS_STAGES, "write.embedded")
    secs = {n: s["stages"][n]["seconds"]["median"] for n in names if n in s["stages"]}
    total = sum(secs.values())
    rows = [
        [
            f"`{n}`",
            f"{_num(v)} s",
            f"{v / total:.0%}",
            f"{_num(s['stages'][n]['peak_rss_mb']['median'])} MB",
        ]
        for n, v in sorted(secs.items(), key=lambda kv: -kv[1])
    ]
    rows.append(["total", f"{_num(total)} s", "100%", ""])
    return users, _table(["stage", "median", "share", "peak RSS"], rows)


def _headlines(data: Data) -> list[str]:
    out = []
    nx_sizes = [(u, s) for u, s in _sizes(data) if "networkx" in s["baselines"]]
    if nx_sizes:
        users, s = nx_sizes[-1]
        rows = zip(NX_PAIRS, _nx_rows(users, s), strict=True)
        ratios = [f"{nx_name} **{row[4]}**" for (nx_name, _, _), row in rows]
        out.append(
            f"- **vs networkx** (largest size run, {users:,} users): " + "; ".join(ratios) + "."
        )
    gds_sizes = [(u, s) for u, s in _sizes(data) if _gds_e2e(s)]
    if gds_sizes:
        parts = []
        for users, s in gds_sizes:
            ours, theirs = _gds_e2e(s)  # type: ignore[misc]
            parts.append(
                f"{users:,} users: ours {_num(ours)} s vs GDS {_num(theirs)} s "
                f"(GDS/ours {theirs / ours:.2f})"
            )
        users, s = gds_sizes[-1]
        gds, st = s["baselines"]["gds"], s["stages"]
        agree = gds["rank_agreement"]
        out.append(
            "- **vs Neo4j GDS** (concurrency 1), end to end from the Neo4j store to PageRank + "
            "Leiden: " + "; ".join(parts) + f". Algorithms alone at {users:,} users: PageRank ours "
            f"{_num(_seconds(st, 'kernel.pagerank'))} s vs GDS "
            f"{_num(gds['pagerank_write']['compute_ms']['median'] / 1000)} s, Leiden ours "
            f"{_num(_seconds(st, 'kernel.leiden'))} s vs GDS "
            f"{_num(gds['leiden_write']['compute_ms']['median'] / 1000)} s; PageRank top-20 "
            f"overlap {agree['top20_overlap']:.0%}, Spearman {agree['spearman']:.4f}; "
            f"modularity ours {s['facts']['kernels']['leiden_modularity']:.3f} vs GDS "
            f"{gds['leiden']['modularity']:.3f}."
        )
    users, share = _where_time_goes(data)
    top = [" ".join(row.strip("| ").split(" | ")[::2]) for row in share[2:5]]
    out.append(f"- **where time goes at {users:,} users** (embedded path): " + ", ".join(top))
    slopes = [
        f"`{n}` {b:.2f}"
        for n in ("load.embedded", "extract.embedded", "analysis.total", "write.embedded")
        if (b := slope(data, n, last=2)) is not None
    ]
    if slopes:
        out.append(
            "- **growth with edges** (log-log slope between the two largest sizes; 1 = linear): "
            + ", ".join(slopes)
        )
    users, s = _sizes(data)[-1]
    peak = max(
        (e["peak_rss_mb"]["median"] for e in s["stages"].values() if "peak_rss_mb" in e), default=0
    )
    out.append(f"- **peak RSS** of the benchmark process at {users:,} users: {_num(peak)} MB.")
    return out


EXPECTED = (*MAIN_STAGES, *ANALYSIS_STAGES, *KERNELS, "api", "networkx", "naive_cypher", "gds")


def _skipped(data: Data) -> list[str]:
    """Stages recorded as skipped or failed, and those a stopped run never reached."""
    rows = []
    for users, s in _sizes(data):
        reasons = {
            name: "not reached: the run was stopped before this stage"
            for name in EXPECTED
            if name not in s["stages"] and name not in s["baselines"]
        }
        reasons.update(s["skipped"])
        rows += [[f"{users:,}", f"`{name}`", why] for name, why in sorted(reasons.items())]
    return _table(["users", "stage", "why not measured"], rows)


METHOD = """\
Everything below comes from one command, `python -m benchmarks.run` (arguments above), on data
it generates itself with `graphsvc.synth.generate` and a fixed seed. Numbers are **medians**
of repeated runs with their **min–max** (n=1 where a stage ran once: the minute-long stages at
the large sizes run `--heavy-repeat` times). Wall time is `time.perf_counter`; **peak RSS** is
sampled every 5 ms by a psutil thread in the benchmark process during each stage ("+x" is the
increase over the RSS at the stage's start), so it includes what earlier stages still hold
(the snapshot, the store connection). networkx runs in a fresh subprocess (its RSS is its own).

"""

METHOD_ROWS = (
    ("`generate`", "`synth.generate` writing the CSV files; rate in interaction events"),
    (
        "`load.embedded`",
        "`ingest.load_files` into a fresh SQLite file, then `counts()` (which builds the "
        "per-(src, dst, kind) aggregate)",
    ),
    (
        "`load.neo4j`",
        "`ingest.load_files` into the wiped Neo4j (batched `UNWIND` transactions of `Neo4jStore`)",
    ),
    (
        "`extract.*`",
        "`jobs.snapshot.build_snapshot`: users, groups and every edge kind as numpy "
        "columns; rate in INTERACTED relationships",
    ),
    (
        "`analysis.*`",
        "`run_pipeline`'s own stages, cut at its `on_stage` callbacks; `analysis.total` "
        "is the whole call",
    ),
    ("`kernel.*`", "the igraph calls alone on the same graph, as the baselines run them"),
    (
        "`write.*`",
        "`store.write_run` of the pipeline's result (a new run id each time, published atomically)",
    ),
    (
        "`api`",
        "`graphsvc serve` in a subprocess on a free 127.0.0.1 port; a bounded pool of "
        "keep-alive clients walks `/api/v1/kols?limit=50` and its `cursor` pages; latency"
        " of each request, throughput over the round",
    ),
    (
        "networkx",
        "same attention graph: `pagerank` (networkx's pure-Python power iteration: "
        "`nx.pagerank` needs scipy, not installed), `core_number`, "
        "`betweenness_centrality` (exact where ours is exact, else `k` sources: compared "
        "per source), `louvain_communities`",
    ),
    (
        "naive Cypher",
        "`benchmarks/neo4j_load.py`'s `measure`: one auto-commit `MATCH … MERGE` "
        "statement per edge vs the store's batched path, on its random graph",
    ),
    (
        "GDS",
        "Cypher projection of the same attention graph (kind weights, referrals "
        "reversed), directed for `gds.pageRank.write`, `UNDIRECTED` for "
        "`gds.leiden.write` and `gds.louvain.stats`, `concurrency: 1`, projection "
        "included; ranks compared (top-20 overlap, Spearman over the projected users), "
        "and modularity",
    ),
)


def render(data: Data, report: Path) -> None:
    """Write ``report`` and its PNG plots (in ``plots/`` beside it) from the results."""
    plots = report.parent / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    plot_times(data, MAIN_STAGES, plots / "time_stages.png", "End-to-end stages")
    plot_times(data, ANALYSIS_STAGES, plots / "time_analysis.png", "Analysis stages")
    plot_memory(data, (*MAIN_STAGES, *ANALYSIS_STAGES), plots / "memory.png")
    users, share = _where_time_goes(data)
    runs = data.get("runs") or [data["config"].get("argv", [])]
    nx_rows = [r for u, s in _sizes(data) for r in _nx_rows(u, s)]
    gds_rows = [r for u, s in _sizes(data) for r in _gds_rows(u, s)]
    lines = [
        "# graphsvc benchmarks",
        "",
        f"Generated by `python -m benchmarks.report` from the results of (last update "
        f"{data.get('updated')}):",
        "",
        *(f"    python -m benchmarks.run {' '.join(argv)}" for argv in runs),
        "",
        "## Headlines",
        "",
        *_headlines(data),
        "",
        *([f"> {data['notes']}", ""] if data.get("notes") else []),
        "## Machine",
        "",
        *_machine(data),
        "",
        "## Method",
        "",
        METHOD,
        *_table(["stage", "measures"], [list(r) for r in METHOD_ROWS]),
        "",
        "## Graph sizes",
        "",
        *_size_table(data),
        "",
        "## Stages: time (median, min–max), rate, peak RSS",
        "",
        *_stage_table(data, MAIN_STAGES, memory=True),
        "",
        "![time per stage](plots/time_stages.png)",
        "",
        "### Analysis stages",
        "",
        *_stage_table(data, ANALYSIS_STAGES, memory=True),
        "",
        "![analysis stages](plots/time_analysis.png)",
        "",
        "![memory](plots/memory.png)",
        "",
        "### igraph kernels alone",
        "",
        *_stage_table(data, KERNELS, memory=False),
        "",
        "## How much faster than networkx",
        "",
        "networkx's peak RSS is that of its own process (graphs built); igraph's kernels run in "
        "the benchmark process (see the analysis stages for its memory).",
        "",
        *_table(
            ["users", "metric", "networkx (time, peak RSS)", "graphsvc", "speedup", "agreement"],
            nx_rows,
        ),
        "",
        "## How close to Neo4j GDS",
        "",
        *_table(["users", "comparison", "GDS", "graphsvc", "agreement"], gds_rows),
        "",
        *_gds_steps(data),
        "",
        "## Loading Neo4j: naive per-edge Cypher vs batched",
        "",
        *_load_rows(data),
        "",
        "## API under concurrent load",
        "",
        *_api_rows(data),
        "",
        "Each endpoint on both stores (`python -m benchmarks.api_load --results …`: a synthetic "
        "run of that many users, 8 keep-alive clients, one round per endpoint after a warm-up):",
        "",
        *_api_endpoint_rows(data),
        "",
        "## Refresh after a 1% delta",
        "",
        "The analysis alone (no store I/O) on the graph grown by 1% more interaction rows: a cold "
        "run (stable ids from the previous run, nothing else reused) against `analyze --refresh` "
        "(Leiden from the previous communities, one pass, users whose attention is unchanged "
        "moving with their previous community; PageRank from the previous scores; "
        "betweenness carried over). NMI compares the refresh's communities with the cold run's, "
        "at the finest level (each user's community_id) and the top level; for scale, the NMI "
        "of two cold runs that differ only in their seed.",
        "",
        *_refresh_rows(data),
        "",
        "## Campaign seeding: IMM against CELF and GDS CELF",
        "",
        "IMM (k = 50, independent cascade, weighted cascade) on the whole graph; on a snowball "
        "sample CELF could finish, CELF (CyNetDiff simulations) and IMM, both seed sets "
        "simulated 10,000 times; GDS CELF (`gds.influenceMaximization.celf`, uniform p = 0.05, "
        "its one model) against IMM under the same model. Medians of the repeats.",
        "",
        *_seeds_rows(data),
        "## Run diff",
        "",
        "`graphsvc runs diff` (and `GET /api/v1/runs/diff` on a cache miss) of the first run and "
        "the cold run after the 1% delta, both published in the SQLite store: reading both runs' "
        "users from the store, then the diff itself (users joined on their ids, every section "
        "whole-column numpy work).",
        "",
        *_diff_rows(data),
        "",
        f"## Where the time goes at {users:,} users (embedded store)",
        "",
        *share,
        "",
        "## Does cost grow linearly with edges?",
        "",
        "Slope b of a least-squares fit of log(seconds) on log(attention edges): b ≈ 1 is "
        "linear. Over all sizes the small ones, where fixed costs dominate, pull b down; "
        "between the two largest it is the cost per edge that counts.",
        "",
        *_slopes(data),
        "",
        "## Not measured",
        "",
        *_skipped(data),
        "",
    ]
    report.write_text("\n".join(lines), encoding="utf-8")


def merged(paths: list[Path]) -> Data:
    """Several results files as one: a size measured in a later file replaces it."""
    files = [json.loads(path.read_text()) for path in paths]
    data = {**files[-1], "sizes": {}, "runs": [], "notes": ""}
    for one in files:
        data["sizes"].update(one["sizes"])
        data["runs"].append(one["config"].get("argv", []))
        data["notes"] = " ".join(filter(None, (data.get("notes"), one.get("notes"))))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("results", type=Path, nargs="*", default=[here / "out/results.json"])
    parser.add_argument("--report", type=Path, default=here / "REPORT.md")
    args = parser.parse_args()
    render(merged(args.results), args.report)


if __name__ == "__main__":
    main()
