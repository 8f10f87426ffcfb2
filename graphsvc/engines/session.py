"""A Spark session for the Spark engine: Java 17, the GraphX bridge on the classpath, Arrow."""

from __future__ import annotations

__all__ = ["spark_session"]

import os
from typing import Any

from graphsvc.engines.bridge import SparkUnavailable, bridge_jar, java_home


def spark_session(
    master: str = "local[2]",
    *,
    driver_memory: str = "8g",
    shuffle_partitions: int | None = None,
    conf: dict[str, str] | None = None,
) -> Any:
    """A SparkSession on ``master`` (``local[N]``, ``spark://host:port``; ``sc://…`` is a
    Spark Connect server) with the GraphX bridge jar, Arrow transfers and quiet logs. A
    session already running in this process is reused (Spark allows one)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailable(
            "the Spark engine needs pyspark: pip install 'graphsvc[spark]'"
        ) from exc
    os.environ.setdefault("JAVA_HOME", java_home())
    if master.startswith("local"):  # a cluster's executors must reach the driver elsewhere
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName("graphsvc")
    if master.startswith("sc://"):
        builder = builder.remote(master)
    else:
        builder = builder.master(master).config("spark.driver.memory", driver_memory)
        builder = builder.config("spark.jars", str(bridge_jar()))
    settings = {
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
