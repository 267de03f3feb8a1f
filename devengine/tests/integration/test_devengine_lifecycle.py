"""Starting and stopping the dev engine in-process."""

import asyncio
import socket
from typing import Any

import grpc
import httpx
import pytest
from engine_harness import ExpectError, Harness
from pyzeebe import ZeebeClient, create_insecure_channel
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from zeebe_devengine import DevEngine
from zeebe_devengine.bpmn.builder import one_task_process
from zeebe_devengine.errors import EngineStartError

pytestmark = pytest.mark.engine


async def test_topology_and_health_report_one_healthy_partition(zb: Harness) -> None:
    topology = await zb.client.topology()
    assert topology.partitions_count >= 1
    assert topology.gateway_version
    assert topology.brokers[0].partitions
    health = await zb.client.healthcheck()
    assert health.status == 1  # SERVING


async def test_calls_outside_the_subset_say_so(zb: Harness, expect_error: ExpectError) -> None:
    zb.target.require_dev_engine("a real cluster implements every call")
    details = await expect_error(
        grpc.StatusCode.UNIMPLEMENTED,
        zb.stub.BroadcastSignal(pb.BroadcastSignalRequest(signalName="s")),
    )
    assert "dev engine" in details


async def test_the_context_manager_serves_grpc_and_rest_and_stops() -> None:
    async with DevEngine(port=0, rest_port=0) as engine:
        channel = create_insecure_channel(grpc_address=engine.grpc_address)
        topology = await ZeebeClient(channel).topology()
        assert topology.cluster_size == 1
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{engine.rest_url}/v2/topology")
        assert response.json()["partitionsCount"] == 1
        address = engine.grpc_address
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await GatewayStub(channel).Topology(pb.TopologyRequest(), timeout=2)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    await channel.close()
    assert address


async def test_stopping_ends_open_long_polls_cleanly() -> None:
    async with DevEngine(port=0, rest_port=None) as engine:
        channel = create_insecure_channel(grpc_address=engine.grpc_address)
        request = pb.ActivateJobsRequest(
            type="t", worker="w", timeout=1000, maxJobsToActivate=1, requestTimeout=60_000
        )
        poll = asyncio.create_task(
            _jobs(GatewayStub(channel).ActivateJobs(request))  # a worker waiting for work
        )
        async with asyncio.timeout(10):
            while engine.waiting_polls == 0:
                await asyncio.sleep(0.005)
    assert await asyncio.wait_for(poll, timeout=10) == []  # an answer, not an error
    await channel.close()


async def _jobs(call: Any) -> list[Any]:
    return [job async for response in call for job in response.jobs]


async def test_a_port_in_use_is_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EngineStartError, match=f"cannot listen on 127.0.0.1:{port}"):
            async with DevEngine(port=port, rest_port=None):
                pass
        with pytest.raises(EngineStartError, match="for REST"):
            async with DevEngine(port=0, rest_port=port):
                pass


async def test_stopping_does_not_wait_for_a_rest_request_awaiting_completion() -> None:
    engine = DevEngine(port=0, rest_port=0)
    await engine.start()
    try:
        engine.engine.deploy([("wait.bpmn", one_task_process("p", "never").encode())])
        body = {"processDefinitionId": "p", "awaitCompletion": True, "requestTimeout": 600_000}
        async with httpx.AsyncClient(base_url=str(engine.rest_url), timeout=120) as http:
            waiting = asyncio.create_task(http.post("/v2/process-instances", json=body))
            while not engine.engine.instances:
                await asyncio.sleep(0.01)
            # A hang guard, not a timing claim: aiohttp alone would wait 60 s.
            async with asyncio.timeout(30):
                await engine.stop()
            with pytest.raises(httpx.HTTPError):
                await waiting
    finally:
        await engine.stop()
