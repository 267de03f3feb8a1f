# One image for every part of the tool: the workers, migrate/deploy, the VerifyMeNow stand-in,
# the load generator and the CLI. `docker compose` picks the command per service.
FROM python:3.11.14-slim-bookworm AS build
ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first, from the lock file only, so code changes reuse this layer. The product
# alone: no dev group and no extras, so neither the dev engine (`demo`) nor matplotlib, numpy
# and pillow (`plot`, 129 MiB of 180 MiB: docs/benchmarks.md) are in it.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY workers ./workers
COPY migrations ./migrations
COPY bpmn/identity-verification.bpmn ./bpmn/
RUN uv sync --frozen --no-dev

FROM python:3.11.14-slim-bookworm
RUN groupadd --system --gid 10001 canary \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin canary
WORKDIR /app
COPY --from=build --chown=root:root /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CANARY_LOG_FORMAT=json
USER 10001:10001
EXPOSE 9400 8090
ENTRYPOINT ["canary"]
CMD ["worker"]
