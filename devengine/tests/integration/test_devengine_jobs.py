"""Jobs through the gateway: pyzeebe workers, completion, failure, retries, timeouts."""

import json
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from engine_harness import ExpectError, Harness
from pyzeebe import ZeebeWorker
from pyzeebe.errors import BusinessError
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import (
    chain,
    definitions,
    end_event,
    error_boundary_event,
    one_task_process,
    process,
    service_task,
    start_event,
)

pytestmark = pytest.mark.engine


def task_process(process_id: str, job_type: str, **task_options: Any) -> str:
    return definitions(
        process(
            process_id,
            start_event("start"),
            service_task("task", job_type, **task_options),
            end_event("end"),
            *chain("start", "task", "end"),
        )
    )


async def test_a_pyzeebe_worker_completes_a_process_end_to_end(
    zb: Harness, worker: ZeebeWorker, start_worker: Callable[[], None]
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("greet")))

    @worker.task(zb.name("greet"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def greet(name: str) -> dict[str, Any]:
        return {"greeting": f"hello {name}"}

    start_worker()
    result = await zb.client.run_process_with_result(zb.name("p"), {"name": "Ann"}, timeout=20_000)
    assert result.variables == {"name": "Ann", "greeting": "hello Ann"}


async def test_activated_jobs_carry_the_model_and_the_fetched_variables(zb: Harness) -> None:
    model = task_process(zb.name("p"), zb.name("choose"), retries=4, headers={"rollout": "vmn"})
    deployment = await zb.deploy(model)
    created = await zb.client.run_process(zb.name("p"), {"applicantId": "a1", "secret": "s"})
    [job] = await zb.activate(zb.name("choose"), fetch=["applicantId"])
    assert job.processInstanceKey == created.process_instance_key
    assert job.processDefinitionKey == deployment.deployments[0].process_definition_key
    assert job.bpmnProcessId == zb.name("p")
    assert job.elementId == "task"
    assert job.retries == 4
    assert json.loads(job.customHeaders) == {"rollout": "vmn"}
    assert json.loads(job.variables) == {"applicantId": "a1"}
    assert job.worker == "gateway-test"
    assert job.deadline > 0


async def test_completing_twice_or_an_unknown_job_is_not_found(
    zb: Harness, expect_error: ExpectError
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    await zb.complete(job)
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.complete(job))
    unknown = pb.CompleteJobRequest(jobKey=1)
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.stub.CompleteJob(unknown))


async def test_invalid_completion_variables_are_invalid_argument(
    zb: Harness, expect_error: ExpectError
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    for variables in ("[1, 2]", "{broken", '"text"'):
        request = pb.CompleteJobRequest(jobKey=job.key, variables=variables)
        await expect_error(grpc.StatusCode.INVALID_ARGUMENT, zb.stub.CompleteJob(request))


async def test_a_timed_out_job_is_activated_again_and_the_late_completion_is_not_found(
    zb: Harness, expect_error: ExpectError
) -> None:
    await zb.deploy(task_process(zb.name("p"), zb.name("t"), retries=2))
    await zb.client.run_process(zb.name("p"))
    [first] = await zb.activate(zb.name("t"), timeout=300)
    [second] = await zb.activate(zb.name("t"), request_timeout=40_000)
    assert second.key == first.key
    assert second.retries == 2
    await zb.complete(second)
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.complete(first))


async def test_failing_out_of_retries_raises_an_incident_resolved_after_raising_retries(
    zb: Harness, expect_error: ExpectError
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    created = await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    await zb.stub.FailJob(
        pb.FailJobRequest(jobKey=job.key, retries=0, errorMessage="VerifyMeNow v2 answered 503")
    )
    [incident] = await zb.incidents(zb.name("p"))
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert incident["errorMessage"] == "VerifyMeNow v2 answered 503"
    assert incident["jobKey"] == str(job.key)
    assert incident["processInstanceKey"] == str(created.process_instance_key)
    details = await expect_error(grpc.StatusCode.FAILED_PRECONDITION, zb.complete(job))
    assert str(job.key) in details
    await zb.stub.UpdateJobRetries(pb.UpdateJobRetriesRequest(jobKey=job.key, retries=1))
    resolve = pb.ResolveIncidentRequest(incidentKey=int(incident["incidentKey"]))
    await zb.stub.ResolveIncident(resolve)
    [again] = await zb.activate(zb.name("t"))
    assert (again.key, again.retries) == (job.key, 1)
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.stub.ResolveIncident(resolve))


async def test_a_retry_backoff_holds_the_job_back(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    await zb.stub.FailJob(
        pb.FailJobRequest(jobKey=job.key, retries=2, errorMessage="busy", retryBackOff=500)
    )
    immediate = pb.ActivateJobsRequest(
        type=zb.name("t"), worker="w", timeout=1000, maxJobsToActivate=1, requestTimeout=-1
    )
    answers = [response async for response in zb.stub.ActivateJobs(immediate)]
    assert sum(len(answer.jobs) for answer in answers) == 0
    [again] = await zb.activate(zb.name("t"))
    assert (again.key, again.retries) == (job.key, 2)


async def test_update_job_retries_needs_a_positive_number_and_an_existing_job(
    zb: Harness, expect_error: ExpectError
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    zero = pb.UpdateJobRetriesRequest(jobKey=job.key, retries=0)
    await expect_error(grpc.StatusCode.INVALID_ARGUMENT, zb.stub.UpdateJobRetries(zero))
    unknown = pb.UpdateJobRetriesRequest(jobKey=7, retries=3)
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.stub.UpdateJobRetries(unknown))


async def test_pyzeebe_business_errors_follow_the_error_boundary(
    zb: Harness, worker: ZeebeWorker, start_worker: Callable[[], None]
) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("s"),
                service_task("verify", zb.name("verify")),
                error_boundary_event("rejected", "verify", error_ref="rejected-error"),
                end_event("verified"),
                end_event("rejected-end"),
                *chain("s", "verify", "verified"),
                *chain("rejected", "rejected-end"),
            ),
            errors={"rejected-error": "IDENTITY_REJECTED"},
        )
    )

    @worker.task(zb.name("verify"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def verify() -> dict[str, Any]:
        raise BusinessError("IDENTITY_REJECTED")

    start_worker()
    result = await zb.client.run_process_with_result(zb.name("p"), {"n": 1}, timeout=20_000)
    assert result.variables == {"n": 1}


async def test_pyzeebe_failures_use_up_the_retries_into_an_incident(
    zb: Harness, worker: ZeebeWorker, start_worker: Callable[[], None]
) -> None:
    await zb.deploy(task_process(zb.name("p"), zb.name("t"), retries=2))
    attempts = []

    @worker.task(zb.name("t"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def flaky() -> dict[str, Any]:
        attempts.append(1)
        raise RuntimeError("provider down")

    start_worker()
    await zb.client.run_process(zb.name("p"))
    [incident] = await zb.incidents(zb.name("p"))
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert "provider down" in incident["errorMessage"]
    assert len(attempts) == 2
