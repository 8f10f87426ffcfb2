"""Guimerà–Amaral roles: within-community degree z-score and participation coefficient.

Guimerà & Amaral, "Functional cartography of complex metabolic networks", Nature 433:895
(2005), on the symmetrized attention graph with degree measured as strength (attention
weight; the weighted variant of the paper's link counts). With plain link counts, a group
owner who gets one stray reply from each of many other groups looks like a connector hub;
weighted, the owner is the provincial hub their attention says they are, and a super user whose
attention really is spread over groups is the connector.
"""

from __future__ import annotations

__all__ = ["Roles", "classify_roles", "guimera_amaral_roles"]

from dataclasses import dataclass

import numpy as np

from graphsvc.analysis.graphs import EdgeList, sum_by_key
from graphsvc.model import AnalysisParams, Role


@dataclass(frozen=True)
class Roles:
    within_z: np.ndarray  # float64, NaN for vertices without links
    participation: np.ndarray  # float64 in [0, 1), NaN for vertices without links
    role: np.ndarray  # object: Role value, "" for vertices without links


def classify_roles(z: np.ndarray, p: np.ndarray, params: AnalysisParams) -> np.ndarray:
    """Role of each vertex from (z, P), NaN → "". Thresholds from ``params`` (paper values):

    hubs (z ≥ hub_z = 2.5): R5 provincial hub P ≤ 0.30, R6 connector hub P ≤ 0.75,
    R7 kinless hub above; non-hubs: R1 ultra-peripheral P ≤ 0.05, R2 peripheral P ≤ 0.62,
    R3 connector P ≤ 0.80, R4 kinless above. O(n).
    """
    hub = z >= params.hub_z
    hub_role = np.select(
        [p <= params.role_p_provincial_hub, p <= params.role_p_connector_hub],
        [Role.PROVINCIAL_HUB.value, Role.CONNECTOR_HUB.value],
        Role.KINLESS_HUB.value,
    )
    plain_role = np.select(
        [
            p <= params.role_p_ultra_peripheral,
            p <= params.role_p_peripheral,
            p <= params.role_p_connector,
        ],
        [Role.ULTRA_PERIPHERAL.value, Role.PERIPHERAL.value, Role.CONNECTOR.value],
        Role.KINLESS.value,
    )
    role = np.where(hub, hub_role, plain_role).astype(object)
    role[np.isnan(z) | np.isnan(p)] = ""
    return role


def guimera_amaral_roles(graph: EdgeList, module: np.ndarray, params: AnalysisParams) -> Roles:
    """z_i = (κ_i − mean κ of i's module) / std κ of i's module, κ_i = i's strength inside its
    module (std 0 → z 0); P_i = 1 − Σ_s (κ_is / k_i)², k_i = i's strength, κ_is = its strength
    toward module s. ``graph`` is simple and undirected (unit weights give the paper's link
    counts); ``module`` assigns every vertex (a vertex without links gets NaN and role "").
    O(n + m log m), no per-vertex loop.
    """
    n = graph.n
    module = np.asarray(module, dtype=np.int64)
    a = np.concatenate([graph.src, graph.dst])
    b = np.concatenate([graph.dst, graph.src])
    w = np.concatenate([graph.weight, graph.weight])
    k = np.bincount(a, w, n).astype(float, copy=False)
    ma, mb = module[a], module[b]
    same = ma == mb
    kappa = np.bincount(a[same], w[same], n).astype(float, copy=False)
    n_mod = int(module.max()) + 1 if n else 0
    size = np.bincount(module, minlength=n_mod).astype(float)
    mean = np.bincount(module, kappa, n_mod) / np.maximum(size, 1)
    dev = kappa - mean[module]
    std = np.sqrt(np.bincount(module, dev * dev, n_mod) / np.maximum(size, 1))
    s = std[module]
    z = np.divide(dev, s, out=np.zeros(n), where=s > 0)
    key, toward = sum_by_key(a * np.int64(n_mod) + mb, w)
    owner = key // max(n_mod, 1)
    share_sq = np.bincount(owner, (toward / k[owner]) ** 2, n)
    p = 1.0 - share_sq
    linked = k > 0
    z = np.where(linked, z, np.nan)
    p = np.where(linked, np.clip(p, 0.0, 1.0), np.nan)
    return Roles(z, p, classify_roles(z, p, params))
