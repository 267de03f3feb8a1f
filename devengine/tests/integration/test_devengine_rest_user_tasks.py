"""Tasklist's calls (user-task search and completion) and variable search over REST."""

import json

import pytest
from engine_harness import Harness
from zeebe_devengine.bpmn.builder import chain, definitions, end_event, process, start_event

pytestmark = pytest.mark.engine

REVIEW = (
    '<bpmn:userTask id="review" name="Review">'
    "<bpmn:extensionElements><zeebe:userTask/></bpmn:extensionElements></bpmn:userTask>"
)


async def test_a_user_task_is_found_and_completed_over_rest_and_the_instance_moves_on(
    zb: Harness,
) -> None:
    pid = zb.name("review")
    await zb.deploy(
        definitions(
            process(pid, start_event("s"), REVIEW, end_event("e"), *chain("s", "review", "e"))
        )
    )
    started = await zb.client.run_process(pid, variables={"order": {"id": 7}})
    key = str(started.process_instance_key)

    found = await zb.post(
        "/v2/user-tasks/search", {"filter": {"processInstanceKey": key, "state": "CREATED"}}
    )
    [task] = found["items"]
    assert (task["elementId"], task["name"], task["state"]) == ("review", "Review", "CREATED")
    variables = await zb.post("/v2/variables/search", {"filter": {"processInstanceKey": key}})
    [order] = variables["items"]
    assert (order["name"], json.loads(order["value"]), order["scopeKey"]) == (
        "order",
        {"id": 7},
        key,
    )
    again = await zb.rest.get(f"/v2/variables/{order['variableKey']}")
    assert again.json()["value"] == order["value"]

    done = await zb.rest.post(
        f"/v2/user-tasks/{task['userTaskKey']}/completion", json={"variables": {"ok": True}}
    )
    assert done.status_code == 204
    instance = await zb.rest.get(f"/v2/process-instances/{key}")
    assert instance.json()["state"] == "COMPLETED"
    twice = await zb.rest.post(f"/v2/user-tasks/{task['userTaskKey']}/completion", json={})
    assert twice.status_code == 404
    names = await zb.post("/v2/variables/search", {"filter": {"processInstanceKey": key}})
    assert {v["name"] for v in names["items"]} == {"order", "ok"}
