"""The engine seam: the graph-scale stages of the pipeline (attention graph, PageRank,
community modules, block leaders, roles, community health, tiers, referral tree), which an
engine may run elsewhere.

``IGRAPH`` runs them here with igraph and numpy: the default and the reference. Another
engine (``graphsvc.engines.spark``) computes the same definitions on a cluster; everything
else of the pipeline (shills, betweenness, lifecycle, explanations) uses the engine's results as
they are.
"""

from __future__ import annotations

__all__ = ["IGRAPH", "GraphEngine", "IgraphEngine"]

from typing import Any, Protocol

import numpy as np

from graphsvc.analysis.centrality import pagerank_scores
from graphsvc.analysis.graphs import EdgeList, attention_graph
from graphsvc.analysis.health import Health, community_health
from graphsvc.analysis.leaders import Leaders, block_leaders
from graphsvc.analysis.referral import ReferralTree, referral_tree
from graphsvc.analysis.roles import Roles, guimera_amaral_roles
from graphsvc.analysis.tiers import Tiers, assign_tiers
from graphsvc.model import AnalysisParams, GraphSnapshot


class GraphEngine(Protocol):
    """Where the graph-scale stages run. Each method computes what the function it is named
    after computes in ``graphsvc.analysis``; an engine may approximate only ``modules``."""

    name: str

    def attention(
        self,
        snapshot: GraphSnapshot,
        params: AnalysisParams,
        discount: tuple[np.ndarray, np.ndarray] | None,
    ) -> EdgeList:
        """``graphs.attention_graph``."""
        ...

    def pagerank(
        self, graph: EdgeList, *, damping: float, tol: float, max_iter: int, start: Any
    ) -> np.ndarray:
        """``centrality.pagerank_scores``."""
        ...

    def modules(
        self, undirected: EdgeList, *, resolution: float, seed: int, iterations: int
    ) -> np.ndarray | None:
        """A community module per vertex of ``undirected``, or None: the pipeline runs
        Leiden itself (``communities.detect_communities``, warm starts and consensus)."""
        ...

    def leaders(
        self,
        graph: EdgeList,
        member_user: np.ndarray,
        member_block: np.ndarray,
        n_blocks: int,
        **options: Any,
    ) -> Leaders:
        """``leaders.block_leaders``."""
        ...

    def roles(self, undirected: EdgeList, module: np.ndarray, params: AnalysisParams) -> Roles:
        """``roles.guimera_amaral_roles``."""
        ...

    def health(
        self,
        attention: EdgeList,
        undirected: EdgeList,
        label: np.ndarray,
        n_communities: int,
        owner: np.ndarray,
        **shape: float,
    ) -> Health:
        """``health.community_health``."""
        ...

    def tiers(self, **inputs: Any) -> Tiers:
        """``tiers.assign_tiers``."""
        ...

    def referral(
        self, inviter: np.ndarray, invitee: np.ndarray, n: int, *, deep_chain_levels: int
    ) -> ReferralTree:
        """``referral.referral_tree``."""
        ...

    def stats(self) -> dict[str, Any]:
        """What the engine reports for the run's stats (JSON-ready)."""
        ...


class IgraphEngine:
    """The stages on this machine: numpy, scipy and igraph (the functions themselves)."""

    name = "igraph"

    def attention(
        self,
        snapshot: GraphSnapshot,
        params: AnalysisParams,
        discount: tuple[np.ndarray, np.ndarray] | None,
    ) -> EdgeList:
        return attention_graph(snapshot, params, discount=discount)

    def pagerank(
        self, graph: EdgeList, *, damping: float, tol: float, max_iter: int, start: Any
    ) -> np.ndarray:
        return pagerank_scores(graph, damping=damping, tol=tol, max_iter=max_iter, start=start)

    def modules(
        self, undirected: EdgeList, *, resolution: float, seed: int, iterations: int
    ) -> np.ndarray | None:
        return None

    def leaders(
        self,
        graph: EdgeList,
        member_user: np.ndarray,
        member_block: np.ndarray,
        n_blocks: int,
        **options: Any,
    ) -> Leaders:
        return block_leaders(graph, member_user, member_block, n_blocks, **options)

    def roles(self, undirected: EdgeList, module: np.ndarray, params: AnalysisParams) -> Roles:
        return guimera_amaral_roles(undirected, module, params)

    def health(
        self,
        attention: EdgeList,
        undirected: EdgeList,
        label: np.ndarray,
        n_communities: int,
        owner: np.ndarray,
        **shape: float,
    ) -> Health:
        return community_health(attention, undirected, label, n_communities, owner, **shape)

    def tiers(self, **inputs: Any) -> Tiers:
        return assign_tiers(**inputs)

    def referral(
        self, inviter: np.ndarray, invitee: np.ndarray, n: int, *, deep_chain_levels: int
    ) -> ReferralTree:
        return referral_tree(inviter, invitee, n, deep_chain_levels=deep_chain_levels)

    def stats(self) -> dict[str, Any]:
        return {"engine": self.name}


IGRAPH = IgraphEngine()
