"""The campaign-seeding job: the current run's attention graph from the store, the seeds a
method chooses under the marketer's constraints, stored with that run."""

from __future__ import annotations

__all__ = [
    "MAX_EPSILON",
    "METHODS",
    "MIN_EPSILON",
    "MODELS",
    "PROBABILITIES",
    "ROW_COLUMNS",
    "SeedRequest",
    "choose_seeds",
]

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from graphsvc.analysis.graphs import EdgeList, attention_graph, find_sorted
from graphsvc.analysis.influence import Constraints, imm, influence_graph, reach_sets, team_reach
from graphsvc.analysis.influence.cover import greedy_cover
from graphsvc.analysis.influence.graph import PROBABILITIES, InfluenceGraph
from graphsvc.analysis.influence.imm import PrefixSpread, prefix_spread
from graphsvc.analysis.influence.personalized import personalized_influence
from graphsvc.analysis.influence.rrsets import MODELS, sample_rr_sets
from graphsvc.analysis.influence.spreaders import RANKERS, spreader_scores
from graphsvc.errors import ConfigError, InputError
from graphsvc.jobs.snapshot import build_snapshot
from graphsvc.model import AnalysisParams, GraphSnapshot, SeedSet, Tier
from graphsvc.runs.current import current_run
from graphsvc.store.base import GraphStore

# imm: influence maximization; team: unique reach; personalized: who matters to `people`;
# the spreader rankers: their top k.
METHODS = ("imm", "team", "personalized", *RANKERS)
ROW_COLUMNS = (
    "rank",
    "user_id",
    "marginal_spread",
    "expected_spread",
    "spread_low",
    "spread_high",
    "score",
    "community_id",
    "tier",
)

# IMM's ε: below 0.05 the RR sets needed grow past any machine (θ ∝ 1/ε²), at 1 it means nothing
MIN_EPSILON, MAX_EPSILON = 0.05, 0.9


@dataclass(frozen=True)
class SeedRequest:
    """What a marketer asks. Ids are user ids; ``origins`` says where an id was read
    ("file:line") for error messages."""

    k: int = 50
    method: str = "imm"
    model: str = "ic"  # ic | lt
    probabilities: str = "wc"  # wc | weighted | uniform
    p: float = 0.1  # for uniform
    epsilon: float = 0.2
    seed: int = 0
    per_community: int | None = None
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # personalized: the customers, group or buyers to serve
    budget: float | None = None
    prices: Mapping[str, float] = field(default_factory=dict)  # tier → price (default 1)
    samples: int = 100_000  # RR sets estimating the spread of a non-IMM choice
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        checks = (
            (self.k >= 1, f"k={self.k}: expected at least 1"),
            (self.method in METHODS, f"method={self.method!r}: expected one of {METHODS}"),
            (
                MIN_EPSILON <= self.epsilon <= MAX_EPSILON,
                f"epsilon={self.epsilon}: expected {MIN_EPSILON} ≤ epsilon ≤ {MAX_EPSILON}",
            ),
            (self.per_community is None or self.per_community >= 1, "per_community must be ≥ 1"),
            (self.budget is None or 0 < self.budget <= 1e12, "budget must be in (0, 1e12]"),
            (self.method != "personalized" or self.people, "personalized needs people"),
            (set(self.prices) <= {t.value for t in Tier}, f"prices name tiers {list(Tier)}"),
            (all(0 <= v <= 1e12 for v in self.prices.values()), "prices must be in [0, 1e12]"),
        )
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def as_dict(self) -> dict:
        out = asdict(self)
        del out["origins"]
        out["prices"] = dict(self.prices)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def _vertices(snapshot: GraphSnapshot, request: SeedRequest, name: str) -> np.ndarray:
    ids = list(getattr(request, name))
    at = find_sorted(snapshot.user_ids, np.array(ids, dtype=str)) if ids else np.zeros(0, int)
    unknown = [u for u, i in zip(ids, at.tolist(), strict=True) if i < 0]
    if unknown:
        lines = [f"{request.origins.get(u, name)}: user_id: unknown user {u!r}" for u in unknown]
        raise InputError("\n".join([f"{len(unknown)} unknown user(s) in {name}", *lines[:20]]))
    return at


def _labels(values: np.ndarray) -> np.ndarray:
    """Community ids as integer labels, -1 for none."""
    names, labels = np.unique(values.astype(str), return_inverse=True)
    return np.where(names[labels] == "", -1, labels)


def _constraints(
    request: SeedRequest, snapshot: GraphSnapshot, community: np.ndarray, tier: np.ndarray
) -> Constraints:
    exclude = _vertices(snapshot, request, "exclude")
    if request.method == "personalized":  # the audience itself is not the answer
        exclude = np.union1d(exclude, _vertices(snapshot, request, "people"))
    price = np.array([request.prices.get(str(t), 1.0) for t in tier], dtype=float)
    return Constraints(
        exclude=exclude,
        include=_vertices(snapshot, request, "include"),
        community=_labels(community),
        per_community=request.per_community,
        cost=price,
        budget=request.budget,
    )


def _choose(
    request: SeedRequest,
    snapshot: GraphSnapshot,
    attention: EdgeList,
    graph: InfluenceGraph,
    constraints: Constraints,
    params: AnalysisParams,
) -> tuple[np.ndarray, np.ndarray, dict, PrefixSpread | None]:
    """Seeds in choice order, their scores, the method's figures, and (IMM) the spread of
    each prefix on RR sets independent of the choice."""
    k, n = min(request.k, snapshot.n_users), snapshot.n_users
    if request.method == "imm":
        result = imm(
            graph,
            k,
            model=request.model,
            epsilon=request.epsilon,
            seed=request.seed,
            constraints=constraints,
            estimate_samples=request.samples,
        )
        stats = {
            "theta": result.theta,
            "lower_bound": result.lower_bound,
            "rr_sets": result.sampled,
            "ell": result.ell,
        }
        return result.seeds, result.cover.gains * n / result.theta, stats, result.spread
    if request.method == "team":
        first, people = reach_sets(attention, snapshot.referral_inviter, snapshot.referral_invitee)
        team = team_reach(first, people, k, constraints)
        stats = {
            "unique_reach": team.total,
            "reach": team.reach.tolist(),
            "overlap": team.overlap.tolist(),
        }
        return team.chosen, team.gains, stats, None
    if request.method == "personalized":
        people = _vertices(snapshot, request, "people")
        scores = personalized_influence(attention, people, damping=params.damping)
    else:
        scores = spreader_scores(request.method, attention, graph, params.damping)
    top = greedy_cover(np.arange(n + 1), np.arange(n), n, k, constraints, weight=scores)
    return top.chosen, scores[top.chosen], {}, None


def choose_seeds(
    store: GraphStore,
    request: SeedRequest,
    params: AnalysisParams,
    *,
    seeds_id: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> SeedSet:
    """Choose seeds on the store's current graph and store them with the current run.

    Every method's seeds get the same spread figures under ``request.model``: each prefix's
    expected spread (with a 95% interval) on RR sets independent of the choice.
    """
    stage = on_stage or (lambda name: None)
    started, clock = time.time(), time.perf_counter()
    run = current_run(store)
    stage("read")
    snapshot = build_snapshot(store, health=False)  # the graph only
    cols = store.result_columns(run.run_id, ["community_id", "tier"])
    at = find_sorted(snapshot.user_ids, np.asarray(cols["user_id"], dtype=str))
    community, tier = np.full(snapshot.n_users, "", object), np.full(snapshot.n_users, "", object)
    community[at[at >= 0]] = cols["community_id"][at >= 0]
    tier[at[at >= 0]] = cols["tier"][at >= 0]
    attention = attention_graph(snapshot, params)
    graph = influence_graph(attention, request.probabilities, request.p)
    try:
        constraints = _constraints(request, snapshot, community, tier)
        stage(request.method)
        chosen = _choose(request, snapshot, attention, graph, constraints, params)
    except ValueError as e:  # a constraint that cannot hold
        raise InputError(str(e)) from None
    seeds, scores, stats, spread = chosen
    if spread is None:
        stage("spread")
        rng = np.random.default_rng(request.seed)
        spread = prefix_spread(sample_rr_sets(graph, request.model, request.samples, rng), seeds)
    previous = np.concatenate([[0.0], spread.spread[:-1]])
    rows = [
        {
            "rank": i + 1,
            "user_id": str(snapshot.user_ids[v]),
            "marginal_spread": float(spread.spread[i] - previous[i]),
            "expected_spread": float(spread.spread[i]),
            "spread_low": float(spread.low[i]),
            "spread_high": float(spread.high[i]),
            "score": float(scores[i]),
            "community_id": str(community[v]),
            "tier": str(tier[v]),
        }
        for i, v in enumerate(seeds.tolist())
    ]
    stats = {
        **stats,
        "n_users": snapshot.n_users,
        "n_edges": graph.m,
        "spread_samples": spread.samples,
        "cost": float(constraints.cost[seeds].sum()),
        "seconds": round(time.perf_counter() - clock, 3),
    }
    seeds_id = seeds_id or time.strftime(
        "seeds-%Y%m%dT%H%M%SZ-", time.gmtime()
    ) + secrets.token_hex(4)
    result = SeedSet(seeds_id, run.run_id, started, request.as_dict(), stats, rows)
    store.write_seeds(result)
    return result
