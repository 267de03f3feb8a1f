"""Our own FailJob/ThrowError path, over real gRPC to the dev engine (or a real cluster).

The project's most important semantics: a technical failure that retrying cannot fix ends
the job with no retries, so the incident sits on that branch's task at once. These tests fail
if the incident is not raised, or is raised anywhere but on the right task.
"""

import pytest
from pyzeebe.proto.gateway_pb2 import ActivateJobsRequest
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from structlog.testing import capture_logs
from support.flow import applicant, deploy_model, set_rate, start, stub_in_process, workers

from workers import process
from workers.demo.stub.config import StubConfig
from workers.operate.camunda_rest import CamundaRestClient, Incident
from workers.settings import CamundaRestSettings, camunda_rest_address
from workers.tasks.job_gateway import GatewayJobEnding, JobGoneError

pytestmark = [pytest.mark.postgres, pytest.mark.engine]


async def incidents_of(rest_url: str, instance_keys: set[str]) -> list[Incident]:
    settings = CamundaRestSettings(address=camunda_rest_address(rest_url))
    async with CamundaRestClient(settings) as rest:
        found, _ = await rest.incidents(process.PROCESS_ID, limit=1000)
    return [i for i in found if i.process_instance_key in instance_keys]


async def activate_one(gateway: GatewayStub, job_type: str):
    request = ActivateJobsRequest(
        type=job_type, worker="test", timeout=30_000, maxJobsToActivate=1, requestTimeout=1000
    )
    for _ in range(50):
        async for response in gateway.ActivateJobs(request):
            if response.jobs:
                return response.jobs[0]
    raise AssertionError(f"no {job_type} job to activate")


async def test_bad_input_raises_the_incident_on_the_v2_task_at_the_first_attempt(
    zeebe_target, zeebe_client, database_url
):
    await deploy_model(zeebe_client, zeebe_target.grpc_address)
    await set_rate(database_url, 1.0)
    stub = await stub_in_process(StubConfig(seed=4))
    bad = applicant(1)
    del bad["document"]
    try:
        with capture_logs() as logs:
            async with workers(
                grpc_address=zeebe_target.grpc_address,
                database_url=database_url,
                stub_url=stub.url,
            ):
                response = await zeebe_client.run_process(process.PROCESS_ID, variables=bad)
                key = str(response.process_instance_key)
                for _ in range(300):
                    incidents = await incidents_of(zeebe_target.rest_url, {key})
                    if incidents:
                        break
    finally:
        await stub.stop()
    (incident,) = incidents
    assert incident.element_id == process.verify_task(2)
    assert incident.error_type == "JOB_NO_RETRIES"
    assert "input variable document is missing" in incident.error_message
    # The model gives the task 3 retries: only our own FailJob(retries=0) ends it at once.
    attempts = [e for e in logs if e["event"] == "verification failed"]
    assert [e["retries_left"] for e in attempts] == [0]


async def test_fail_job_with_no_retries_left_raises_an_incident_on_that_task(
    zeebe_target, zeebe_client, zeebe_channel
):
    await deploy_model(zeebe_client, zeebe_target.grpc_address)
    (key,) = await start(zeebe_client, 1)
    gateway = GatewayStub(zeebe_channel)
    job = await activate_one(gateway, process.CHOOSE_VERSION)
    assert job.retries == 3
    jobs = GatewayJobEnding(zeebe_channel)
    await jobs.fail_job(
        job_key=job.key, retries=0, message="no retries", retry_back_off_ms=0, variables={}
    )
    incidents = []
    for _ in range(100):
        incidents = await incidents_of(zeebe_target.rest_url, {str(key)})
        if incidents:
            break
    assert [(i.element_id, i.error_message) for i in incidents] == [
        (process.CHOOSE_VERSION, "no retries")
    ]
    with pytest.raises(JobGoneError, match=f"FailJob for job {job.key}: the job is no longer"):
        await jobs.fail_job(
            job_key=job.key, retries=0, message="again", retry_back_off_ms=0, variables={}
        )
