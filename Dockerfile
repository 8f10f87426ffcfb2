# graphsvc API and jobs. Build: docker build -t graphsvc .   (see docker-compose.yml)
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
RUN pip install . && useradd --create-home --uid 10001 graphsvc
COPY cypher ./cypher

# The Spark engine (docker compose --profile spark): a JDK and pyspark, the GraphX bridge
# built. One image runs the Spark master, the workers and the analysis driver, so executors
# run the same Python, igraph and graphsvc as the driver; /shared is the Parquet seam.
FROM base AS spark
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jdk-headless procps \
    && rm -rf /var/lib/apt/lists/* \
    && pip install ".[spark]" \
    && mkdir /shared && chown graphsvc /shared
USER graphsvc
RUN python -c "from graphsvc.engines.bridge import bridge_jar; print(bridge_jar())"
ENTRYPOINT ["graphsvc"]

FROM base
USER graphsvc
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
ENTRYPOINT ["graphsvc"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
