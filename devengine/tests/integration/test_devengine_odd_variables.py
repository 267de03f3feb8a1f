"""Odd variables are refused at the call that brings them, so job delivery never stalls."""

import json
from typing import Any

import grpc
import pytest
from engine_harness import ExpectError, Harness
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine

LONE_SURROGATE = '{"name": "\\ud800"}'
TOO_DEEP = '{"a":' + "[" * 975 + "]" * 975 + "}"


async def start(zb: Harness, variables: str = "{}") -> tuple[str, Any]:
    process_id, job_type = zb.name("p"), zb.name("t")
    await zb.deploy(one_task_process(process_id, job_type))
    request = pb.CreateProcessInstanceRequest(
        bpmnProcessId=process_id, version=-1, variables=variables
    )
    return job_type, zb.stub.CreateProcessInstance(request)


@pytest.mark.parametrize("variables", [LONE_SURROGATE, TOO_DEEP])
async def test_create_process_instance_refuses_them(
    zb: Harness, expect_error: ExpectError, variables: Any
) -> None:
    job_type, call = await start(zb, variables)
    details = await expect_error(grpc.StatusCode.INVALID_ARGUMENT, call)
    assert "Property 'variables' is invalid" in details
    # nothing was created, and activation answers normally
    response = zb.stub.ActivateJobs(
        pb.ActivateJobsRequest(
            type=job_type, worker="w", timeout=1000, maxJobsToActivate=1, requestTimeout=-1
        )
    )
    assert [job async for batch in response for job in batch.jobs] == []


@pytest.mark.parametrize("variables", [LONE_SURROGATE, TOO_DEEP])
async def test_complete_job_refuses_them_and_the_job_stays_completable(
    zb: Harness, expect_error: ExpectError, variables: Any
) -> None:
    job_type, call = await start(zb)
    await call
    [job] = await zb.activate(job_type)
    await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.CompleteJob(pb.CompleteJobRequest(jobKey=job.key, variables=variables)),
    )
    await zb.stub.CompleteJob(
        pb.CompleteJobRequest(jobKey=job.key, variables=json.dumps({"ok": 1}))
    )


@pytest.mark.parametrize("variables", [LONE_SURROGATE, TOO_DEEP])
async def test_set_variables_fail_job_and_publish_message_refuse_them(
    zb: Harness, expect_error: ExpectError, variables: Any
) -> None:
    job_type, call = await start(zb)
    created = await call
    await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.SetVariables(
            pb.SetVariablesRequest(
                elementInstanceKey=created.processInstanceKey, variables=variables
            )
        ),
    )
    [job] = await zb.activate(job_type)
    await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.FailJob(pb.FailJobRequest(jobKey=job.key, retries=1, variables=variables)),
    )
    await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.PublishMessage(pb.PublishMessageRequest(name=zb.name("m"), variables=variables)),
    )
