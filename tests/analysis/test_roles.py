"""Guimerà–Amaral roles: z and P by definition, and planted hubs of each kind."""

from __future__ import annotations

import numpy as np
import pytest

from graphsvc.analysis.graphs import EdgeList
from graphsvc.analysis.roles import classify_roles, guimera_amaral_roles
from graphsvc.model import AnalysisParams, Role


def reference(graph: EdgeList, module: np.ndarray) -> tuple[list[float], list[float]]:
    """z and P from the paper's formulas with strengths, one vertex at a time."""
    n = graph.n
    weight = [{} for _ in range(n)]
    rows = zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True)
    for a, b, w in rows:
        weight[a][b] = weight[b][a] = w
    kappa = [sum(w for j, w in weight[i].items() if module[j] == module[i]) for i in range(n)]
    z, p = [], []
    for i in range(n):
        peers = [kappa[j] for j in range(n) if module[j] == module[i]]
        std = float(np.std(peers))
        z.append((kappa[i] - np.mean(peers)) / std if std > 0 else 0.0)
        k = sum(weight[i].values())
        toward = [sum(w for j, w in weight[i].items() if module[j] == s) for s in set(module)]
        p.append(1 - sum((t / k) ** 2 for t in toward) if k else float("nan"))
    return z, p


def test_z_and_participation_follow_the_definitions():
    rng = np.random.default_rng(7)
    n = 50
    src, dst = rng.integers(0, n, 150), rng.integers(0, n, 150)
    graph = EdgeList.build(n, src, dst, rng.random(150) + 0.1, directed=False)
    module = rng.integers(0, 4, n)
    roles = guimera_amaral_roles(graph, module, AnalysisParams())
    z, p = reference(graph, module)
    linked = ~np.isnan(np.asarray(p))
    assert linked.sum() >= 40
    assert roles.within_z[linked] == pytest.approx(np.asarray(z)[linked], abs=1e-12)
    assert roles.participation == pytest.approx(np.asarray(p), abs=1e-12, nan_ok=True)


def test_strength_not_link_count_decides():
    # vertex 0: two heavy ties inside module 0, two light links into each of modules 1 and 2
    src = [0, 0, 0, 0, 0, 0, 1, 2, 4, 5, 6, 7]
    dst = [1, 2, 3, 4, 5, 6, 2, 3, 5, 6, 7, 4]
    weight = [20.0, 20.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    module = np.array([0, 0, 0, 1, 1, 2, 2, 3])
    graph = EdgeList.build(8, src, dst, weight, directed=False)
    p = guimera_amaral_roles(graph, module, AnalysisParams()).participation[0]
    assert p == pytest.approx(1 - (40 / 44) ** 2 - 2 * (2 / 44) ** 2)
    assert p < 0.2  # by link count it would be 1 - 3 · (1/3)² ≈ 0.67


def planted_modules() -> tuple[EdgeList, np.ndarray]:
    """Five modules of 20 (ring + chords: internal degree 4). Vertex 0 links to its whole
    module and once outside (provincial hub); vertex 20 sends 6 links into each of four other
    modules and keeps 6 at home (kinless hub: P = 0.8); vertex 40 spreads 8 links over its own
    and two other modules (connector hub: P = 2/3)."""
    module = np.repeat(np.arange(5), 20)
    src, dst = [], []
    for m in range(5):
        base = 20 * m
        for i in range(20):
            src += [base + i, base + i]
            dst += [base + (i + 1) % 20, base + (i + 2) % 20]
    src += [0] * 19 + [0]
    dst += [*range(1, 20), 99]
    for m in range(5):
        src += [20] * 6
        dst += [20 * m + 3 + j for j in range(6)] if m != 1 else [21 + 2 + j for j in range(6)]
    for m in (2, 3, 4):
        src += [40] * 8
        dst += [20 * m + 5 + j for j in range(8)]
    return EdgeList.build(100, src, dst, directed=False), module


def test_planted_hubs_get_their_roles():
    graph, module = planted_modules()
    roles = guimera_amaral_roles(graph, module, AnalysisParams())
    assert roles.role[0] == Role.PROVINCIAL_HUB
    assert roles.role[20] == Role.KINLESS_HUB
    assert roles.participation[20] == pytest.approx(0.8, abs=0.02)
    assert roles.role[40] == Role.CONNECTOR_HUB
    assert roles.participation[40] == pytest.approx(2 / 3, abs=0.02)
    ordinary = np.setdiff1d(np.arange(100), [0, 20, 40])
    assert (roles.within_z[ordinary] < 2.5).all()
    assert set(roles.role[ordinary].tolist()) <= {
        Role.ULTRA_PERIPHERAL,
        Role.PERIPHERAL,
        Role.CONNECTOR,
        Role.KINLESS,
    }


def test_role_boundaries_and_unlinked_vertices():
    z = np.array([0, 0, 0, 0, 0, 0, 3, 3, 3, 3, np.nan])
    p = np.array([0.0, 0.05, 0.3, 0.62, 0.7, 0.85, 0.3, 0.5, 0.75, 0.9, np.nan])
    got = classify_roles(z, p, AnalysisParams()).tolist()
    assert got == [
        "ultra_peripheral",
        "ultra_peripheral",
        "peripheral",
        "peripheral",
        "connector",
        "kinless",
        "provincial_hub",
        "connector_hub",
        "connector_hub",
        "kinless_hub",
        "",
    ]
    stricter = classify_roles(z, p, AnalysisParams(hub_z=5.0)).tolist()
    assert stricter[6:10] == ["peripheral", "peripheral", "connector", "kinless"]
