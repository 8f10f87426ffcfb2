"""Pure analysis on numpy columns and igraph graphs: no I/O, no store, no web.

Imports only numpy, scipy, igraph and ``graphsvc.model`` (and CyNetDiff, a compiled diffusion
simulator, in ``influence.simulate``). Modules, one family each: ``graphs`` (attention graph),
``centrality``, ``communities``, ``consensus`` (consensus clustering of cold runs), ``leaders``,
``roles``, ``tiers``, ``referral``, ``health``, ``lineage`` (stable community ids), ``churn``
(what changed since the previous run), ``explain`` (why a user ranks), and ``pipeline`` which
runs them all on a GraphSnapshot; the package ``influence`` (campaign seeding: IMM, team
reach, personalized influence, spreader rankers).
"""

from __future__ import annotations

__all__ = ["STAGES", "AnalysisOutput", "previous_from_output", "run_pipeline"]

from graphsvc.analysis.pipeline import (
    STAGES,
    AnalysisOutput,
    previous_from_output,
    run_pipeline,
)
