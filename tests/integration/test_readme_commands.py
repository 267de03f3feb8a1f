"""Every `canary` line of the README, run as a user runs it, against a running stack.

The stack: the dev engine (gRPC and REST), a migrated Postgres and the VerifyMeNow stand-in.
Lines run in an order that works on a fresh stack (migrate, then deploy, then the README's
order); those that run until stopped (`worker`, `status --watch`, `rollout status --watch`)
are stopped once they show they work, as a user would with Ctrl-C, except the guarded
rollout's controller (`worker --tasks rollout`), which runs beside the guarded-rollout lines
as in a second terminal. tests/unit/test_readme.py parses the same lines.
"""

import asyncio
import contextlib
import json
import signal

import pytest
from support.commands import canary, spawn_canary
from support.flow import stub_in_process
from support.readme import canary_commands

from workers.demo.stub.config import StubConfig

pytestmark = [pytest.mark.postgres, pytest.mark.engine]

LONG_RUNNING = {"worker", "status"}


def in_run_order(commands: list[list[str]]) -> list[list[str]]:
    migrate = [c for c in commands if c[0] == "migrate"][:1]
    deploy = [c for c in commands if c[0] == "deploy"]
    return migrate + deploy + [c for c in commands if c[0] not in {"migrate", "deploy"}]


async def run_until_it_shows(
    argv: list[str], env: dict[str, str], *, marker: str, stream: str
) -> tuple[int, str]:
    """Start a command that runs until stopped; SIGINT it once `marker` is on `stream`."""
    process = await spawn_canary(*argv, env=env, ctrl_c=True)
    reader = process.stdout if stream == "stdout" else process.stderr
    assert reader is not None
    seen = ""
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60):
                while marker not in seen:
                    line = await reader.readline()
                    if not line:
                        break
                    seen += line.decode(errors="replace")
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    assert marker in seen, f"`canary {' '.join(argv)}` never showed {marker!r}: {seen[-500:]}"
    assert process.returncode is not None
    return process.returncode, seen


# Thirteen commands, each a fresh interpreter: minutes on a loaded CI machine.
@pytest.mark.timeout(600)
async def test_every_canary_line_of_the_readme_runs_against_the_stack(zeebe_target, database_url):
    stub = await stub_in_process(StubConfig(seed=11))
    env = {
        "DATABASE_URL": database_url,
        "ZEEBE_ADDRESS": zeebe_target.grpc_address,
        "CAMUNDA_REST_ADDRESS": zeebe_target.rest_url,
        "VERIFYMENOW_V1_URL": stub.url,
        "VERIFYMENOW_V2_URL": stub.url,
        "CANARY_HTTP_HOST": "127.0.0.1",
        "CANARY_HTTP_PORT": "0",
        "COLUMNS": "200",
    }
    commands = in_run_order(canary_commands())
    assert {c[0] for c in commands} >= {"migrate", "deploy", "worker", "rate", "status"}
    controller: asyncio.subprocess.Process | None = None
    try:
        for argv in commands:
            if argv[:3] == ["worker", "--tasks", "rollout"]:
                # The guarded rollout's controller runs beside the commands that follow, as
                # in the README user's second terminal.
                controller = await start_controller(argv, env)
            elif argv[0] == "worker":
                code, seen = await run_until_it_shows(
                    argv, env, marker='"worker started"', stream="stderr"
                )
                started = next(json.loads(line) for line in seen.splitlines() if "started" in line)
                assert started["tasks"] == ["choose"]
                assert code == 0, seen
            elif argv[:2] == ["rollout", "status"] and "--wait" in argv:
                # The walk-through aborted the rollout: --wait says so with its exit code.
                code, out, err = await canary(*argv, env=env)
                assert code == 4, f"`canary {' '.join(argv)}` exited {code}: {err or out}"
                assert "aborted" in out
            elif argv[0] == "status" or (argv[:2] == ["rollout", "status"] and "--watch" in argv):
                # A terminal, as the README's user has: rich redraws the view in place.
                code, seen = await run_until_it_shows(
                    argv,
                    {**env, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"},
                    marker="refreshing every",
                    stream="stdout",
                )
                assert "verifymenow" in seen
                assert code == 130, seen  # stopped with Ctrl-C, as the README's user does
            else:
                code, out, err = await canary(*argv, env=env)
                assert code == 0, f"`canary {' '.join(argv)}` exited {code}: {err or out}"
    finally:
        if controller is not None:
            with contextlib.suppress(ProcessLookupError):
                controller.kill()
            await controller.wait()
        await stub.stop()


async def start_controller(argv: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    """`canary worker --tasks rollout`, left running; the caller kills it."""
    process = await spawn_canary(*argv, env=env)
    assert process.stderr is not None
    try:
        async with asyncio.timeout(60):
            while b'"worker started"' not in (line := await process.stderr.readline()):
                assert line, "the controller exited before it started"
    except BaseException:
        process.kill()
        await process.wait()
        raise
    # Nobody reads its logs from here on: a full pipe must not stall it.
    _DRAINING.add(asyncio.get_running_loop().create_task(_drain(process.stderr)))
    return process


_DRAINING: set[asyncio.Task[None]] = set()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass
