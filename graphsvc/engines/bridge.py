"""The GraphX bridge: a small Java class (``GraphxBridge.java``, shipped with the package)
compiled with ``javac`` against pyspark's own jars on first use, cached per pyspark version
and source. GraphX ships inside pyspark, so this needs nothing beyond pyspark and a JDK."""

from __future__ import annotations

__all__ = [
    "SparkUnavailable",
    "bridge_jar",
    "connected_components",
    "graph_library",
    "is_connect",
    "java_home",
]

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from graphsvc.errors import GraphsvcError

SOURCE = Path(__file__).with_name("GraphxBridge.java")
# Spark 4.1 supports Java 17 and 21; the newest such JDK found is used when JAVA_HOME is unset.
_JDK_GLOBS = ("/usr/lib/jvm/java-21-openjdk*", "/usr/lib/jvm/java-17-openjdk*")


class SparkUnavailable(GraphsvcError):
    """The Spark engine was asked for but cannot start (no pyspark, no Java, no bridge)."""

    exit_code, status, title = 69, 503, "Spark unavailable"  # EX_UNAVAILABLE


def java_home() -> str:
    """JAVA_HOME if set, else a JDK 21 or 17 of the usual Debian places, else the one of
    ``java`` on PATH."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    for pattern in _JDK_GLOBS:
        found = sorted(p for p in glob.glob(pattern) if Path(p, "bin", "javac").exists())
        if found:
            return found[0]
    java = shutil.which("java")
    if java is None:
        raise SparkUnavailable("the Spark engine needs Java 17 or 21: set JAVA_HOME")
    return str(Path(java).resolve().parents[1])


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "graphsvc")


def bridge_jar() -> Path:
    """The bridge jar for the installed pyspark, built if missing (about 2 s)."""
    import pyspark

    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    jar = _cache_dir() / f"graphx-bridge-{pyspark.__version__}-{digest}.jar"
    if jar.exists():
        return jar
    jars = Path(pyspark.__file__).parent / "jars"
    bin_dir = Path(java_home(), "bin")
    jar.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp, "classes")
        steps = (
            [str(bin_dir / "javac"), "-cp", f"{jars}/*", "-d", str(classes), str(SOURCE)],
            [str(bin_dir / "jar"), "cf", str(Path(tmp, jar.name)), "-C", str(classes), "."],
        )
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, check=False)
            if done.returncode:
                raise SparkUnavailable(f"building the GraphX bridge failed: {done.stderr.strip()}")
        os.replace(Path(tmp, jar.name), jar)  # whole or not at all
    return jar


def is_connect(spark: Any) -> bool:
    """Whether ``spark`` is a Spark Connect session (no JVM in this process to call)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def graph_library(spark: Any) -> str:
    """ "graphframes" when graphframes-py is installed and its jar is on the classpath (a
    cluster started with ``--packages io.graphframes:…``), "graphx" (the bridge) otherwise,
    and "dataframes" on Spark Connect (DataFrame operations alone)."""
    if is_connect(spark):
        return "dataframes"
    try:
        import graphframes  # noqa: F401  (graphframes-py)
    except ImportError:
        return "graphx"
    try:
        spark._jvm.java.lang.Class.forName("org.graphframes.GraphFrame")
    except Exception:  # py4j's error for a class the JVM cannot load
        return "graphx"
    return "graphframes"


def connected_components(edges: Any) -> Any:
    """(id, component) of every vertex of the (src, dst) DataFrame ``edges``: the smallest
    vertex id of its component, from GraphFrames, GraphX or joins (``graph_library``)."""
    spark = edges.sparkSession
    library = graph_library(spark)
    if library == "dataframes":
        from graphsvc.engines.spark_graph import components_by_joins

        return components_by_joins(edges)
    if library == "graphframes":
        from graphframes import GraphFrame

        ends = edges.selectExpr("src AS id").union(edges.selectExpr("dst AS id")).distinct()
        found = GraphFrame(ends, edges).connectedComponents(algorithm="graphx")
        return found.selectExpr("id", "component")
    from pyspark.sql import DataFrame

    jdf = spark._jvm.graphsvc.GraphxBridge.connectedComponents(edges._jdf, 2**31 - 1)
    return DataFrame(jdf, spark)
