"""Fixtures shared by every test: a real Postgres, one fresh migrated database per test.

The server is DATABASE_URL's, else the local one on 127.0.0.1:5432 (`make test` starts or
installs it). A migrated template database is built once per session; each test that asks for
`database_url` gets its own copy of it (CREATE DATABASE ... TEMPLATE, tens of milliseconds),
so tests never see each other's rows.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import settings
from psycopg.conninfo import conninfo_to_dict

from workers.postgres.migrations import migrate

# Tests never assert on wall-clock time; Hypothesis' per-example deadline would, and a loaded
# machine broke it (an example of 0.08 ms once took 275 ms and failed the routing test).
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")

SERVER_URL = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def as_url(params: dict[str, Any]) -> str:
    """A postgresql:// URL (what DATABASE_URL takes) from conninfo parameters."""
    user = params.get("user") or "postgres"
    password = f":{params['password']}" if params.get("password") else ""
    host = params.get("host") or "127.0.0.1"
    port = params.get("port") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{params['dbname']}"


def url_for(database: str) -> str:
    params = conninfo_to_dict(SERVER_URL)
    params["dbname"] = database
    return as_url(params)


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    name = f"canary_tmpl_{uuid.uuid4().hex[:8]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    async def _migrate() -> None:
        async with await psycopg.AsyncConnection.connect(url_for(name), autocommit=True) as conn:
            await migrate(conn)

    asyncio.run(_migrate())
    yield name
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(template_database: str) -> Iterator[str]:
    """A fresh, migrated database of its own; dropped after the test."""
    name = f"canary_test_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield url_for(name)
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    """A fresh database with no schema at all (for migration tests)."""
    name = f"canary_empty_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield url_for(name)
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """An autocommit connection to the test's own database."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
async def pg_proxy(database_url: str) -> AsyncIterator[tuple[Any, str]]:
    """A fault proxy in front of the test's database, and the URL that goes through it."""
    from fault_proxy import FaultProxy  # noqa: PLC0415

    params = conninfo_to_dict(database_url)
    proxy = await FaultProxy(
        str(params.get("host") or "127.0.0.1"), int(params.get("port") or 5432)
    ).start()
    params["host"] = "127.0.0.1"
    params["port"] = str(proxy.port)
    yield proxy, as_url(params)
    await proxy.stop()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands configure logging onto the stream of the moment (pytest's capture, which is
    closed after the test); put the defaults back so later tests never log into a closed file."""
    import logging  # noqa: PLC0415

    import structlog  # noqa: PLC0415

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
