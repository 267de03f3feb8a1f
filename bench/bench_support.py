"""Helpers the benchmark scripts share: a throwaway migrated database, percentiles, output."""

import contextlib
import os
import statistics
import uuid
from collections.abc import AsyncIterator, Sequence

import psycopg
from psycopg.conninfo import conninfo_to_dict

from workers.logs import configure_logging
from workers.migrate import migrate
from workers.settings import LoggingSettings

# Benchmarks print numbers; the code under test only speaks up when something is wrong.
configure_logging(LoggingSettings(format="console", level="warning", redact_keys=frozenset()))

SERVER_URL = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def url_for(database: str) -> str:
    params = conninfo_to_dict(SERVER_URL)
    user = params.get("user") or "postgres"
    host = params.get("host") or "127.0.0.1"
    port = params.get("port") or 5432
    return f"postgresql://{user}@{host}:{port}/{database}"


@contextlib.asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    """A fresh migrated database, dropped afterwards."""
    name = f"canary_bench_{uuid.uuid4().hex[:8]}"
    async with await psycopg.AsyncConnection.connect(SERVER_URL, autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        async with await psycopg.AsyncConnection.connect(url_for(name), autocommit=True) as conn:
            await migrate(conn)
        yield url_for(name)
    finally:
        async with await psycopg.AsyncConnection.connect(SERVER_URL, autocommit=True) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank on the sorted values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: Sequence[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.3f}  p95 {percentile(values, 95):.3f}  "
        f"p99 {percentile(values, 99):.3f}  max {max(values):.3f}  "
        f"mean {statistics.fmean(values):.3f}"
    )


def report(name: str, value: str, goal: str = "") -> None:
    suffix = f"   (goal {goal})" if goal else ""
    print(f"{name:<58} {value}{suffix}")
