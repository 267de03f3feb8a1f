"""Fixtures for gateway tests: the `zb` harness (engine_harness.py), workers, error checks."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import httpx
import pytest
from api_conformance import api_spec
from engine_harness import ExpectError, Harness, expect_status
from pyzeebe import ZeebeClient, ZeebeWorker
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from zeebe_devengine.fixtures import ZeebeTarget

if TYPE_CHECKING:
    from camunda_orchestration_sdk import CamundaAsyncClient


@pytest.fixture
def expect_error() -> ExpectError:
    return expect_status


@pytest.fixture
async def zb(
    zeebe_target: ZeebeTarget,
    zeebe_client: ZeebeClient,
    zeebe_channel: grpc.aio.Channel,
    tmp_path: Path,
) -> AsyncIterator[Harness]:
    spec = api_spec()

    async def conforms(response: httpx.Response) -> None:
        # Every answer's body must match the 8.9 schema for its status. Statuses are the
        # tests' own to assert: some deliberately differ from the spec's lists (unserved
        # paths, and rejections Camunda's gateway maps to 404 or 409 that the spec omits).
        await response.aread()
        problems = spec.check(response, unlisted_status=True)
        if problems:
            raise AssertionError("\n".join(problems))

    async with httpx.AsyncClient(
        base_url=zeebe_target.rest_url, timeout=10, event_hooks={"response": [conforms]}
    ) as rest:
        yield Harness(
            client=zeebe_client,
            stub=GatewayStub(zeebe_channel),
            rest=rest,
            target=zeebe_target,
            folder=tmp_path,
            suffix=uuid.uuid4().hex[:10],
        )


@pytest.fixture
def worker(zeebe_channel: grpc.aio.Channel) -> ZeebeWorker:
    """A pyzeebe worker: register tasks on it, then call `start_worker()`."""
    return ZeebeWorker(zeebe_channel, name="gateway-test", poll_retry_delay=1)


@pytest.fixture
async def start_worker(worker: ZeebeWorker) -> AsyncIterator[Callable[[], None]]:
    """Start `worker` in the background; it is stopped (SIGTERM-style) at teardown."""
    tasks: list[asyncio.Task[None]] = []
    yield lambda: tasks.append(asyncio.create_task(worker.work()))
    await worker.stop()
    for task in tasks:
        await task


@pytest.fixture
async def camunda(zeebe_target: ZeebeTarget) -> AsyncIterator["CamundaAsyncClient"]:
    """Camunda's official Python SDK on the REST port; every response is checked against the
    8.9 spec as it arrives, and a call whose answer does not conform fails right there."""
    # Imported here: its 660 generated model modules take seconds to import, which only the
    # tests that use it should pay.
    from camunda_orchestration_sdk import CamundaAsyncClient  # noqa: PLC0415

    spec = api_spec()

    async def conforms(response: httpx.Response) -> None:
        await response.aread()
        problems = spec.check(response)
        if problems:
            raise AssertionError("\n".join(problems))

    client = CamundaAsyncClient(
        configuration={
            "CAMUNDA_REST_ADDRESS": f"{zeebe_target.rest_url}/v2",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
        },
        # The SDK logs through loguru (to stderr) unless it is given a logger.
        logger=logging.getLogger("camunda-sdk"),
        httpx_args={"event_hooks": {"response": [conforms]}},
    )
    async with client:
        yield client
