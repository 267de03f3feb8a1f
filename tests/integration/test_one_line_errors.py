"""Issue 16, item 11: each of these is one line and an exit code, not a traceback."""

import signal
import socket

import httpx
import pytest
from support.commands import canary
from support.flow import stub_in_process
from worker_process import WorkerProcess

from workers.demo.stub.config import StubConfig

pytestmark = [pytest.mark.postgres]


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["worker"],
            {"CANARY_HTTP_PORT": "\u00b2"},
            "canary: error: CANARY_HTTP_PORT='\u00b2' is not a port number",
        ),
        (
            ["report", "--since", "999999999999h"],
            {},
            "canary: error: --since '999999999999h' is longer than ten years",
        ),
        (
            # Arabic-Indic five: float() reads it, the duration grammar does not.
            ["report", "--since", "\u0665h"],
            {},
            "canary: error: --since '\u0665h' is not a duration (examples: 90s, 15m, 6h, 30d, 2w)",
        ),
        (
            ["worker"],
            {"CANARY_CONFIG_REFRESH": "\uff15s"},
            (
                "canary: error: CANARY_CONFIG_REFRESH='\uff15s' is not a duration"
                " (examples: 30s, 250ms, 5m)"
            ),
        ),
        (
            # Issue 16, item 3: psycopg's own message quoted the URL, password and all.
            ["rate", "show"],
            {"DATABASE_URL": "postgresql://canary:pa55-w0rd%zz@db.internal/canary"},
            (
                "canary: error: DATABASE_URL postgresql://canary:***@db.internal/canary is not"
                ' a valid connection string: invalid percent-encoded token: "***"'
            ),
        ),
    ],
    ids=[
        "superscript-port",
        "huge-since",
        "arabic-indic-since",
        "fullwidth-setting",
        "malformed-database-url",
    ],
)
async def test_refused_at_once_in_one_line(database_url, args, env, line):
    code, out, err = await canary(*args, env={"DATABASE_URL": database_url, **env}, timeout=60)
    assert (code, out, err.strip()) == (1, "", line)


async def test_a_health_port_in_use_is_one_line_before_anything_connects():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # Nothing answers at these addresses: reaching them first would take long, or hang.
        code, out, err = await canary(
            "worker",
            env={
                "CANARY_HTTP_HOST": "127.0.0.1",
                "CANARY_HTTP_PORT": str(port),
                "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
                "ZEEBE_ADDRESS": "127.0.0.1:1",
            },
            timeout=60,
        )
    assert (code, out) == (1, "")
    assert err.strip().splitlines() == [
        (
            f"canary: error: CANARY_HTTP_PORT: cannot listen on 127.0.0.1:{port}:"
            " Address already in use"
        )
    ]


async def test_sigterm_during_the_start_up_wait_stops_the_worker_with_zero():
    env = {
        # The rollout config never loads (no database there): start-up waits up to 10 min.
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
        "ZEEBE_ADDRESS": "127.0.0.1:1",
        "CANARY_STARTUP_WAIT": "10m",
    }
    async with WorkerProcess("--tasks", "choose", env=env) as worker:

        async def starting() -> bool:
            code, body = await worker.readyz()
            return code == 503 and "startup" in body.get("checks", {})

        await worker.wait_for(starting)
        assert worker.process is not None
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.exit_code(timeout=20) == 0
    assert worker.events("stopped during start-up")
    assert not any("Traceback" in line for line in worker.lines)


async def test_the_stand_in_answers_deeply_nested_json_with_a_400_and_keeps_serving():
    stub = await stub_in_process(StubConfig(seed=1))
    try:
        async with httpx.AsyncClient(base_url=stub.url, timeout=10) as http:
            deep = b"[" * 100_000 + b"]" * 100_000
            for path in ("/v1/identity/check", "/v2/verifications"):
                response = await http.post(path, content=deep, headers={"Idempotency-Key": "k-1"})
                assert response.status_code == 400
            admin = await http.put("/admin/config", content=deep)
            assert admin.status_code == 400
            assert (await http.get("/health")).status_code == 200
    finally:
        await stub.stop()
