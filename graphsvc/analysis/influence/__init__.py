"""Campaign seeding: whom to start a campaign with, on the influence graph (the attention
graph reversed: when a pays attention to b, b influences a).

Modules: ``graph`` (edge probabilities), ``rrsets`` (reverse-reachable sets, vectorized),
``imm`` (influence maximization), ``cover`` (greedy maximum coverage under constraints),
``simulate`` (Monte-Carlo spread by CyNetDiff), ``celf`` (the simulation-greedy reference),
``personalized`` (who matters to given people), ``team_reach`` (KOL teams by unique reach),
``spreaders`` (k-shell, LeaderRank, VoteRank and the SIR protocol).
"""

from __future__ import annotations

__all__ = [
    "Constraints",
    "ImmResult",
    "InfluenceGraph",
    "TeamReach",
    "imm",
    "influence_graph",
    "personalized_influence",
    "reach_sets",
    "team_reach",
]

from graphsvc.analysis.influence.cover import Constraints
from graphsvc.analysis.influence.graph import InfluenceGraph, influence_graph
from graphsvc.analysis.influence.imm import ImmResult, imm
from graphsvc.analysis.influence.personalized import personalized_influence
from graphsvc.analysis.influence.team_reach import TeamReach, reach_sets, team_reach
