"""Every third-party module the tests and benchmarks import is declared, so that a fresh
virtual environment with ``pip install -e '.[test]'`` runs the whole suite."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL = {"graphsvc", "tests", "benchmarks", "needs"}


def _imported_roots(folder: str) -> set[str]:
    roots: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
    return roots - LOCAL - set(sys.stdlib_module_names) - {"__future__"}


def _declared(*extras: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    return {re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower() for spec in specs}


def _undeclared(folder: str, *extras: str) -> dict[str, list[str]]:
    distributions = packages_distributions()
    declared = {name.replace("_", "-") for name in _declared(*extras)}
    missing: dict[str, list[str]] = {}
    for module in sorted(_imported_roots(folder)):
        names = [d.lower().replace("_", "-") for d in distributions.get(module, [module])]
        if not declared.intersection(names):
            missing[module] = names
    return missing


def test_the_test_extra_declares_what_the_tests_import():
    assert _undeclared("tests", "test") == {}


def test_the_test_extra_declares_what_the_benchmark_smoke_test_imports():
    assert _undeclared("benchmarks", "test") == {}


def test_the_library_declares_exactly_what_it_imports():
    """A runtime dependency the library never imports belongs in the extra that uses it."""
    distributions = packages_distributions()
    imported = {
        d.lower().replace("_", "-")
        for module in _imported_roots("graphsvc")
        for d in distributions.get(module, [module])
    }
    declared = {name.replace("_", "-") for name in _declared()}
    accelerators = {"neo4j-rust-ext"}  # the driver picks it up; nothing imports it by name
    assert declared - accelerators == imported
