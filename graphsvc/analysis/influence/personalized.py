"""Personalized influence: who matters to these people (a brand's customers, one group, one
campaign's buyers), by PageRank whose walker restarts at them."""

from __future__ import annotations

__all__ = ["personalized_influence"]

import numpy as np

from graphsvc.analysis.centrality import pagerank_scores
from graphsvc.analysis.graphs import EdgeList


def personalized_influence(
    attention: EdgeList,
    people: np.ndarray,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> np.ndarray:
    """Personalized PageRank on the attention graph from the vertices ``people`` (Haveliwala,
    "Topic-sensitive PageRank", WWW 2002; Jeh & Widom, WWW 2003): a walker starts at one of
    them, follows attention (to whom they reply, who invited them …) and jumps back to them
    with probability 1 − ``damping``. A high score: much of these people's attention,
    directly or in a few steps, ends there. Sums to 1; equals networkx ``pagerank`` with
    ``personalization``. O((n + m) · iterations).
    """
    people = np.unique(np.asarray(people, dtype=np.int64))
    if len(people) == 0:
        raise ValueError("personalized influence needs at least one person to start from")
    teleport = np.zeros(attention.n)
    teleport[people] = 1.0
    return pagerank_scores(
        attention, damping=damping, tol=tol, max_iter=max_iter, teleport=teleport
    )
