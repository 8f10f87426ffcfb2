"""Layering and documentation rules that keep the codebase honest."""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from graphsvc.config import Neo4jSettings, Settings, env_name
from graphsvc.model import AnalysisParams

ROOT = Path(__file__).resolve().parents[1]


FOUNDATIONS = {"model", "errors", "config", "output", "jsontext"}

# Which graphsvc packages each package may import: imports run downward only. "face" is
# graphsvc/__init__.py (the version).
MAY_IMPORT: dict[str, set[str]] = {
    "model": set(),
    "errors": set(),
    "jsontext": set(),
    "output": set(),
    "config": {"errors", "model"},
    "analysis": {"model"},
    "synth": set(),
    "store": FOUNDATIONS,
    "ingest": FOUNDATIONS | {"store"},
    "admin": FOUNDATIONS | {"ingest", "store"},
    "engines": FOUNDATIONS | {"analysis"},
    "runs": FOUNDATIONS | {"analysis", "store"},
    "jobs": FOUNDATIONS | {"analysis", "runs", "store"},
    "service": FOUNDATIONS | {"jobs", "store"},
    "api": FOUNDATIONS | {"face", "ingest", "jobs", "runs", "service", "store"},
    "web": FOUNDATIONS | {"api", "runs", "service", "store"},
    "server": FOUNDATIONS | {"api", "web", "service", "store"},
    "cli": FOUNDATIONS
    | {"face", "admin", "engines", "ingest", "jobs", "runs", "server", "service", "store", "synth"},
}

# analysis/ computes: numpy, scipy, igraph, cynetdiff (compiled spread simulation) and the
# standard library's pure parts; nothing that reads, writes or serves.
ANALYSIS_THIRD_PARTY = {"numpy", "scipy", "igraph", "cynetdiff"}
IO_MODULES = {"os", "io", "pathlib", "sqlite3", "socket", "subprocess", "shutil", "tempfile"}
IO_MODULES |= {"json", "csv", "urllib", "http", "logging", "pickle", "gzip"}


def imports(path: Path) -> Iterator[str]:
    """Every module `path` imports, anywhere in it; `from graphsvc import x` yields graphsvc.x."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "graphsvc":
                yield from (f"graphsvc.{alias.name}" for alias in node.names)
            else:
                yield node.module


def package_of(path: Path) -> str:
    return path.relative_to(ROOT / "graphsvc").parts[0].removesuffix(".py")


def graphsvc_modules() -> list[Path]:
    return sorted((ROOT / "graphsvc").rglob("*.py"))


def test_imports_run_downward():
    wrong = []
    for path in graphsvc_modules():
        package = package_of(path)
        if package == "__init__":
            continue
        for module in imports(path):
            parts = module.split(".")
            if parts[0] != "graphsvc":
                continue
            target = parts[1] if len(parts) > 1 else "face"
            target = "face" if target == "__version__" else target
            if target != package and target not in MAY_IMPORT[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, wrong


def test_every_package_has_a_layer():
    packages = {package_of(p) for p in graphsvc_modules()} - {"__init__"}
    assert packages == set(MAY_IMPORT)


def test_readme_architecture_lists_every_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tree = readme.split("### Architecture", 1)[1].split("```")[1]
    listed = set(re.findall(r"(?m)^  (\w+)/ ", tree))
    listed |= set(re.findall(r"(\w+)\.py\b", tree))
    assert listed == set(MAY_IMPORT)


def test_analysis_imports_only_computation():
    allowed_std = set(sys.stdlib_module_names) - IO_MODULES
    wrong = []
    for path in (ROOT / "graphsvc" / "analysis").rglob("*.py"):
        for module in imports(path):
            root = module.split(".")[0]
            if root in ANALYSIS_THIRD_PARTY | allowed_std | {"__future__", "graphsvc"}:
                continue
            wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, wrong


def test_only_the_command_line_imports_click():
    wrong = [
        str(p.relative_to(ROOT))
        for p in graphsvc_modules()
        if package_of(p) != "cli" and any(m.split(".")[0] == "click" for m in imports(p))
    ]
    assert not wrong, wrong


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
