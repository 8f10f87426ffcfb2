# graphsvc API and jobs. Build: docker build -t graphsvc .   (see docker-compose.yml)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
RUN pip install . && useradd --create-home --uid 10001 graphsvc
COPY cypher ./cypher

USER graphsvc
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
ENTRYPOINT ["graphsvc"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
