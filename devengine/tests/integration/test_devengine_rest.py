"""The REST v2 subset: Camunda's JSON shapes for definitions, statistics, instances, incidents."""

from typing import Any

import pytest
from engine_harness import Harness
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import (
    chain,
    definitions,
    end_event,
    exclusive_gateway,
    flow,
    process,
    service_task,
    start_event,
)

pytestmark = pytest.mark.engine

DEFINITION_FIELDS = {
    "processDefinitionKey",
    "processDefinitionId",
    "name",
    "resourceName",
    "version",
    "versionTag",
    "tenantId",
    "hasStartForm",
}
INSTANCE_FIELDS = {
    "processInstanceKey",
    "processDefinitionId",
    "processDefinitionName",
    "processDefinitionVersion",
    "processDefinitionVersionTag",
    "processDefinitionKey",
    "startDate",
    "endDate",
    "state",
    "hasIncident",
    "tenantId",
    "parentProcessInstanceKey",
    "parentElementInstanceKey",
}
INCIDENT_FIELDS = {
    "incidentKey",
    "processDefinitionKey",
    "processDefinitionId",
    "processInstanceKey",
    "elementInstanceKey",
    "elementId",
    "errorType",
    "errorMessage",
    "creationTime",
    "state",
    "jobKey",
    "tenantId",
}


def routed(zb: Harness) -> str:
    return definitions(
        process(
            zb.name("p"),
            start_event("start"),
            exclusive_gateway("which", default="to-v1"),
            flow("to-v2", "which", "v2", condition="= useVersion = 2"),
            flow("to-v1", "which", "v1"),
            service_task("v1", zb.name("v1")),
            service_task("v2", zb.name("v2")),
            end_event("end"),
            *chain("start", "which"),
            flow("v1-end", "v1", "end"),
            flow("v2-end", "v2", "end"),
        )
    )


async def definition_key(zb: Harness) -> str:
    body = await zb.post(
        "/v2/process-definitions/search", {"filter": {"processDefinitionId": zb.name("p")}}
    )
    return str(body["items"][0]["processDefinitionKey"])


async def drive(zb: Harness) -> None:
    """v1: completed, active, incident; v2: completed, cancelled."""
    for version in (1, 1, 1, 2, 2):
        await zb.client.run_process(zb.name("p"), {"useVersion": version, "applicant": "x"})
    v1_jobs = await zb.activate(zb.name("v1"), 3)
    v2_jobs = await zb.activate(zb.name("v2"), 2)
    await zb.complete(v1_jobs[0])
    await zb.stub.FailJob(pb.FailJobRequest(jobKey=v1_jobs[1].key, retries=0, errorMessage="503"))
    await zb.complete(v2_jobs[0])
    await zb.client.cancel_process_instance(v2_jobs[1].processInstanceKey)


async def test_process_definitions_are_found_by_id_with_string_keys(zb: Harness) -> None:
    deployment = await zb.deploy(routed(zb), names=["routed.bpmn"])
    body = await zb.post(
        "/v2/process-definitions/search",
        {"filter": {"processDefinitionId": zb.name("p")}, "sort": [{"field": "version"}]},
    )
    [item] = body["items"]
    assert set(item) >= DEFINITION_FIELDS
    assert item["processDefinitionKey"] == str(deployment.deployments[0].process_definition_key)
    assert item["version"] == 1
    assert item["resourceName"] == "routed.bpmn"
    assert body["page"]["totalItems"] == 1
    single = (await zb.rest.get(f"/v2/process-definitions/{item['processDefinitionKey']}")).json()
    assert single["processDefinitionId"] == zb.name("p")
    xml = await zb.rest.get(f"/v2/process-definitions/{item['processDefinitionKey']}/xml")
    assert zb.name("p") in xml.text


async def test_element_statistics_count_like_operate(zb: Harness) -> None:
    await zb.deploy(routed(zb))
    await drive(zb)
    key = await definition_key(zb)
    expected = {
        # per element: active, canceled, incidents, completed instances
        "v1": (1, 0, 1, 1),
        "v2": (0, 1, 0, 1),
        "end": (0, 0, 0, 2),
        "start": (0, 0, 0, 5),
    }

    async def settled() -> dict[str, tuple[int, int, int, int]] | None:
        body = await zb.post(f"/v2/process-definitions/{key}/statistics/element-instances", {})
        counts = {
            item["elementId"]: (
                item["active"],
                item["canceled"],
                item["incidents"],
                item["completed"],
            )
            for item in body["items"]
        }
        return counts if all(counts.get(e) == c for e, c in expected.items()) else None

    assert await zb.eventually(settled)
    body = await zb.post(
        f"/v2/process-definitions/{key}/statistics/element-instances",
        {"filter": {"variables": [{"name": "useVersion", "value": "2"}]}},
    )
    v2_only = {item["elementId"] for item in body["items"]}
    assert "v2" in v2_only
    assert "v1" not in v2_only


async def test_process_instances_are_searched_by_json_encoded_variable_values(zb: Harness) -> None:
    await zb.deploy(routed(zb))
    await drive(zb)

    async def search(filters: dict[str, Any]) -> Any:
        body = {"filter": {"processDefinitionId": zb.name("p"), **filters}}
        return await zb.post("/v2/process-instances/search", body)

    async def settled() -> Any:
        body = await search({"variables": [{"name": "useVersion", "value": "2"}]})
        return body if body["page"]["totalItems"] == 2 else None

    body = await zb.eventually(settled)
    assert {item["state"] for item in body["items"]} == {"COMPLETED", "TERMINATED"}
    assert set(body["items"][0]) >= INSTANCE_FIELDS
    strings = await search({"variables": [{"name": "applicant", "value": '"x"'}]})
    assert strings["page"]["totalItems"] == 5
    incidents = await search({"hasIncident": True})
    assert incidents["page"]["totalItems"] == 1
    active_v1 = await search(
        {"state": "ACTIVE", "variables": [{"name": "useVersion", "value": "1"}]}
    )
    assert active_v1["page"]["totalItems"] == 2


async def test_search_pages_with_cursors(zb: Harness) -> None:
    await zb.deploy(routed(zb))
    for _ in range(3):
        await zb.client.run_process(zb.name("p"), {"useVersion": 1})
    query = {"filter": {"processDefinitionId": zb.name("p")}}

    async def all_three() -> Any:
        body = await zb.post("/v2/process-instances/search", query)
        return body if body["page"]["totalItems"] == 3 else None

    await zb.eventually(all_three)
    first = await zb.post("/v2/process-instances/search", {**query, "page": {"limit": 2}})
    rest = await zb.post(
        "/v2/process-instances/search",
        {**query, "page": {"limit": 2, "after": first["page"]["endCursor"]}},
    )
    keys = [i["processInstanceKey"] for i in first["items"] + rest["items"]]
    assert len(keys) == 3
    assert len(set(keys)) == 3


async def test_incidents_are_searched_with_camundas_fields(zb: Harness) -> None:
    await zb.deploy(routed(zb))
    await drive(zb)
    [incident] = await zb.incidents(zb.name("p"))
    assert set(incident) >= INCIDENT_FIELDS
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert incident["elementId"] == "v1"
    assert incident["state"] == "ACTIVE"
    single = (await zb.rest.get(f"/v2/incidents/{incident['incidentKey']}")).json()
    assert single["errorMessage"] == "503"


async def test_unknown_keys_are_404_problems(zb: Harness) -> None:
    response = await zb.rest.get("/v2/process-instances/1")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


@pytest.mark.parametrize("key", ["%7B1%7D", "%7D", "12a", "%C2%B2", "9" * 20])
async def test_a_malformed_path_key_is_a_400_problem(zb: Harness, key: str) -> None:
    """A brace, a letter, a non-ASCII digit or a key past int64: the spec's 400, not 404/500."""
    for method, path in [
        ("GET", f"/v2/process-instances/{key}"),
        ("POST", f"/v2/jobs/{key}/completion"),
    ]:
        response = await zb.rest.request(method, path)
        assert response.status_code == 400, f"{method} {path}: {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 400


async def test_unsupported_filters_are_refused_not_ignored(zb: Harness) -> None:
    zb.target.require_dev_engine("Camunda may accept filters the dev engine lacks")
    response = await zb.rest.post(
        "/v2/process-instances/search", json={"filter": {"batchOperationId": "x"}}
    )
    assert response.status_code == 400
    assert "batchOperationId" in response.json()["detail"]
    malformed = await zb.rest.post("/v2/incidents/search", content=b"{not json")
    assert malformed.status_code == 400


async def test_statistics_of_pruned_instances_stay_right(zb: Harness) -> None:
    zb.target.require_dev_engine("pruning is the dev engine's memory cap")
    zb.target.engine.engine.history._retained = 1
    await zb.deploy(routed(zb))
    await drive(zb)
    key = await definition_key(zb)
    assert zb.target.engine.engine.history.pruned == 2
    body = await zb.post(f"/v2/process-definitions/{key}/statistics/element-instances", {})
    counts = {item["elementId"]: item for item in body["items"]}
    assert counts["start"]["completed"] == 5
    assert counts["end"]["completed"] == 2
    v2 = await zb.post(
        f"/v2/process-definitions/{key}/statistics/element-instances",
        {"filter": {"variables": [{"name": "useVersion", "value": "2"}]}},
    )
    assert {item["elementId"]: item["completed"] for item in v2["items"]}["v2"] == 1
