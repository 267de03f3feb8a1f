"""`canary dev-engine`: the dev engine as a foreground command of the product."""

import asyncio
import json
import os
import signal
import socket
import sys

import pytest
from pyzeebe import ZeebeClient, create_insecure_channel
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine


async def _jobs(call):
    return [job async for response in call for job in response.jobs]


async def start_command(*arguments):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        "dev-engine",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CANARY_LOG_FORMAT": "json"},
    )
    lines: list[bytes] = []
    assert process.stderr is not None
    async with asyncio.timeout(30):
        while True:
            line = await process.stderr.readline()
            assert line, b"".join(lines).decode()
            lines.append(line)
            if b"dev engine listening" in line:
                return process, json.loads(line), lines


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_the_command_serves_until_a_signal_and_stops_without_tracebacks(tmp_path, signum):
    model = tmp_path / "model.bpmn"
    model.write_text(one_task_process("from-cli", "cli-job"))
    process, listening, lines = await start_command(
        "--port", "0", "--rest-port", "0", "--deploy", str(model)
    )
    channel = create_insecure_channel(grpc_address=listening["grpc_address"])
    created = await ZeebeClient(channel).run_process("from-cli")
    assert created.version == 1
    request = pb.ActivateJobsRequest(
        type="other", worker="w", timeout=1000, maxJobsToActivate=1, requestTimeout=60_000
    )
    poll = asyncio.create_task(_jobs(GatewayStub(channel).ActivateJobs(request)))
    await asyncio.sleep(0.2)  # let the long poll open; the test passes either way
    process.send_signal(signum)
    async with asyncio.timeout(30):
        rest_of_stderr = await process.stderr.read()
        assert await process.wait() == 0
    await asyncio.gather(poll, return_exceptions=True)
    await channel.close()
    stderr = (b"".join(lines) + rest_of_stderr).decode()
    assert "Traceback" not in stderr
    assert "dev engine stopped" in stderr
    # The engine's own serve loop ran it: its serving line, under the product's name.
    serving = (await process.stdout.read()).decode()
    assert serving.startswith(f"canary dev-engine: serving gRPC on {listening['grpc_address']}")


async def run_to_exit(*arguments: str) -> tuple[int, str]:
    """`canary dev-engine --port 0 --rest-port 0 ARGS...` until it exits; (code, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        "dev-engine",
        "--port",
        "0",
        "--rest-port",
        "0",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CANARY_LOG_FORMAT": "json"},
    )
    async with asyncio.timeout(30):
        _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


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
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "workers",
            "dev-engine",
            "--port",
            str(port),
            "--rest-port",
            "0",
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
    assert process.returncode == 1
    assert (
        stderr.decode()
        == f"canary: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
