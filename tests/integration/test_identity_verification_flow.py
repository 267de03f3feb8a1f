"""The identity-verification process end to end, through the real gRPC client.

Real Postgres, the dev engine over gRPC (or a real cluster with ZEEBE_ADDRESS), the VerifyMeNow
stand-in over HTTP and the three real workers, on the real model from bpmn/.
"""

import json
import math

import pytest
from flow_support import (
    applicant,
    current_status,
    deploy_model,
    finished,
    set_rate,
    start,
    stub_in_process,
    wait_for_status,
    workers,
)
from pyzeebe import Job
from pyzeebe.proto.gateway_pb2 import (
    ActivateJobsRequest,
    ResolveIncidentRequest,
    UpdateJobRetriesRequest,
)
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from workers.demo.stub.config import StubConfig
from workers.operate.camunda_rest import CamundaRestClient
from workers.settings import CamundaRestSettings, VerifyMeNowSettings
from workers.tasks.verify_input import parse_verification_input
from workers.verifymenow.idempotency import idempotency_key
from workers.verifymenow.v1 import VerifyMeNowV1

pytestmark = [pytest.mark.postgres, pytest.mark.engine]


@pytest.fixture
async def healthy_stub():
    stub = await stub_in_process(StubConfig(seed=1))
    yield stub
    await stub.stop()


@pytest.fixture
async def client(zeebe_target, zeebe_client):
    await deploy_model(zeebe_client, zeebe_target.grpc_address)
    return zeebe_client


@pytest.fixture
async def baseline(zeebe_target, client):
    """Counts before the test: zero on a fresh dev engine, earlier runs' on a real cluster."""
    return await current_status(zeebe_target.rest_url)


async def run_instances(zeebe_target, client, database_url, stub, *, rate: float, count: int):
    baseline = await current_status(zeebe_target.rest_url)
    await set_rate(database_url, rate)
    async with workers(
        grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=stub.url
    ):
        await start(client, count)
        return await wait_for_status(
            zeebe_target.rest_url, lambda s: finished(s) >= count, timeout=120, baseline=baseline
        )


async def test_rate_zero_sends_every_instance_to_v1(
    zeebe_target, client, database_url, healthy_stub
):
    status = await run_instances(
        zeebe_target, client, database_url, healthy_stub, rate=0.0, count=40
    )
    v1, v2 = status.versions[1], status.versions[2]
    assert v1.completed == 40
    assert (v2.active, v2.completed, v2.rejected, v2.unreadable, v2.incidents) == (0, 0, 0, 0, 0)
    assert healthy_stub.provider.stats()["v2"]["calls"] == 0


async def test_rate_one_sends_every_instance_to_v2(
    zeebe_target, client, database_url, healthy_stub
):
    status = await run_instances(
        zeebe_target, client, database_url, healthy_stub, rate=1.0, count=40
    )
    assert status.versions[2].completed == 40
    assert status.versions[1].completed == 0
    assert healthy_stub.provider.stats()["v1"]["calls"] == 0


async def test_a_thirty_percent_rate_splits_1000_instances_within_the_binomial_interval(
    zeebe_target, client, database_url, healthy_stub
):
    n, rate = 1000, 0.3
    status = await run_instances(
        zeebe_target, client, database_url, healthy_stub, rate=rate, count=n
    )
    v2 = status.versions[2].completed
    assert status.versions[1].completed + v2 == n
    half_width = 3.2905 * math.sqrt(n * rate * (1 - rate))  # two-sided 99.9 %
    assert n * rate - half_width <= v2 <= n * rate + half_width


async def test_the_job_result_carries_the_routing_and_the_verification(
    zeebe_target, client, database_url, healthy_stub
):
    await set_rate(database_url, 1.0)
    async with workers(
        grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=healthy_stub.url
    ):
        result = await client.run_process_with_result(
            "identity-verification", variables=applicant(7), timeout=30_000
        )
    variables = result.variables
    assert variables["useVersion"] == 2
    assert variables["canaryRule"] == "sticky"
    assert variables["canaryRate"] == 1.0
    assert variables["verification"]["version"] == 2
    assert variables["verification"]["decision"] == "verified"


async def test_v2_failing_every_call_raises_incidents_on_the_v2_task_only(
    zeebe_target, client, database_url, baseline
):
    stub = await stub_in_process(StubConfig(seed=2).updated({"v2": {"error_rate": 1.0}}))
    try:
        await set_rate(database_url, 0.5)
        async with workers(
            grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=stub.url
        ):
            keys = {str(k) for k in await start(client, 30)}
            status = await wait_for_status(
                zeebe_target.rest_url, lambda s: finished(s) >= 30, timeout=90, baseline=baseline
            )
            async with CamundaRestClient(
                CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": zeebe_target.rest_url})
            ) as rest:
                incidents, _ = await rest.incidents("identity-verification", limit=1000)
    finally:
        await stub.stop()
    v1, v2 = status.versions[1], status.versions[2]
    assert v2.incidents > 0
    assert v2.completed == 0
    assert v1.incidents == 0
    assert v1.completed + v2.incidents == 30
    incidents = [i for i in incidents if i.process_instance_key in keys]
    assert len(incidents) == v2.incidents
    assert {i.element_id for i in incidents} == {"verify-identity-v2"}
    assert {i.error_type for i in incidents} == {"JOB_NO_RETRIES"}
    assert all(
        "VerifyMeNow v2 returned HTTP 503 (attempt 3 of 3)" in i.error_message for i in incidents
    )


async def test_a_rejection_ends_on_that_branchs_boundary_path(zeebe_target, client, database_url):
    stub = await stub_in_process(StubConfig(seed=3).updated({"v1": {"rejection_rate": 1.0}}))
    try:
        status = await run_instances(zeebe_target, client, database_url, stub, rate=0.0, count=10)
    finally:
        await stub.stop()
    assert status.versions[1].rejected == 10
    assert status.versions[1].completed == 0
    assert status.versions[2].rejected == 0


async def test_an_unreadable_document_takes_its_own_path(zeebe_target, client, database_url):
    stub = await stub_in_process(StubConfig(seed=4).updated({"v2": {"unreadable_rate": 1.0}}))
    try:
        status = await run_instances(zeebe_target, client, database_url, stub, rate=1.0, count=10)
    finally:
        await stub.stop()
    assert status.versions[2].unreadable == 10
    assert status.versions[2].rejected == 0


async def test_resolving_an_incident_after_the_provider_recovers_completes_the_instance(
    zeebe_target, client, zeebe_channel, database_url, baseline
):
    stub = await stub_in_process(StubConfig(seed=5).updated({"v2": {"error_rate": 1.0}}))
    gateway = GatewayStub(zeebe_channel)
    rest_settings = CamundaRestSettings.from_env({"CAMUNDA_REST_ADDRESS": zeebe_target.rest_url})
    try:
        await set_rate(database_url, 1.0)
        async with workers(
            grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=stub.url
        ):
            (key,) = await start(client, 1)
            await wait_for_status(
                zeebe_target.rest_url, lambda s: s.versions[2].incidents == 1, baseline=baseline
            )
            stub.provider.update_config({"v2": {"error_rate": 0.0}})
            async with CamundaRestClient(rest_settings) as rest:
                found, _ = await rest.incidents("identity-verification", limit=1000)
            (incident,) = [i for i in found if i.process_instance_key == str(key)]
            assert incident.job_key is not None
            # As an operator in Operate would: give the job a retry, then resolve.
            await gateway.UpdateJobRetries(
                UpdateJobRetriesRequest(jobKey=int(incident.job_key), retries=1)
            )
            await gateway.ResolveIncident(ResolveIncidentRequest(incidentKey=int(incident.key)))
            status = await wait_for_status(
                zeebe_target.rest_url, lambda s: s.versions[2].completed == 1, baseline=baseline
            )
    finally:
        await stub.stop()
    assert status.versions[2].incidents == 0


async def test_a_job_reactivated_after_a_timeout_does_not_verify_twice(
    zeebe_target, client, zeebe_channel, database_url, healthy_stub, baseline
):
    """A worker that called the provider and died before completing: the job times out, the
    next worker calls again with the same idempotency key, and the provider processes once."""
    await set_rate(database_url, 0.0)
    gateway = GatewayStub(zeebe_channel)
    # Route the instance without the v1 worker running: only choose-version works.
    async with workers(
        grpc_address=zeebe_target.grpc_address,
        database_url=database_url,
        stub_url=healthy_stub.url,
        extra={"CANARY_TASKS": "choose"},
    ):
        await start(client, 1)
        jobs = []
        for _ in range(50):
            async for response in gateway.ActivateJobs(
                ActivateJobsRequest(
                    type="verify-identity-v1",
                    worker="doomed",
                    timeout=1000,
                    maxJobsToActivate=1,
                    requestTimeout=1000,
                )
            ):
                jobs.extend(response.jobs)
            if jobs:
                break
    (activated,) = jobs
    job = Job(
        key=activated.key,
        type=activated.type,
        process_instance_key=activated.processInstanceKey,
        bpmn_process_id=activated.bpmnProcessId,
        process_definition_version=activated.processDefinitionVersion,
        process_definition_key=activated.processDefinitionKey,
        element_id=activated.elementId,
        element_instance_key=activated.elementInstanceKey,
        custom_headers={},
        worker=activated.worker,
        retries=activated.retries,
        deadline=activated.deadline,
        variables=json.loads(activated.variables),
    )
    key = idempotency_key(job)
    settings = VerifyMeNowSettings.from_env({"VERIFYMENOW_V1_URL": healthy_stub.url})
    async with VerifyMeNowV1.from_settings(settings) as provider:
        await provider.verify(parse_verification_input(job.variables), idempotency_key=key)
    # The doomed worker never completes; its job times out and the real v1 worker takes it.
    async with workers(
        grpc_address=zeebe_target.grpc_address, database_url=database_url, stub_url=healthy_stub.url
    ):
        status = await wait_for_status(
            zeebe_target.rest_url, lambda s: s.versions[1].completed == 1, baseline=baseline
        )
    record = healthy_stub.provider.stats()["v1"]["keys"][key]
    assert record["received"] == 2
    assert record["processed"] == 1
    assert status.versions[1].completed == 1
