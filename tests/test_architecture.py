"""Layering and documentation rules that keep the codebase honest."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from graphsvc.config import Neo4jSettings, Settings, env_name
from graphsvc.model import AnalysisParams

ROOT = Path(__file__).resolve().parents[1]


def sources(package: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / package).rglob("*.py"))


def test_analysis_is_pure():
    layers = r"graphsvc\.(store|jobs|api|config|ingest|cli)"
    forbidden = rf"(?m)^\s*(from|import) ({layers}|flask|neo4j|networkx|sqlite3|click)\b"
    assert not re.search(forbidden, sources("graphsvc/analysis"))


def test_stores_do_not_import_analysis_or_api():
    assert not re.search(
        r"(?m)^\s*(from|import) graphsvc\.(analysis|api|jobs)", sources("graphsvc/store")
    )


def test_library_code_never_imports_click():
    for package in (
        "graphsvc/analysis",
        "graphsvc/store",
        "graphsvc/ingest",
        "graphsvc/jobs",
        "graphsvc/api",
    ):
        assert not re.search(r"(?m)^\s*(from|import) click\b", sources(package)), package


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    groups = {"neo4j", "analysis"}
    names = [env_name(f) for f in dataclasses.fields(Settings) if f.name not in groups]
    names += [env_name(f) for f in dataclasses.fields(Neo4jSettings)]
    names += [env_name(f) for f in dataclasses.fields(AnalysisParams)]
    missing = [n for n in names if f"| `{n}` |" not in readme]
    assert not missing, f"README's settings table lacks: {missing}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test" in readme.split("\n## ", 2)[1]  # in the quick start
    assert re.search(r"(?m)^exec scripts/test\b", ci)
