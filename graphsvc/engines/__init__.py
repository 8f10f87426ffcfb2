"""Engines that run the pipeline's graph-scale stages away from this process: Apache Spark
(``spark``). Each implements ``graphsvc.analysis.engine.GraphEngine``; pyspark is the
``graphsvc[spark]`` extra, imported only when a Spark engine is asked for."""
