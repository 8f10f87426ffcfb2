"""The networkx baseline: the same metrics on the same attention graph, in a fresh process
(so its peak RSS is its own), each algorithm timed on its own with the StageMeter.

PageRank runs networkx's pure-Python power iteration (``_pagerank_python``): ``nx.pagerank``
itself needs scipy, which graphsvc does not install. Louvain stands in for Leiden (networkx
3.6 has no Leiden without a backend).

    python -m benchmarks.nx_baseline GRAPH.npz OUT.npz --repeat 1 --sources 20
"""

from __future__ import annotations

__all__ = ["export_graph", "networkx_baseline", "run_networkx"]

import argparse
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

from benchmarks.compare import rank_agreement
from benchmarks.embedded import Analysis
from benchmarks.measure import StageMeter, summarize
from benchmarks.suite import Bench
from graphsvc.analysis.graphs import EdgeList


def export_graph(path: Path, attention: EdgeList, undirected: EdgeList) -> None:
    """Both graphs as columns for the subprocess."""
    np.savez(
        path,
        n=attention.n,
        src=attention.src,
        dst=attention.dst,
        w=attention.weight,
        usrc=undirected.src,
        udst=undirected.dst,
        uw=undirected.weight,
    )


def _graphs(path: Path) -> tuple[nx.DiGraph, nx.Graph]:
    cols = np.load(path)
    n = int(cols["n"])
    directed, undirected = nx.DiGraph(), nx.Graph()
    for graph, prefix in ((directed, ""), (undirected, "u")):
        graph.add_nodes_from(range(n))
        graph.add_weighted_edges_from(
            zip(
                cols[prefix + "src"].tolist(),
                cols[prefix + "dst"].tolist(),
                cols[prefix + "w"].tolist(),
                strict=True,
            )
        )
    return directed, undirected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--sources", type=int, default=0, help="betweenness k; 0 = exact")
    parser.add_argument("--damping", type=float, default=0.85)
    parser.add_argument("--tol", type=float, default=1e-10, help="L1 change, as graphsvc's")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    meter = StageMeter()
    with meter.stage("build"):
        directed, undirected = _graphs(args.graph)
    n = directed.number_of_nodes()
    for _ in range(args.repeat):
        with meter.stage("pagerank"):
            # networkx stops when the L1 change is below n * tol
            pr = _pagerank_python(
                directed, alpha=args.damping, weight="weight", tol=args.tol / n, max_iter=1000
            )
        with meter.stage("core_number"):
            core = nx.core_number(undirected)
        with meter.stage("betweenness"):
            nx.betweenness_centrality(undirected, k=args.sources or None, seed=args.seed)
        with meter.stage("louvain"):
            parts = nx.community.louvain_communities(undirected, weight="weight", seed=args.seed)
    meter.close()
    membership = np.empty(n, dtype=np.int64)
    for i, part in enumerate(parts):
        membership[list(part)] = i
    np.savez(
        args.out,
        pagerank=np.array([pr[i] for i in range(n)]),
        core=np.array([core[i] for i in range(n)]),
        membership=membership,
    )
    stages = {
        name: {
            "seconds": summarize([s.seconds for s in samples]),
            "peak_rss_mb": summarize([s.peak_rss_mb for s in samples]),
        }
        for name, samples in meter.by_stage().items()
    }
    modularity = nx.community.modularity(undirected, parts, weight="weight")
    json.dump({"stages": stages, "louvain_modularity": modularity}, sys.stdout)


def run_networkx(
    work: Path, attention: EdgeList, undirected: EdgeList, *, repeat: int, sources: int, seed: int
) -> tuple[dict, dict[str, np.ndarray]]:
    """Run the baseline in a subprocess; its figures and its PageRank, cores and membership."""
    graph, out = work / "nx-graph.npz", work / "nx-out.npz"
    export_graph(graph, attention, undirected)
    cmd = [sys.executable, "-m", "benchmarks.nx_baseline", str(graph), str(out)]
    done = subprocess.run(
        [*cmd, "--repeat", str(repeat), "--sources", str(sources), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode:
        raise RuntimeError(f"networkx baseline exited {done.returncode}: {done.stderr[-1000:]}")
    with np.load(out) as arrays:
        return json.loads(done.stdout), dict(arrays)


def networkx_baseline(bench: Bench, ours: Analysis, max_sources: int, exact_max: int) -> None:
    """Baseline ``networkx``: exact betweenness where graphsvc's is exact and n ≤ ``exact_max``,
    else ``k`` sampled sources (at most ``max_sources``: the ratio is then per source); ranks
    and cores compared."""
    exact = ours.betweenness_sources >= ours.attention.n and ours.attention.n <= exact_max
    sources = 0 if exact else min(max_sources, ours.betweenness_sources)
    figures, arrays = run_networkx(
        bench.work,
        ours.attention,
        ours.undirected,
        repeat=bench.times(heavy=True),
        sources=sources,
        seed=bench.seed,
    )
    cores = np.asarray(ours.output.users.columns["coreness"])
    figures.update(
        betweenness_sources=sources or ours.attention.n,
        pagerank_agreement=rank_agreement(ours.influence, arrays["pagerank"]),
        core_number_equal=float((arrays["core"] == cores).mean()),
        louvain_communities=int(arrays["membership"].max()) + 1,
    )
    bench.results.put(bench.users, "baselines", "networkx", figures)


if __name__ == "__main__":
    main()
