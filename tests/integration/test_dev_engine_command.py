"""`canary dev-engine`: the dev engine as a foreground command of the product."""

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pyzeebe import ZeebeClient, create_insecure_channel
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from support.commands import canary, running_canary, until_logged
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine


async def _jobs(call):
    return [job async for response in call for job in response.jobs]


@contextlib.asynccontextmanager
async def started_command(
    *arguments: str,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, dict[str, Any], bytes]]:
    """`canary dev-engine ARGS...` once it listens: the process (killed on the way out if a
    step fails first), its listening log line, what it wrote to stderr until then."""
    async with running_canary("dev-engine", *arguments) as process:
        listening, seen = await until_logged(process, "dev engine listening")
        yield process, listening, seen


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_the_command_serves_until_a_signal_and_stops_without_tracebacks(tmp_path, signum):
    model = tmp_path / "model.bpmn"
    model.write_text(one_task_process("from-cli", "cli-job"))
    arguments = ("--port", "0", "--rest-port", "0", "--deploy", str(model))
    async with started_command(*arguments) as (process, listening, seen):
        channel = create_insecure_channel(grpc_address=listening["grpc_address"])
        try:
            created = await ZeebeClient(channel).run_process("from-cli")
            assert created.version == 1
            request = pb.ActivateJobsRequest(
                type="other", worker="w", timeout=1000, maxJobsToActivate=1, requestTimeout=60_000
            )
            poll = asyncio.create_task(_jobs(GatewayStub(channel).ActivateJobs(request)))
            await asyncio.sleep(0.2)  # let the long poll open; the test passes either way
            process.send_signal(signum)
            serving, rest_of_stderr = await asyncio.wait_for(process.communicate(), 30)
            assert process.returncode == 0
            await asyncio.gather(poll, return_exceptions=True)
        finally:
            await channel.close()
    stderr = (seen + rest_of_stderr).decode()
    assert "Traceback" not in stderr
    assert "dev engine stopped" in stderr
    # The engine's own serve loop ran it: its serving line, under the product's name.
    expected = f"canary dev-engine: serving gRPC on {listening['grpc_address']}"
    assert serving.decode().startswith(expected)


async def run_to_exit(*arguments: str) -> tuple[int, str]:
    """`canary dev-engine --port 0 --rest-port 0 ARGS...` until it exits; (code, stderr)."""
    code, _, stderr = await canary(
        "dev-engine", "--port", "0", "--rest-port", "0", *arguments, timeout=30
    )
    return code, stderr


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["--deploy", "/nonexistent/model.bpmn"], 1, "no such BPMN file"),
        (["--port", "70000"], 2, "not a port number"),
        (["--retain-finished", "-1"], 2, "not a non-negative whole number"),
    ],
)
async def test_bad_arguments_are_one_line_errors(arguments, exit_code, message):
    code, stderr = await run_to_exit(*arguments)
    assert code == exit_code
    text = stderr.strip()
    assert message in text
    assert len(text.splitlines()) == 1


async def test_an_invalid_model_given_to_the_command_is_a_one_line_error(tmp_path):
    model = tmp_path / "bad.bpmn"
    model.write_text('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')
    code, stderr = await run_to_exit("--deploy", str(model))
    assert code == 1
    errors = [line for line in stderr.splitlines() if line.startswith("canary: error:")]
    assert errors
    assert "executable process" in errors[0]
    assert "Traceback" not in stderr


async def test_a_port_in_use_is_a_one_line_command_error():
    with socket.socket() as taken:  # held for the whole test, so nothing else can take it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = await run_to_exit("--port", str(port))  # the last --port wins
    assert code == 1
    assert stderr == f"canary: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
