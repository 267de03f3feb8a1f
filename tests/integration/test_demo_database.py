"""Where the demo gets Postgres: DATABASE_URL's server, the local one, or a throwaway cluster."""

import sys
from pathlib import Path

import psycopg
import pytest
from support.no_postgres import NEEDS_ROOT, can_isolate, run_isolated

from workers.demo import database as demo_database
from workers.errors import DatabaseUnavailableError

pytestmark = pytest.mark.postgres

NOTHING_LISTENS = "postgresql://postgres@127.0.0.1:1/postgres"


async def test_database_url_server_gets_a_fresh_demo_database(database_url):
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    # A name of this test's own: other test runs and `make demo` share the server.
    name = database_url.rsplit("/", 1)[1] + "_demo"
    async with demo_database.demo_database(server, name=name) as database:
        assert database.origin == "DATABASE_URL"
        assert database.url.endswith(f"/{name}")
        async with await psycopg.AsyncConnection.connect(database.url) as conn:
            await conn.execute("CREATE TABLE leftover (a int)")
    # A second run recreates it empty.
    async with (
        demo_database.demo_database(server, name=name) as database,
        await psycopg.AsyncConnection.connect(database.url) as conn,
    ):
        row = await (await conn.execute("SELECT to_regclass('leftover')")).fetchone()
    assert row == (None,)
    async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_an_unreachable_database_url_is_one_clear_error():
    with pytest.raises(DatabaseUnavailableError, match="DATABASE_URL does not answer"):
        async with demo_database.demo_database(NOTHING_LISTENS):
            pass


async def test_without_any_server_a_throwaway_cluster_is_started_and_removed(monkeypatch):
    monkeypatch.setattr(demo_database, "LOCAL_SERVER", NOTHING_LISTENS)
    async with demo_database.demo_database(None) as database:
        assert database.origin == "throwaway cluster"
        async with await psycopg.AsyncConnection.connect(database.url) as conn:
            row = await (await conn.execute("SELECT current_database()")).fetchone()
            data_dir = await (await conn.execute("SHOW data_directory")).fetchone()
    assert row == ("canary_demo",)
    assert data_dir is not None
    assert not Path(data_dir[0]).exists()  # noqa: ASYNC240  (stopped and removed)
    with pytest.raises(psycopg.OperationalError):
        await psycopg.AsyncConnection.connect(database.url, connect_timeout=2)


@pytest.mark.skipif(not can_isolate(), reason=NEEDS_ROOT)
@pytest.mark.timeout(300)
async def test_the_demo_runs_with_no_postgres_no_postgres_binaries_and_no_root(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    returncode, out, err = await run_isolated(
        sys.executable,
        "-c",
        "import os, sys; print('uid', os.geteuid(), flush=True);"
        " from workers.cli import main; sys.exit(main())",
        "demo",
        "--instances",
        "30",
        "--seed",
        "5",
        scratch=scratch,
        env={"TMPDIR": str(scratch), "COLUMNS": "200"},
    )
    assert returncode == 0, err[-2000:]
    assert out.startswith("uid 1000\n")
    assert "Postgres: throwaway cluster (embedded PostgreSQL)" in out
    assert "30 instances in" in out
    assert "verdict" in out
    assert list(scratch.iterdir()) == []  # the cluster's directory was removed
