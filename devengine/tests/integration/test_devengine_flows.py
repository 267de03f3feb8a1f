"""Process behaviour through the gateway: routing, joins, errors, timers, messages, cancel."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from engine_harness import ExpectError, Harness
from pyzeebe import ZeebeWorker
from pyzeebe.errors import (
    ProcessDefinitionHasNoStartEventError,
    ProcessDefinitionNotFoundError,
    ProcessInstanceNotFoundError,
    ProcessTimeoutError,
)
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import (
    chain,
    definitions,
    end_event,
    error_boundary_event,
    exclusive_gateway,
    flow,
    one_task_process,
    parallel_gateway,
    process,
    service_task,
    start_event,
    timer_boundary_event,
    timer_catch_event,
)

pytestmark = pytest.mark.engine


def routed(zb: Harness) -> str:
    """Our identity-verification shape: choose, route on useVersion, verify, join."""
    return definitions(
        process(
            zb.name("p"),
            start_event("start"),
            service_task("choose", zb.name("choose")),
            exclusive_gateway("which", default="to-v1"),
            flow("to-v2", "which", "verify-v2", condition="= useVersion = 2"),
            flow("to-v1", "which", "verify-v1"),
            service_task("verify-v1", zb.name("v1")),
            service_task("verify-v2", zb.name("v2")),
            error_boundary_event("rejected", "verify-v2", error_ref="rejected-error"),
            error_boundary_event("other-error", "verify-v2", error_ref=None),
            exclusive_gateway("joined"),
            end_event("verified"),
            end_event("rejected-end"),
            end_event("other-end"),
            *chain("start", "choose", "which"),
            flow("v1-joined", "verify-v1", "joined"),
            flow("v2-joined", "verify-v2", "joined"),
            *chain("joined", "verified"),
            *chain("rejected", "rejected-end"),
            *chain("other-error", "other-end"),
        ),
        errors={"rejected-error": "IDENTITY_REJECTED"},
    )


async def choose(zb: Harness, use_version: object) -> None:
    [job] = await zb.activate(zb.name("choose"))
    await zb.complete(job, useVersion=use_version)


async def test_use_version_2_routes_to_v2_and_1_to_the_default(zb: Harness) -> None:
    await zb.deploy(routed(zb))
    first = await zb.client.run_process(zb.name("p"))
    await choose(zb, 2)
    [v2_job] = await zb.activate(zb.name("v2"))
    assert v2_job.processInstanceKey == first.process_instance_key
    await zb.client.run_process(zb.name("p"))
    await choose(zb, 1)
    [v1_job] = await zb.activate(zb.name("v1"))
    assert v1_job.elementId == "verify-v1"


async def test_a_string_use_version_is_an_incident_fixed_by_setting_a_number(zb: Harness) -> None:
    await zb.deploy(routed(zb))
    created = await zb.client.run_process(zb.name("p"))
    await choose(zb, "2")
    [incident] = await zb.incidents(zb.name("p"))
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "which"
    assert incident["errorMessage"].startswith(
        "Expected result of the expression 'useVersion = 2' to be 'BOOLEAN', but was 'NULL'."
    )
    await zb.stub.SetVariables(
        pb.SetVariablesRequest(
            elementInstanceKey=created.process_instance_key, variables='{"useVersion": 2}'
        )
    )
    resolve = pb.ResolveIncidentRequest(incidentKey=int(incident["incidentKey"]))
    await zb.stub.ResolveIncident(resolve)
    [job] = await zb.activate(zb.name("v2"))
    assert job.processInstanceKey == created.process_instance_key


async def test_thrown_errors_take_the_matching_boundary_else_the_catch_all(zb: Harness) -> None:
    await zb.deploy(routed(zb))
    for code in ("IDENTITY_REJECTED", "DOCUMENT_UNREADABLE"):
        await zb.client.run_process(zb.name("p"))
        await choose(zb, 2)
        [job] = await zb.activate(zb.name("v2"))
        await zb.stub.ThrowError(
            pb.ThrowErrorRequest(jobKey=job.key, errorCode=code, errorMessage="no")
        )
    [definition] = (
        await zb.post(
            "/v2/process-definitions/search", {"filter": {"processDefinitionId": zb.name("p")}}
        )
    )["items"]

    async def both_ended() -> dict[str, Any] | None:
        body = await zb.post(
            f"/v2/process-definitions/{definition['processDefinitionKey']}"
            "/statistics/element-instances",
            {},
        )
        counts = {item["elementId"]: item for item in body["items"]}
        ended = ("rejected-end", "other-end")
        return counts if all(counts.get(e, {}).get("completed") == 1 for e in ended) else None

    counts = await zb.eventually(both_ended)
    assert counts["verify-v2"]["canceled"] == 2


async def test_an_uncaught_error_is_an_incident_and_resolving_it_releases_the_job(
    zb: Harness,
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    await zb.stub.ThrowError(
        pb.ThrowErrorRequest(jobKey=job.key, errorCode="NOPE", errorMessage="bad input")
    )
    [incident] = await zb.incidents(zb.name("p"))
    assert incident["errorType"] == "UNHANDLED_ERROR_EVENT"
    assert incident["errorMessage"] == (
        "Expected to throw an error event with the code 'NOPE' with message 'bad input', "
        "but it was not caught. No error events are available in the scope."
    )
    await zb.stub.ResolveIncident(
        pb.ResolveIncidentRequest(incidentKey=int(incident["incidentKey"]))
    )
    [again] = await zb.activate(zb.name("t"))
    assert again.key == job.key


async def test_parallel_branches_join_before_the_process_completes(
    zb: Harness, worker: ZeebeWorker, start_worker: Callable[[], None]
) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("s"),
                parallel_gateway("fork"),
                service_task("a", zb.name("a")),
                service_task("b", zb.name("b")),
                parallel_gateway("join"),
                end_event("e"),
                *chain("s", "fork", "a", "join", "e"),
                *chain("fork", "b", "join"),
            )
        )
    )

    @worker.task(zb.name("a"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def branch_a() -> dict[str, Any]:
        return {"a": True}

    @worker.task(zb.name("b"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def branch_b() -> dict[str, Any]:
        return {"b": True}

    start_worker()
    result = await zb.client.run_process_with_result(zb.name("p"), timeout=20_000)
    assert result.variables == {"a": True, "b": True}


async def test_a_timer_catch_event_delays_the_process(zb: Harness) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("s"),
                timer_catch_event("wait", "PT0.2S"),
                end_event("e"),
                *chain("s", "wait", "e"),
            )
        )
    )
    result = await zb.client.run_process_with_result(zb.name("p"), {"x": 1}, timeout=20_000)
    assert result.variables == {"x": 1}


async def test_an_interrupting_timer_boundary_takes_over_a_job_nobody_completes(
    zb: Harness, expect_error: ExpectError
) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("s"),
                service_task("slow", zb.name("slow")),
                timer_boundary_event("too-late", "slow", "PT0.3S"),
                end_event("done"),
                end_event("late"),
                *chain("s", "slow", "done"),
                *chain("too-late", "late"),
            )
        )
    )
    run = asyncio.create_task(zb.client.run_process_with_result(zb.name("p"), timeout=20_000))
    [job] = await zb.activate(zb.name("slow"))
    await run
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.complete(job))


async def test_a_message_starts_an_instance_with_its_variables(
    zb: Harness, worker: ZeebeWorker, start_worker: Callable[[], None]
) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("received", message_ref="msg"),
                service_task("handle", zb.name("handle")),
                end_event("e"),
                *chain("received", "handle", "e"),
            ),
            messages={"msg": zb.name("application-received")},
        )
    )
    seen = asyncio.get_running_loop().create_future()

    @worker.task(zb.name("handle"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def handle(applicantId: str) -> dict[str, Any]:  # noqa: N803 - the process variable's name
        seen.set_result(applicantId)
        return {}

    start_worker()
    await zb.client.publish_message(zb.name("application-received"), "", {"applicantId": "a9"})
    assert await asyncio.wait_for(seen, timeout=20) == "a9"


async def test_a_process_without_a_none_start_event_cannot_be_started_directly(zb: Harness) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("received", message_ref="msg"),
                end_event("e"),
                *chain("received", "e"),
            ),
            messages={"msg": zb.name("m")},
        )
    )
    with pytest.raises(ProcessDefinitionHasNoStartEventError):
        await zb.client.run_process(zb.name("p"))


async def test_cancelling_an_instance_ends_its_jobs_and_a_second_cancel_is_not_found(
    zb: Harness, expect_error: ExpectError
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    created = await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    await zb.client.cancel_process_instance(created.process_instance_key)
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.complete(job))
    with pytest.raises(ProcessInstanceNotFoundError):
        await zb.client.cancel_process_instance(created.process_instance_key)


async def test_waiting_for_a_result_times_out_with_deadline_exceeded(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("nobody-works-this")))
    with pytest.raises(ProcessTimeoutError):
        await zb.client.run_process_with_result(zb.name("p"), timeout=300)


async def test_unknown_processes_and_bad_variables_are_refused(
    zb: Harness, expect_error: ExpectError
) -> None:
    with pytest.raises(ProcessDefinitionNotFoundError):
        await zb.client.run_process(zb.name("missing"))
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    for variables in ("[1]", "not json", "NaN"):
        request = pb.CreateProcessInstanceRequest(
            bpmnProcessId=zb.name("p"), version=-1, variables=variables
        )
        await expect_error(grpc.StatusCode.INVALID_ARGUMENT, zb.stub.CreateProcessInstance(request))


async def test_set_variables_on_an_unknown_element_is_not_found(
    zb: Harness, expect_error: ExpectError
) -> None:
    request = pb.SetVariablesRequest(elementInstanceKey=12345, variables=json.dumps({"a": 1}))
    await expect_error(grpc.StatusCode.NOT_FOUND, zb.stub.SetVariables(request))
