"""Helpers the benchmark scripts share: a throwaway database, the engine in a process, numbers."""

import asyncio
import contextlib
import json
import os
import statistics
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

# A server given port 0 is found on the port it bound, read back as the tests do.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.ports import bound_port

from workers.logs import configure_logging
from workers.postgres.migrations import load_migrations, migrate
from workers.settings import DatabaseSettings, LoggingSettings

# Benchmarks print numbers; the code under test only speaks up when something is wrong.
configure_logging(LoggingSettings(format="console", level="warning", redact_keys=frozenset()))

SERVER_URL = DatabaseSettings.from_env(os.environ).url


def url_for(database: str) -> str:
    params = conninfo_to_dict(SERVER_URL)
    user = params.get("user") or "postgres"
    host = params.get("host") or "127.0.0.1"
    port = params.get("port") or 5432
    return f"postgresql://{user}@{host}:{port}/{database}"


@contextlib.asynccontextmanager
async def scratch_database(up_to: int | None = None) -> AsyncIterator[str]:
    """A fresh migrated database (migrations up to number `up_to`: all by default), dropped
    afterwards."""
    name = f"canary_bench_{uuid.uuid4().hex[:8]}"
    async with await psycopg.AsyncConnection.connect(SERVER_URL, autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        async with await psycopg.AsyncConnection.connect(url_for(name), autocommit=True) as conn:
            known = load_migrations()
            await migrate(conn, [m for m in known if up_to is None or m.version <= up_to])
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
    print(f"{name:<58} {value}{suffix}", flush=True)


def backend_cpu(pid: int) -> float:
    """Seconds a process (a Postgres backend: the server runs on this machine) has run on a
    CPU, from /proc/<pid>/schedstat (nanosecond resolution, unlike /proc/pid/stat)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def load_average() -> str:
    """The 1-minute load average now: the machine is shared, so every number comes with it."""
    return f"load {os.getloadavg()[0]:.1f}"


async def spawn_canary(
    *args: str, env: dict[str, str], quiet: bool = True
) -> asyncio.subprocess.Process:
    """`canary ARGS...` in a subprocess with `env` added; its output discarded when `quiet`."""
    output = asyncio.subprocess.DEVNULL if quiet else None
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        *args,
        env={**os.environ, **env},
        stdout=output,
        stderr=output,
    )


async def start_server(
    *args: str, env: dict[str, str], probe: str, timeout: float = 30.0
) -> tuple[asyncio.subprocess.Process, int]:
    """`canary ARGS...`, a server told to bind port 0, once `probe` (a path) answers 200 on the
    port it bound: the process and that port. Killed if it never answers; else the caller
    terminates it."""
    process = await spawn_canary(*args, env=env)
    try:
        port = await bound_port(process, timeout=timeout)
        await wait_http_ok(f"http://127.0.0.1:{port}{probe}", timeout=timeout)
    except BaseException:
        process.kill()
        await process.wait()
        raise
    return process, port


async def start_worker(
    *args: str, env: dict[str, str], probe: str = "/readyz", timeout: float = 30.0
) -> asyncio.subprocess.Process:
    """`canary worker ARGS...` with `env`, its health server on a free loopback port, once
    `probe` answers; the caller terminates it."""
    env = {"CANARY_HTTP_HOST": "127.0.0.1", **env, "CANARY_HTTP_PORT": "0"}
    process, _ = await start_server("worker", *args, env=env, probe=probe, timeout=timeout)
    return process


@contextlib.asynccontextmanager
async def engine_process(retain: int) -> AsyncIterator[tuple[str, str]]:
    """`canary dev-engine` in a subprocess; yields (grpc address, REST url)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        "dev-engine",
        "--port",
        "0",
        "--rest-port",
        "0",
        "--retain-finished",
        str(retain),
        stdout=asyncio.subprocess.DEVNULL,  # its serving line; the JSON event below says more
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CANARY_LOG_FORMAT": "json", "CANARY_LOG_LEVEL": "info"},
    )
    assert process.stderr is not None
    while True:
        line = await process.stderr.readline()
        assert line, "the dev engine did not start"
        if b"dev engine listening" in line:
            event = json.loads(line)
            break
    try:
        yield event["grpc_address"], event["rest_url"]
    finally:
        process.terminate()
        await process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def wait_http_ok(url: str, *, timeout: float = 30.0) -> None:
    import httpx  # noqa: PLC0415

    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(url, timeout=1)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{url} never answered 200")
            await asyncio.sleep(0.1)


async def count_completed(rest_url: str, process_id: str) -> int:
    import httpx  # noqa: PLC0415

    async with httpx.AsyncClient(base_url=rest_url, timeout=30) as rest:
        response = await rest.post(
            "/v2/process-instances/search",
            json={
                "filter": {"processDefinitionId": process_id, "state": "COMPLETED"},
                "page": {"limit": 1},
            },
        )
    return int(response.json()["page"]["totalItems"])


def verify_job(key: int, *, variables: dict[str, Any] | None = None) -> Any:
    """A pyzeebe Job of the v2 verify task, as a worker would receive it."""
    from pyzeebe import Job  # noqa: PLC0415

    return Job(
        key=key,
        type="verify-identity-v2",
        process_instance_key=key + 10_000_000,
        bpmn_process_id="identity-verification",
        process_definition_version=1,
        process_definition_key=1,
        element_id="verify-identity-v2",
        element_instance_key=key,
        custom_headers={},
        worker="bench",
        retries=3,
        deadline=0,
        variables=variables or {},
    )
