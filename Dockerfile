# syntax=docker/dockerfile:1
# Build: docker build -t cshub .
# Run against your PostgreSQL:  docker run -p 8000:8000 -e CSHUB_DATABASE_URL=postgresql://user:pw@db:5432/cshub cshub
# Run on the embedded one:      docker run -p 8000:8000 -v cshub-data:/data cshub

FROM python:3.11-slim AS build
WORKDIR /src
# Exactly what uv.lock pins (hashes checked), installed by the uv version the lock itself pins.
ENV UV_PROJECT_ENVIRONMENT=/opt/cshub UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock README.md ./
RUN pip install --no-cache-dir "uv==$(sed -n '/^name = "uv"$/{n;s/^version = "\(.*\)"$/\1/p;}' uv.lock)" \
 && uv sync --locked --no-install-project --no-cache
COPY service ./service
COPY migrations ./migrations
COPY openapi ./openapi
RUN uv sync --locked --no-editable --no-cache

FROM python:3.11-slim AS runtime
RUN groupadd --system cshub && useradd --system --gid cshub --home-dir /data --create-home cshub
COPY --from=build /opt/cshub /opt/cshub
ENV PATH=/opt/cshub/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CSHUB_HOST=0.0.0.0 \
    CSHUB_PORT=8000 \
    CSHUB_DATA_DIR=/data \
    CSHUB_ENVIRONMENT=production
USER cshub
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["cshub"]
CMD ["serve"]
