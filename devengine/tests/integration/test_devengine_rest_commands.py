"""REST commands: multipart deployments, creating instances (awaiting completion), cancel,
call hierarchy, element instances and variables, messages, signals, user tasks, decisions."""

from typing import Any

import grpc
import httpx
import pytest
from engine_harness import Harness
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import (
    chain,
    definitions,
    end_event,
    one_task_process,
    process,
    start_event,
)
from zeebe_devengine.bpmn.snippets import catch, element, message, message_ref
from zeebe_devengine.dmn.builder import dmn, literal, table

pytestmark = pytest.mark.engine


async def deploy(zb: Harness, *files: tuple[str, bytes]) -> httpx.Response:
    parts = [("resources", (name, content, "application/xml")) for name, content in files]
    return await zb.rest.post("/v2/deployments", files=parts)


def passing(zb: Harness) -> bytes:
    """start -> end: completes as soon as it is created."""
    return definitions(
        process(zb.name("quick"), start_event("s"), end_event("e"), *chain("s", "e"))
    ).encode()


def waiting_for_message(zb: Harness) -> bytes:
    return definitions(
        process(
            zb.name("wait"),
            start_event("s"),
            catch("paid", message_ref("m")),
            end_event("e"),
            *chain("s", "paid", "e"),
        ),
        message("m", zb.name("order-paid"), key="= orderId"),
    ).encode()


def reviewed(zb: Harness) -> bytes:
    review = element(
        "userTask",
        "review",
        "<bpmn:extensionElements><zeebe:userTask/>"
        '<zeebe:assignmentDefinition candidateGroups="ops"/></bpmn:extensionElements>',
    )
    return definitions(
        process(
            zb.name("review"), start_event("s"), review, end_event("e"), *chain("s", "review", "e")
        )
    ).encode()


def calling(zb: Harness) -> bytes:
    call = element(
        "callActivity",
        "call",
        "<bpmn:extensionElements>"
        f'<zeebe:calledElement processId="{zb.name("child")}"/></bpmn:extensionElements>',
    )
    parent = process(
        zb.name("parent"), start_event("s"), call, end_event("e"), *chain("s", "call", "e")
    )
    return definitions(parent).encode()


async def create(zb: Harness, **body: Any) -> httpx.Response:
    return await zb.rest.post("/v2/process-instances", json=body)


async def test_a_multipart_deployment_of_bpmn_and_dmn(zb: Harness) -> None:
    decisions = dmn(literal(zb.name("d"), '"yes"'), graph_id=zb.name("drg"))
    response = await deploy(zb, ("quick.bpmn", passing(zb)), ("d.dmn", decisions))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tenantId"] == "<default>"
    assert isinstance(body["deploymentKey"], str)
    process_entry, decision_entry, graph_entry = body["deployments"]
    definition = process_entry["processDefinition"]
    assert (definition["processDefinitionId"], definition["processDefinitionVersion"]) == (
        zb.name("quick"),
        1,
    )
    assert definition["resourceName"] == "quick.bpmn"
    assert decision_entry["decisionDefinition"]["decisionDefinitionId"] == zb.name("d")
    assert graph_entry["decisionRequirements"]["decisionRequirementsId"] == zb.name("drg")
    found = await zb.rest.get(f"/v2/process-definitions/{definition['processDefinitionKey']}")
    assert found.json()["processDefinitionId"] == zb.name("quick")


async def test_a_deployment_refuses_what_it_cannot_deploy(zb: Harness) -> None:
    not_multipart = await zb.rest.post("/v2/deployments", json={"resources": []})
    assert not_multipart.status_code == 400
    broken = await deploy(zb, ("broken.bpmn", b"<not-bpmn"))
    assert broken.status_code == 400
    assert broken.headers["content-type"].startswith("application/problem+json")
    other_field = await zb.rest.post("/v2/deployments", files=[("colour", ("x", b"red"))])
    assert other_field.status_code == 400


async def test_create_awaiting_completion_answers_the_fetched_variables(zb: Harness) -> None:
    await deploy(zb, ("quick.bpmn", passing(zb)))
    response = await create(
        zb,
        processDefinitionId=zb.name("quick"),
        variables={"a": 1, "b": {"c": [1, 2]}},
        awaitCompletion=True,
        fetchVariables=["b"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["variables"] == {"b": {"c": [1, 2]}}
    assert body["processDefinitionVersion"] == 1
    assert isinstance(body["processInstanceKey"], str)
    assert (body["tags"], body["businessId"]) == ([], None)


async def test_create_awaiting_completion_times_out_with_504(zb: Harness) -> None:
    await deploy(zb, ("wait.bpmn", one_task_process(zb.name("p"), zb.name("never")).encode()))
    response = await create(
        zb, processDefinitionId=zb.name("p"), awaitCompletion=True, requestTimeout=50
    )
    assert response.status_code == 504
    assert "did not complete" in response.json()["detail"]


async def test_create_refuses_bad_requests(zb: Harness) -> None:
    await deploy(zb, ("quick.bpmn", passing(zb)))
    missing = await create(zb, processDefinitionId=zb.name("nothing-like-it"))
    assert missing.status_code == 404
    cases: list[dict[str, Any]] = [
        {},
        {"processDefinitionId": zb.name("quick"), "variables": [1]},
        {"processDefinitionId": zb.name("quick"), "awaitCompletion": "yes"},
        {"processDefinitionKey": "not-a-key"},
        {"processDefinitionId": zb.name("quick"), "tenantId": "elsewhere"},
        {"processDefinitionId": zb.name("quick"), "colour": "red"},
    ]
    for body in cases:
        response = await create(zb, **body)
        assert response.status_code == 400, body
    malformed = await zb.rest.post(
        "/v2/process-instances", content=b"{", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400


async def test_cancel_and_call_hierarchy(zb: Harness) -> None:
    child = one_task_process(zb.name("child"), zb.name("child-work")).encode()
    await deploy(zb, ("child.bpmn", child), ("parent.bpmn", calling(zb)))
    parent = (await create(zb, processDefinitionId=zb.name("parent"))).json()
    children = await zb.post(
        "/v2/process-instances/search",
        {"filter": {"parentProcessInstanceKey": parent["processInstanceKey"]}},
    )
    [child_instance] = children["items"]
    assert child_instance["parentProcessInstanceKey"] == parent["processInstanceKey"]
    assert child_instance["rootProcessInstanceKey"] == parent["processInstanceKey"]
    key = child_instance["processInstanceKey"]
    hierarchy = (await zb.rest.get(f"/v2/process-instances/{key}/call-hierarchy")).json()
    assert [entry["processInstanceKey"] for entry in hierarchy] == [
        parent["processInstanceKey"],
        key,
    ]
    activation = {"type": zb.name("child-work"), "timeout": 60_000, "maxJobsToActivate": 1}
    [job] = (await zb.post("/v2/jobs/activation", activation))["jobs"]
    assert job["rootProcessInstanceKey"] == parent["processInstanceKey"]
    await zb.rest.post(f"/v2/jobs/{job['jobKey']}/failure", json={"retries": 0})
    [incident] = await zb.incidents(zb.name("child"))
    assert incident["processInstanceKey"] == key
    assert incident["rootProcessInstanceKey"] == parent["processInstanceKey"]
    refused = await zb.rest.post(f"/v2/process-instances/{key}/cancellation", json={})
    assert refused.status_code == 409
    parent_key = parent["processInstanceKey"]
    cancelled = await zb.rest.post(f"/v2/process-instances/{parent_key}/cancellation")
    assert cancelled.status_code == 204
    body = (await zb.rest.get(f"/v2/process-instances/{parent_key}")).json()
    assert body["state"] == "TERMINATED"
    again = await zb.rest.post(f"/v2/process-instances/{parent_key}/cancellation")
    assert again.status_code == 404


async def test_element_instances_and_variables_on_a_scope(zb: Harness) -> None:
    await deploy(zb, ("p.bpmn", one_task_process(zb.name("p"), zb.name("work")).encode()))
    created = (await create(zb, processDefinitionId=zb.name("p"), variables={"n": 1})).json()
    key = created["processInstanceKey"]
    elements = await zb.post(
        "/v2/element-instances/search",
        {"filter": {"processInstanceKey": key, "type": "SERVICE_TASK"}},
    )
    [task] = elements["items"]
    assert (task["elementId"], task["state"], task["hasIncident"]) == ("task", "ACTIVE", False)
    single = (await zb.rest.get(f"/v2/element-instances/{task['elementInstanceKey']}")).json()
    assert single == task
    element_key = task["elementInstanceKey"]
    local = await zb.rest.put(
        f"/v2/element-instances/{element_key}/variables",
        json={"variables": {"note": "local"}, "local": True},
    )
    assert local.status_code == 204
    on_instance = await zb.rest.put(
        f"/v2/element-instances/{key}/variables", json={"variables": {"n": 2}}
    )
    assert on_instance.status_code == 204
    found = await zb.post(
        "/v2/variables/search",
        {"filter": {"processInstanceKey": key}, "sort": [{"field": "name"}]},
    )
    pairs = [(item["name"], item["value"], item["scopeKey"]) for item in found["items"]]
    assert pairs == [("n", "2", key), ("note", '"local"', element_key)]
    variable_key = found["items"][0]["variableKey"]
    again = await zb.post("/v2/variables/search", {"filter": {"name": {"$like": "n*"}}})
    assert variable_key in {item["variableKey"] for item in again["items"]}
    one = (await zb.rest.get(f"/v2/variables/{variable_key}")).json()
    assert (one["name"], one["value"]) == ("n", "2")
    missing = await zb.rest.put("/v2/element-instances/1/variables", json={"variables": {}})
    assert missing.status_code == 404
    no_object = await zb.rest.put(f"/v2/element-instances/{key}/variables", json={"local": True})
    assert no_object.status_code == 400


async def test_a_published_message_reaches_the_waiting_instance(zb: Harness) -> None:
    await deploy(zb, ("wait.bpmn", waiting_for_message(zb)))
    created = (
        await create(zb, processDefinitionId=zb.name("wait"), variables={"orderId": "o-1"})
    ).json()
    published = await zb.post(
        "/v2/messages/publication",
        {"name": zb.name("order-paid"), "correlationKey": "o-1", "variables": {"paid": 10}},
    )
    assert published["tenantId"] == "<default>"
    assert published["messageKey"].isdigit()
    body = (await zb.rest.get(f"/v2/process-instances/{created['processInstanceKey']}")).json()
    assert body["state"] == "COMPLETED"


async def test_a_correlated_message_names_the_instance_or_is_not_found(zb: Harness) -> None:
    await deploy(zb, ("wait.bpmn", waiting_for_message(zb)))
    created = (
        await create(zb, processDefinitionId=zb.name("wait"), variables={"orderId": "o-2"})
    ).json()
    message_body = {"name": zb.name("order-paid"), "correlationKey": "o-2"}
    correlated = await zb.post("/v2/messages/correlation", message_body)
    assert correlated["processInstanceKey"] == created["processInstanceKey"]
    nobody = await zb.rest.post("/v2/messages/correlation", json=message_body)
    assert nobody.status_code == 404
    nameless = await zb.rest.post("/v2/messages/publication", json={"correlationKey": "x"})
    assert nameless.status_code == 400


async def test_signals_are_refused_as_not_supported(zb: Harness) -> None:
    response = await zb.rest.post("/v2/signals/broadcast", json={"signalName": "go"})
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "not supported by the dev engine" in response.json()["detail"]


async def test_user_tasks_are_searched_assigned_and_completed(zb: Harness) -> None:
    await deploy(zb, ("review.bpmn", reviewed(zb)))
    created = (await create(zb, processDefinitionId=zb.name("review"))).json()
    key = created["processInstanceKey"]
    tasks = await zb.post("/v2/user-tasks/search", {"filter": {"processInstanceKey": key}})
    [task] = tasks["items"]
    assert (task["state"], task["assignee"], task["candidateGroups"]) == ("CREATED", None, ["ops"])
    task_key = task["userTaskKey"]
    assigned = await zb.rest.post(f"/v2/user-tasks/{task_key}/assignment", json={"assignee": "ana"})
    assert assigned.status_code == 204
    no_override = await zb.rest.post(
        f"/v2/user-tasks/{task_key}/assignment", json={"assignee": "bo", "allowOverride": False}
    )
    assert no_override.status_code == 409
    assert (await zb.rest.get(f"/v2/user-tasks/{task_key}")).json()["assignee"] == "ana"
    completed = await zb.rest.post(
        f"/v2/user-tasks/{task_key}/completion", json={"variables": {"approved": True}}
    )
    assert completed.status_code == 204
    done = (await zb.rest.get(f"/v2/user-tasks/{task_key}")).json()
    assert done["state"] == "COMPLETED"
    assert (await zb.rest.get(f"/v2/process-instances/{key}")).json()["state"] == "COMPLETED"
    twice = await zb.rest.post(f"/v2/user-tasks/{task_key}/completion", json={})
    assert twice.status_code == 404


async def test_decisions_are_evaluated_by_id_and_by_key(zb: Harness) -> None:
    rules = [(['"1"'], ['"One"']), (['"2"'], ['"Two"'])]
    document = dmn(
        table(zb.name("t"), rules, inputs=("input",), outputs=("output",)),
        graph_id=zb.name("drg"),
    )
    deployed = (await deploy(zb, ("t.dmn", document))).json()
    decision = deployed["deployments"][0]["decisionDefinition"]
    by_id = await zb.post(
        "/v2/decision-definitions/evaluation",
        {"decisionDefinitionId": zb.name("t"), "variables": {"input": "2"}},
    )
    assert by_id["output"] == '"Two"'
    assert by_id["decisionDefinitionKey"] == decision["decisionDefinitionKey"]
    [evaluated] = by_id["evaluatedDecisions"]
    [rule] = evaluated["matchedRules"]
    assert rule["evaluatedOutputs"][0]["outputValue"] == '"Two"'
    assert evaluated["evaluatedInputs"][0]["inputValue"] == '"2"'
    by_key = await zb.post(
        "/v2/decision-definitions/evaluation",
        {"decisionDefinitionKey": decision["decisionDefinitionKey"], "variables": {"input": "1"}},
    )
    assert by_key["evaluatedDecisions"][0]["matchedRules"][0]["ruleIndex"] == 1
    both = await zb.rest.post(
        "/v2/decision-definitions/evaluation",
        json={"decisionDefinitionId": "x", "decisionDefinitionKey": "1"},
    )
    assert both.status_code == 400
    unknown = await zb.rest.post(
        "/v2/decision-definitions/evaluation", json={"decisionDefinitionId": zb.name("none")}
    )
    assert unknown.status_code == 404


async def test_status_answers_204(zb: Harness) -> None:
    assert (await zb.rest.get("/v2/status")).status_code == 204


async def test_deleting_a_definition_drains_its_instances_and_never_reuses_its_version(
    zb: Harness,
) -> None:
    first = one_task_process(zb.name("p"), zb.name("work")).encode()
    second = first.replace(b'id="end"', b'id="finish"').replace(b'"end"', b'"finish"')
    await deploy(zb, ("p.bpmn", first))
    latest = (await deploy(zb, ("p.bpmn", second))).json()["deployments"][0]
    key = latest["processDefinition"]["processDefinitionKey"]
    assert latest["processDefinition"]["processDefinitionVersion"] == 2
    running = (await create(zb, processDefinitionKey=key)).json()
    deleted = await zb.rest.post(f"/v2/resources/{key}/deletion", json={})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"resourceKey": key, "batchOperation": None}
    assert (await zb.rest.get(f"/v2/process-definitions/{key}")).status_code == 404
    assert (await create(zb, processDefinitionKey=key)).status_code == 404
    fallback = (await create(zb, processDefinitionId=zb.name("p"))).json()
    assert fallback["processDefinitionVersion"] == 1
    jobs: list[dict[str, Any]] = []
    activation = {"type": zb.name("work"), "timeout": 60_000, "maxJobsToActivate": 1}
    while len(jobs) < 2:
        jobs.extend((await zb.post("/v2/jobs/activation", activation))["jobs"])
    for job in jobs:
        await zb.rest.post(f"/v2/jobs/{job['jobKey']}/completion", json={})
    drained = (await zb.rest.get(f"/v2/process-instances/{running['processInstanceKey']}")).json()
    assert drained["state"] == "COMPLETED"
    third = (await deploy(zb, ("p.bpmn", second))).json()["deployments"][0]
    assert third["processDefinition"]["processDefinitionVersion"] == 3
    again = await zb.rest.post(f"/v2/resources/{key}/deletion")
    assert again.status_code == 404


async def test_deleting_a_decision_requirements_graph_removes_its_decisions(zb: Harness) -> None:
    document = dmn(literal(zb.name("d"), '"yes"'), graph_id=zb.name("drg"))
    deployed = (await deploy(zb, ("d.dmn", document))).json()
    graph_key = deployed["deployments"][1]["decisionRequirements"]["decisionRequirementsKey"]
    evaluation = {"decisionDefinitionId": zb.name("d")}
    assert (await zb.rest.post("/v2/decision-definitions/evaluation", json=evaluation)).is_success
    deleted = await zb.rest.post(f"/v2/resources/{graph_key}/deletion", json={})
    assert deleted.status_code == 200
    gone = await zb.rest.post("/v2/decision-definitions/evaluation", json=evaluation)
    assert gone.status_code == 404


async def test_grpc_delete_resource_is_the_same_command(zb: Harness) -> None:
    deployed = (await deploy(zb, ("quick.bpmn", passing(zb)))).json()
    key = deployed["deployments"][0]["processDefinition"]["processDefinitionKey"]
    await zb.stub.DeleteResource(pb.DeleteResourceRequest(resourceKey=int(key)))
    assert (await zb.rest.get(f"/v2/process-definitions/{key}")).status_code == 404
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await zb.stub.DeleteResource(pb.DeleteResourceRequest(resourceKey=int(key)))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
