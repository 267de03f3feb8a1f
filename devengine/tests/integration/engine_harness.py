"""The `zb` harness for gateway tests: deploy XML, raw stubs, REST, polling, unique names.

Every test names its processes and job types with `zb.name(...)` (a unique suffix), so the
same modules run against a shared real cluster (ZEEBE_ADDRESS set) as well as against a
fresh dev engine. The fixtures that build it are in conftest.py.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
import httpx
import pytest
from pyzeebe import ZeebeClient
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

T = TypeVar("T")


@dataclass
class Harness:
    client: ZeebeClient
    stub: GatewayStub
    rest: httpx.AsyncClient
    target: Any
    folder: Path
    suffix: str

    def name(self, base: str) -> str:
        """`base` made unique to this test."""
        return f"{base}-{self.suffix}"

    async def deploy(self, *xml_texts: str, names: list[str] | None = None) -> Any:
        """Deploy BPMN texts through pyzeebe (which deploys files)."""
        paths = []
        for index, xml in enumerate(xml_texts):
            path = self.folder / (names[index] if names else f"model-{index}.bpmn")
            path.write_text(xml)
            paths.append(str(path))
        return await self.client.deploy_resource(*paths)

    async def activate(
        self,
        job_type: str,
        count: int = 1,
        *,
        timeout: int = 60_000,
        request_timeout: int = 20_000,
        fetch: Sequence[str] = (),
    ) -> list[Any]:
        """Activate `count` jobs of a type, long polling until they are there."""
        jobs: list[Any] = []
        async with asyncio.timeout(60):
            while len(jobs) < count:
                request = pb.ActivateJobsRequest(
                    type=job_type,
                    worker="gateway-test",
                    timeout=timeout,
                    maxJobsToActivate=count - len(jobs),
                    requestTimeout=request_timeout,
                    fetchVariable=list(fetch),
                )
                async for response in self.stub.ActivateJobs(request):
                    jobs.extend(response.jobs)
        return jobs

    async def complete(self, job: Any, **variables: Any) -> None:
        await self.stub.CompleteJob(
            pb.CompleteJobRequest(jobKey=job.key, variables=json.dumps(variables))
        )

    async def eventually(
        self, check: Callable[[], Awaitable[T | None]], *, timeout: float = 30.0
    ) -> T:
        """Poll `check` until it returns something truthy (REST lags on a real cluster)."""
        async with asyncio.timeout(timeout):
            while True:
                result = await check()
                if result:
                    return result
                await asyncio.sleep(0.1)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self.rest.post(path, json=body)
        response.raise_for_status()
        return response.json()

    async def incidents(self, process_id: str, count: int = 1) -> list[dict[str, Any]]:
        """The active incidents of a process, once `count` of them are visible."""

        async def found() -> list[dict[str, Any]] | None:
            body = {"filter": {"processDefinitionId": process_id, "state": "ACTIVE"}}
            items = (await self.post("/v2/incidents/search", body))["items"]
            return items if len(items) >= count else None

        return await self.eventually(found)


async def expect_status(code: grpc.StatusCode, call: Awaitable[Any]) -> str:
    """Await a gRPC call that must fail with `code`; returns the details."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    return str(caught.value.details())


#: The `expect_error` fixture: await a call that must fail with a status; its details.
ExpectError = Callable[[grpc.StatusCode, Awaitable[Any]], Awaitable[str]]
