# syntax=docker/dockerfile:1
# imagegate: one gateway process per container, `imagegate serve` on 0.0.0.0:8080, as a non-root user.
#   docker build -t imagegate .
#   docker build --build-arg EXTRAS=postgres,redis,s3,otel -t imagegate .   # with OpenTelemetry traces
# compose.yaml runs two of them behind nginx, with PostgreSQL, Redis and MinIO (README: Scale out).

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# --- build: the imagegate wheel and every dependency's, so the runtime stage needs no compiler or index --------
FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=postgres,redis,s3
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --wheel-dir /wheels ".[${EXTRAS}]"

# --- runtime --------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG EXTRAS=postgres,redis,s3
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN groupadd --system --gid 10001 imagegate \
 && useradd --system --uid 10001 --gid imagegate --home-dir /var/lib/imagegate --create-home \
        --shell /usr/sbin/nologin imagegate
# The wheels are mounted for this step only, so they are not a layer of the image.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels "imagegate[${EXTRAS}]"

USER imagegate
WORKDIR /var/lib/imagegate
ENV IMAGEGATE_HOST=0.0.0.0 IMAGEGATE_PORT=8080 IMAGEGATE_DATA_DIR=/var/lib/imagegate
EXPOSE 8080
STOPSIGNAL SIGTERM
# Liveness: /healthz answers while the process serves (no curl in the slim image: Python's urllib).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('IMAGEGATE_PORT', '8080') + '/healthz', timeout=2)"]
ENTRYPOINT ["imagegate", "serve"]
