"""REST jobs: long-polling activation from the gRPC job pool, completion, failure into an
incident and its resolution, errors, updates, search; the same data through both protocols."""

import asyncio
from typing import Any

import pytest
from engine_harness import Harness
from pyzeebe import ZeebeWorker
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
from zeebe_devengine.rest.query import iso_date

pytestmark = pytest.mark.engine


def activation(job_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": job_type,
        "worker": "rest-test",
        "timeout": 60_000,
        "maxJobsToActivate": 5,
        "requestTimeout": 20_000,
        **extra,
    }


async def rest_jobs(zb: Harness, job_type: str, count: int = 1) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        while len(jobs) < count:
            body = activation(job_type, maxJobsToActivate=count - len(jobs))
            jobs.extend((await zb.post("/v2/jobs/activation", body))["jobs"])
    return jobs


async def create(zb: Harness, process_id: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = {"processDefinitionId": process_id, "variables": variables}
    return dict(await zb.post("/v2/process-instances", body))


async def test_an_instance_created_over_rest_is_served_to_a_pyzeebe_worker(
    zb: Harness, worker: ZeebeWorker, start_worker: Any
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("work")))
    seen: list[Any] = []

    @worker.task(zb.name("work"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def work(amount: int) -> dict[str, Any]:
        seen.append(amount)
        return {"doubled": amount * 2}

    start_worker()
    created = await create(zb, zb.name("p"), {"amount": 21})
    key = created["processInstanceKey"]

    async def completed() -> Any:
        body = (await zb.rest.get(f"/v2/process-instances/{key}")).json()
        return body if body["state"] == "COMPLETED" else None

    await zb.eventually(completed)
    assert seen == [21]
    doubled = await zb.post(
        "/v2/variables/search", {"filter": {"processInstanceKey": key, "name": "doubled"}}
    )
    assert [item["value"] for item in doubled["items"]] == ["42"]


async def test_a_job_of_a_grpc_instance_is_activated_and_completed_over_rest(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("work")))
    instance = await zb.client.run_process(zb.name("p"), {"applicant": {"id": 7}})
    [job] = await rest_jobs(zb, zb.name("work"))
    assert job["processInstanceKey"] == str(instance.process_instance_key)
    assert job["variables"] == {"applicant": {"id": 7}}
    assert job["customHeaders"] == {}
    assert isinstance(job["jobKey"], str)
    assert job["rootProcessInstanceKey"] == job["processInstanceKey"]
    response = await zb.rest.post(
        f"/v2/jobs/{job['jobKey']}/completion", json={"variables": {"ok": True}}
    )
    assert response.status_code == 204
    again = await zb.rest.post(f"/v2/jobs/{job['jobKey']}/completion", json={})
    assert again.status_code == 404
    assert again.headers["content-type"].startswith("application/problem+json")
    done = (await zb.rest.get(f"/v2/process-instances/{instance.process_instance_key}")).json()
    assert done["state"] == "COMPLETED"


async def test_rest_activation_long_polls_until_a_job_exists(zb: Harness) -> None:
    dev = zb.target.require_dev_engine("counts the waiting long polls")
    await zb.deploy(one_task_process(zb.name("p"), zb.name("later")))
    poll = asyncio.create_task(zb.post("/v2/jobs/activation", activation(zb.name("later"))))
    try:
        async with asyncio.timeout(10):
            while dev.waiting_polls == 0:
                await asyncio.sleep(0.01)
        assert not poll.done()
        instance = await zb.client.run_process(zb.name("p"))
        body = await poll
    finally:
        poll.cancel()
    [job] = body["jobs"]
    assert job["processInstanceKey"] == str(instance.process_instance_key)


async def test_rest_activation_without_jobs_ends_empty_at_its_request_timeout(
    zb: Harness,
) -> None:
    body = await zb.post("/v2/jobs/activation", activation(zb.name("none"), requestTimeout=50))
    assert body == {"jobs": []}


async def test_a_job_failed_over_rest_becomes_an_incident_resolved_over_rest(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("flaky")))
    instance = await create(zb, zb.name("p"), {})
    [job] = await rest_jobs(zb, zb.name("flaky"))
    failed = await zb.rest.post(
        f"/v2/jobs/{job['jobKey']}/failure",
        json={"retries": 0, "errorMessage": "provider down"},
    )
    assert failed.status_code == 204
    [incident] = await zb.incidents(zb.name("p"))
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert incident["errorMessage"] == "provider down"
    assert incident["jobKey"] == job["jobKey"]
    key = incident["incidentKey"]
    found = (await zb.rest.get(f"/v2/incidents/{key}")).json()
    assert found["processInstanceKey"] == instance["processInstanceKey"]
    searched = await zb.post("/v2/jobs/search", {"filter": {"jobKey": job["jobKey"]}})
    assert [item["state"] for item in searched["items"]] == ["FAILED"]
    updated = await zb.rest.patch(f"/v2/jobs/{job['jobKey']}", json={"changeset": {"retries": 1}})
    assert updated.status_code == 204
    resolved = await zb.rest.post(f"/v2/incidents/{key}/resolution", json={})
    assert resolved.status_code == 204
    assert (await zb.rest.get(f"/v2/incidents/{key}")).json()["state"] == "RESOLVED"
    [again] = await rest_jobs(zb, zb.name("flaky"))
    assert again["jobKey"] == job["jobKey"]
    assert again["retries"] == 1
    twice = await zb.rest.post(f"/v2/incidents/{key}/resolution", json={})
    assert twice.status_code == 404


async def test_a_failure_with_retries_and_backoff_waits_before_the_job_returns(
    zb: Harness,
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("retry")))
    await create(zb, zb.name("p"), {})
    [job] = await rest_jobs(zb, zb.name("retry"))
    await zb.rest.post(
        f"/v2/jobs/{job['jobKey']}/failure",
        json={"retries": 2, "retryBackOff": 100, "errorMessage": "later"},
    )
    searched = await zb.post("/v2/jobs/search", {"filter": {"jobKey": job["jobKey"]}})
    [waiting] = searched["items"]
    assert (waiting["state"], waiting["retries"]) == ("FAILED", 2)
    assert waiting["hasFailedWithRetriesLeft"] is True
    [again] = await rest_jobs(zb, zb.name("retry"))
    assert (again["jobKey"], again["retries"]) == (job["jobKey"], 2)


async def test_a_bpmn_error_thrown_over_rest_is_caught_by_the_boundary_event(
    zb: Harness,
) -> None:
    model = definitions(
        process(
            zb.name("p"),
            start_event("start"),
            service_task("task", zb.name("check")),
            error_boundary_event("rejected", "task", error_ref="err"),
            end_event("done"),
            end_event("refused"),
            *chain("start", "task", "done"),
            *chain("rejected", "refused"),
        ),
        '<bpmn:error id="err" errorCode="REJECTED"/>',
    )
    await zb.deploy(model)
    created = await create(zb, zb.name("p"), {})
    [job] = await rest_jobs(zb, zb.name("check"))
    thrown = await zb.rest.post(
        f"/v2/jobs/{job['jobKey']}/error", json={"errorCode": "REJECTED", "errorMessage": "no"}
    )
    assert thrown.status_code == 204
    key = created["processInstanceKey"]
    body = (await zb.rest.get(f"/v2/process-instances/{key}")).json()
    assert (body["state"], body["hasIncident"]) == ("COMPLETED", False)
    missing_code = await zb.rest.post(f"/v2/jobs/{job['jobKey']}/error", json={})
    assert missing_code.status_code == 400


async def test_job_search_filters_sorts_and_pages(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("many")))
    for _ in range(3):
        await create(zb, zb.name("p"), {})
    query: dict[str, Any] = {
        "filter": {"type": zb.name("many"), "state": {"$in": ["CREATED"]}},
        "sort": [{"field": "jobKey", "order": "DESC"}],
    }
    first = await zb.post("/v2/jobs/search", {**query, "page": {"limit": 2}})
    rest = await zb.post(
        "/v2/jobs/search", {**query, "page": {"limit": 2, "after": first["page"]["endCursor"]}}
    )
    keys = [item["jobKey"] for item in first["items"] + rest["items"]]
    assert first["page"]["totalItems"] == 3
    assert keys == sorted(keys, key=int, reverse=True)
    assert len(set(keys)) == 3
    unknown = await zb.rest.post("/v2/jobs/search", json={"filter": {"colour": "red"}})
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["detail"]


async def test_job_update_changes_the_timeout_of_an_activated_job(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("slow")))
    await create(zb, zb.name("p"), {})
    [job] = await rest_jobs(zb, zb.name("slow"))
    response = await zb.rest.patch(
        f"/v2/jobs/{job['jobKey']}", json={"changeset": {"timeout": 120_000}}
    )
    assert response.status_code == 204
    [found] = (await zb.post("/v2/jobs/search", {"filter": {"jobKey": job["jobKey"]}}))["items"]
    assert found["deadline"] > job_deadline_iso(job)
    refused = await zb.rest.patch(f"/v2/jobs/{job['jobKey']}", json={"changeset": {"retries": 0}})
    assert refused.status_code == 400
    wrong = await zb.rest.patch(f"/v2/jobs/{job['jobKey']}", json={"changeset": {"retries": "x"}})
    assert wrong.status_code == 400


def job_deadline_iso(job: dict[str, Any]) -> str:
    return str(iso_date(job["deadline"]))


async def test_rest_and_grpc_activation_share_one_job_pool(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("shared")))
    for _ in range(2):
        await zb.client.run_process(zb.name("p"))
    [over_rest] = (
        await zb.post("/v2/jobs/activation", activation(zb.name("shared"), maxJobsToActivate=1))
    )["jobs"]
    [over_grpc] = await zb.activate(zb.name("shared"))
    assert over_rest["jobKey"] != str(over_grpc.key)
    await zb.stub.CompleteJob(pb.CompleteJobRequest(jobKey=int(over_rest["jobKey"])))
    done = await zb.rest.post(f"/v2/jobs/{over_grpc.key}/completion", json={})
    assert done.status_code == 204


async def test_activation_refuses_bad_requests_with_problem_details(zb: Harness) -> None:
    cases = [
        {"type": "x", "timeout": 1000},
        {"type": "", "timeout": 1000, "maxJobsToActivate": 1},
        {"type": "x", "timeout": "soon", "maxJobsToActivate": 1},
        {"type": "x", "timeout": 1000, "maxJobsToActivate": 0},
        {"type": "x", "timeout": 1000, "maxJobsToActivate": 1, "tenantIds": ["other"]},
    ]
    for body in cases:
        response = await zb.rest.post("/v2/jobs/activation", json=body)
        assert response.status_code == 400, body
        assert response.json()["status"] == 400


async def test_jobs_not_job_shaped_keys_are_refused(zb: Harness) -> None:
    response = await zb.rest.post("/v2/jobs/abc/completion", json={})
    assert response.status_code == 400
