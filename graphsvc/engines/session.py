"""A Spark session for the Spark engine: Java 17, the GraphX bridge on the classpath, Arrow."""

from __future__ import annotations

__all__ = ["functions", "spark_session", "window"]

import os
import sys
from typing import Any

from graphsvc.engines.bridge import SparkUnavailable, bridge_jar, is_connect, java_home


def spark_session(
    master: str = "local[2]",
    *,
    driver_memory: str = "8g",
    shuffle_partitions: int | None = None,
    conf: dict[str, str] | None = None,
) -> Any:
    """A SparkSession on ``master`` (``local[N]``, ``spark://host:port``) with the GraphX
    bridge jar, Arrow transfers and quiet logs; or, for ``sc://host:port``, a Spark Connect
    session to a server configured on its own side (connected components then run as joins:
    no JVM here to call the bridge). A session already running in this process is reused
    (Spark allows one)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailable(
            "the Spark engine needs pyspark: pip install 'graphsvc[spark]'"
        ) from exc
    os.environ.setdefault("JAVA_HOME", java_home())
    if master.startswith("local"):  # a cluster's executors reach the driver and run their own
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # this Python, with graphsvc
    if master.startswith("sc://"):  # Spark Connect: the server holds the configuration
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        # its own builder: a classic session in this process (tests) does not stand in the way
        return ConnectSession.builder.remote(master).getOrCreate()
    builder = SparkSession.builder.appName("graphsvc").master(master)
    builder = builder.config("spark.driver.memory", driver_memory)
    settings = {
        "spark.jars": str(bridge_jar()),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        **({"spark.sql.shuffle.partitions": str(shuffle_partitions)} if shuffle_partitions else {}),
        **(conf or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def functions(of: Any) -> Any:
    """``pyspark.sql.functions`` for the session of ``of`` (a DataFrame or a session): Spark
    Connect's own module for a Connect session, whose columns are plans, not JVM objects."""
    session = getattr(of, "sparkSession", of)
    if is_connect(session):
        from pyspark.sql.connect import functions as connect_functions

        return connect_functions
    from pyspark.sql import functions as classic_functions

    return classic_functions


def window(of: Any) -> Any:
    """``Window`` for the session of ``of`` (see ``functions``)."""
    if is_connect(getattr(of, "sparkSession", of)):
        from pyspark.sql.connect.window import Window as ConnectWindow

        return ConnectWindow
    from pyspark.sql import Window

    return Window
