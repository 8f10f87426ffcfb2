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


def _imported_roots(folder: str, *, without: str | None = None) -> set[str]:
    roots: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        if without and path.is_relative_to(ROOT / without):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
    return roots - LOCAL - set(sys.stdlib_module_names) - {"__future__"}


def _declared(*extras: str) -> set[str]:
    """The distributions the project and ``extras`` declare; an extra naming the project's
    own (``graphsvc[spark]``) brings that extra's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    pending = list(extras)
    while pending:
        for spec in project["optional-dependencies"][pending.pop()]:
            own = re.fullmatch(r"graphsvc\[([\w,]+)\]", spec)
            pending += own.group(1).split(",") if own else []
            specs += [] if own else [spec]
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


def _distributions(modules: set[str]) -> set[str]:
    distributions = packages_distributions()
    return {
        d.lower().replace("_", "-")
        for module in modules
        for d in distributions.get(module, [module])
    }


# Provided by a Spark cluster started with GraphFrames (--packages …, pip install
# graphframes-py), used when there; its JVM jar is not obtainable from the registries here.
ON_CLUSTERS = {"graphframes"}


def test_the_library_declares_exactly_what_it_imports():
    """A runtime dependency the library never imports belongs in the extra that uses it; the
    Spark engine's imports are the spark extra's."""
    library = _imported_roots("graphsvc", without="graphsvc/engines")
    engines = _imported_roots("graphsvc/engines") - library - ON_CLUSTERS
    imported = _distributions(library)
    declared = {name.replace("_", "-") for name in _declared()}
    accelerators = {"neo4j-rust-ext"}  # the driver picks it up; nothing imports it by name
    assert declared - accelerators == imported
    spark = {name.replace("_", "-") for name in _declared("spark")} - declared
    assert _distributions(engines) - declared == spark
