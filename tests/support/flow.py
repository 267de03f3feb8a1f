"""Running the real process end to end: model deployed, workers running, stand-in answering.

Shared by the flow, worker-service and demo tests. Everything goes through the real client
over gRPC, to the dev engine or, with ZEEBE_ADDRESS set, to a real cluster.
"""

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import psycopg
from pyzeebe import ZeebeClient

from workers.demo.stub.server import VerifyMeNowStub
from workers.operate.camunda_rest import CamundaRestClient
from workers.operate.deploy import BPMN_DIR, deploy
from workers.operate.status import Status, VersionStatus, collect_status
from workers.postgres import rollout_store
from workers.runtime.service import RunningService, running_service
from workers.settings import CamundaRestSettings, ServiceSettings, WorkerSettings

MODEL = BPMN_DIR / "identity-verification.bpmn"


def worker_environ(
    *, grpc_address: str, database_url: str, stub_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A test worker's environment, the same for the workers run in this process (`workers`)
    and for a `canary worker` process: the engine, the database, the stand-in serving both
    versions, a free health port on loopback, short waits; `extra` over it."""
    return {
        "ZEEBE_ADDRESS": grpc_address,
        "DATABASE_URL": database_url,
        "VERIFYMENOW_V1_URL": stub_url,
        "VERIFYMENOW_V2_URL": stub_url,
        "VERIFYMENOW_TIMEOUT": "2s",
        "CANARY_HTTP_HOST": "127.0.0.1",
        "CANARY_HTTP_PORT": "0",
        "CANARY_SHUTDOWN_GRACE": "2s",
        "CANARY_RECORDER_FLUSH_INTERVAL": "100ms",
        **(extra or {}),
    }


def settings_for(
    *, grpc_address: str, database_url: str, stub_url: str, extra: Mapping[str, str] | None = None
) -> ServiceSettings:
    environ = worker_environ(
        grpc_address=grpc_address, database_url=database_url, stub_url=stub_url, extra=extra
    )
    worker = WorkerSettings.from_env(environ, hostname="test-worker")
    return ServiceSettings.from_env(environ, worker=worker)


async def set_rate(database_url: str, rate: float) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await rollout_store.set_rate(conn, "verifymenow", rate=rate, actor="test", reason="test")


@contextlib.asynccontextmanager
async def workers(
    *, grpc_address: str, database_url: str, stub_url: str, extra: Mapping[str, str] | None = None
) -> AsyncIterator[RunningService]:
    settings = settings_for(
        grpc_address=grpc_address, database_url=database_url, stub_url=stub_url, extra=extra
    )
    async with running_service(settings) as service:
        yield service


async def deploy_model(client: ZeebeClient, address: str) -> None:
    await deploy(client, [MODEL], address=address)


async def deployed_at_rate(
    zeebe_target: Any, client: ZeebeClient, database_url: str, *, rate: float
) -> Status:
    """The model deployed and the rate set; the status before any instance starts, as the
    baseline of what the test runs (a real cluster keeps earlier tests' instances)."""
    await deploy_model(client, zeebe_target.grpc_address)
    baseline = await current_status(zeebe_target.rest_url)
    await set_rate(database_url, rate)
    return baseline


def applicant(number: int, **overrides: Any) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "applicantId": f"T-{number:06d}",
        "applicant": {"givenName": "Ada", "familyName": "Lovelace", "dateOfBirth": "1990-12-10"},
        "document": {"type": "passport", "number": f"{number:09d}", "country": "GB"},
    }
    variables.update(overrides)
    return variables


async def start(client: ZeebeClient, count: int, *, first: int = 0) -> list[int]:
    keys = []
    for number in range(first, first + count):
        response = await client.run_process("identity-verification", variables=applicant(number))
        keys.append(response.process_instance_key)
    return keys


def finished(status: Status) -> int:
    return sum(
        s.completed + s.rejected + s.unreadable + s.incidents for s in status.versions.values()
    )


async def current_status(rest_url: str) -> Status:
    settings = CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": rest_url})
    async with CamundaRestClient(settings) as rest:
        return await collect_status(rest, rollout="verifymenow", rate=0.0, strategy="sticky")


def since(status: Status, baseline: Status | None) -> Status:
    """The counts added after `baseline`: a real cluster keeps earlier tests' instances."""
    if baseline is None:
        return status
    versions = {
        v: VersionStatus(
            version=v,
            active=s.active - baseline.versions[v].active,
            completed=s.completed - baseline.versions[v].completed,
            rejected=s.rejected - baseline.versions[v].rejected,
            unreadable=s.unreadable - baseline.versions[v].unreadable,
            incidents=s.incidents - baseline.versions[v].incidents,
        )
        for v, s in status.versions.items()
    }
    return dataclasses.replace(status, versions=versions)


async def wait_for_status(
    rest_url: str,
    predicate: Any,
    *,
    timeout: float = 60.0,
    baseline: Status | None = None,
) -> Status:
    """Poll the REST API (as `canary status` does) until `predicate(status)` holds; with a
    baseline, the status passed and returned counts only what came after it."""
    settings = CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": rest_url})
    deadline = time.monotonic() + timeout
    async with CamundaRestClient(settings) as rest:
        while True:
            status = since(
                await collect_status(rest, rollout="verifymenow", rate=0.0, strategy="sticky"),
                baseline,
            )
            if predicate(status):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"status never matched: {status.to_json()['versions']}")
            await asyncio.sleep(0.1)


async def stub_in_process(config: Any) -> VerifyMeNowStub:
    stub = VerifyMeNowStub(config, host="127.0.0.1", port=0)
    await stub.start()
    return stub
