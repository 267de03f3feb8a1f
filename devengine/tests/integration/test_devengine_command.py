"""`zeebe-devengine`: the engine as a process, serving until a signal; errors in one line."""

import asyncio
import contextlib
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pyzeebe import ZeebeClient, create_insecure_channel
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine

SERVING = re.compile(rb"^zeebe-devengine: serving gRPC on (\S+), REST on (http://\S+)$")


@contextlib.asynccontextmanager
async def command(*arguments: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`zeebe-devengine ARGS...`; killed on the way out if it still runs (a step that fails
    before the test stops it must not leave a server behind)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "zeebe_devengine",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def run_to_exit(*arguments: str) -> tuple[int, bytes, bytes]:
    """`zeebe-devengine ARGS...` until it exits: exit code, stdout, stderr."""
    async with command(*arguments) as process:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_the_command_serves_the_deployed_model_until_a_signal(
    tmp_path: Path, signum: int
) -> None:
    model = tmp_path / "model.bpmn"
    model.write_text(one_task_process("from-command", "command-job"))
    async with command("--port", "0", "--rest-port", "0", "--deploy", str(model)) as process:
        async with asyncio.timeout(30):
            assert process.stdout is not None
            serving = SERVING.match((await process.stdout.readline()).rstrip())
        assert serving, "no serving line"
        channel = create_insecure_channel(grpc_address=serving.group(1).decode())
        try:
            created = await ZeebeClient(channel).run_process("from-command")
            assert created.version == 1
        finally:
            await channel.close()
        process.send_signal(signum)
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
    assert process.returncode == 0
    assert b"Traceback" not in stderr
    assert b"dev engine stopped" in stderr


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["--deploy", "/nonexistent/model.bpmn"], 1, "no such BPMN file: /nonexistent/model.bpmn"),
        (["--port", "70000"], 2, "not a port number"),
        (["--retain-finished", "-1"], 2, "not a non-negative whole number"),
    ],
)
async def test_bad_arguments_are_one_line_errors(
    arguments: list[str], exit_code: int, message: str
) -> None:
    code, stdout, stderr = await run_to_exit("--port", "0", "--rest-port", "0", *arguments)
    assert code == exit_code
    [line] = stderr.decode().splitlines()
    assert line.startswith("zeebe-devengine: error: ")
    assert message in line
    assert stdout == b""


async def test_a_port_in_use_is_a_one_line_error() -> None:
    with socket.socket() as taken:  # held for the whole test, so nothing else can take it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, stderr = await run_to_exit("--port", str(port), "--rest-port", "0")
    assert code == 1
    assert stderr.decode() == (
        f"zeebe-devengine: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


async def test_an_invalid_model_is_a_one_line_error_and_nothing_is_served(tmp_path: Path) -> None:
    model = tmp_path / "bad.bpmn"
    model.write_text('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')
    code, stdout, stderr = await run_to_exit(
        "--port", "0", "--rest-port", "0", "--deploy", str(model)
    )
    assert code == 1
    errors = [line for line in stderr.decode().splitlines() if line.startswith("zeebe-devengine:")]
    assert len(errors) == 1
    assert "executable process" in errors[0]
    assert b"serving" not in stdout
    assert b"Traceback" not in stderr
