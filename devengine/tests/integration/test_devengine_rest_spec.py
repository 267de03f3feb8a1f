"""Every endpoint the dev engine serves answers as Camunda 8.9's OpenAPI spec says.

The routes come from the running REST app itself, so an endpoint added later is toured too:
reads (GET, and POST .../search) with the keys of real state must succeed; commands sent with
empty bodies may be refused, but only with a status the spec lists for them. Every answer's
body is validated against the spec's schema for that status. The SDK tests check the commands'
successful answers (test_devengine_sdk.py).
"""

import json
from typing import Any

import httpx
import pytest
from api_conformance import api_spec, served_routes
from engine_harness import Harness
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine


async def state_keys(zb: Harness) -> dict[str, str]:
    """Real state to read: a definition, instances, an incident, an activated job."""
    process_id, job_type = zb.name("tour"), zb.name("tour-job")
    deployment = await zb.deploy(one_task_process(process_id, job_type))
    for _ in range(2):
        await zb.client.run_process(process_id, {"applicant": "x"})
    failing, waiting = await zb.activate(job_type, 2)
    await zb.stub.FailJob(pb.FailJobRequest(jobKey=failing.key, retries=0, errorMessage="503"))
    [incident] = await zb.incidents(process_id)
    return {
        "processDefinitionKey": str(deployment.deployments[0].process_definition_key),
        "resourceKey": str(deployment.deployments[0].process_definition_key),
        "deploymentKey": str(deployment.key),
        "processInstanceKey": str(waiting.processInstanceKey),
        "elementInstanceKey": str(waiting.elementInstanceKey),
        "scopeKey": str(waiting.elementInstanceKey),
        "jobKey": str(waiting.key),
        "incidentKey": str(incident["incidentKey"]),
    }


def fill(template: str, keys: dict[str, str]) -> tuple[str, bool]:
    """The template's path with keys filled in, and whether every key was real state."""
    known = True
    parts = []
    for part in template.split("/"):
        if part.startswith("{"):
            name = part.strip("{}")
            known = known and name in keys
            parts.append(keys.get(name, "1"))
        else:
            parts.append(part)
    return "/v2" + "/".join(parts), known


async def test_every_served_endpoint_answers_to_the_spec(zb: Harness) -> None:
    keys = await state_keys(zb)
    spec = api_spec()
    routes = served_routes(zb.target.require_dev_engine("tours the dev engine's own routes"))
    assert ("GET", "/topology") in routes
    # Reads first: the commands below change the state they read.
    reads = [r for r in routes if r[0] == "GET" or r[1].endswith("/search")]
    problems: list[str] = []
    for method, template in [*reads, *(r for r in routes if r not in reads)]:
        path, known = fill(template, keys)
        body: Any = {} if method in {"POST", "PUT", "PATCH"} else None
        response = await zb.rest.request(method, path, json=body)
        problems.extend(spec.check(response))
        if (method, template) in reads and known and not response.is_success:
            problems.append(f"{method} {path} -> {response.status_code}: {response.text}")
        assert response.status_code < 500, f"{method} {path}: {response.text}"
    assert not problems, "\n".join(problems)


async def test_refusals_are_problem_details_with_the_statuses_the_spec_lists(zb: Harness) -> None:
    spec = api_spec()
    refusals = [
        ("POST", "/v2/process-instances/search", b"{not json"),
        ("POST", "/v2/process-instances/search", json.dumps({"filter": {"nope": 1}}).encode()),
        ("POST", "/v2/incidents/search", json.dumps({"page": {"limit": "ten"}}).encode()),
        ("POST", "/v2/process-definitions/search", json.dumps([1, 2]).encode()),
        ("GET", "/v2/process-instances/not-a-key", b""),
        ("GET", "/v2/incidents/2251799813685249", b""),
        ("PUT", "/v2/clock", json.dumps({"timestamp": "soon"}).encode()),
    ]
    for method, path, content in refusals:
        response = await zb.rest.request(
            method, path, content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code in {400, 404}, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert spec.check(response) == [], (method, path)


def test_the_spec_check_catches_the_defects_the_sdks_tripped_on() -> None:
    """The checker is not a rubber stamp: the two defects that broke both SDKs fail it."""
    spec = api_spec()
    topology = {
        "brokers": [],
        "clusterSize": 1,
        "partitionsCount": 1,
        "replicationFactor": 1,
        "gatewayVersion": "8.9.0",
        "lastCompletedChangeId": "-1",
    }
    [missing] = spec.problems("GET", "/v2/topology", 200, "application/json", topology)
    assert "'clusterId' is a required property" in missing
    page = {"totalItems": 3, "hasMoreTotalItems": False, "startCursor": "WzFd", "endCursor": "WzNd"}
    result = {"items": [], "page": page}
    assert spec.problems("POST", "/v2/incidents/search", 200, "application/json", result) == []
    url_safe = {**result, "page": {**page, "endCursor": "W_-d"}}
    [cursor] = spec.problems("POST", "/v2/incidents/search", 200, "application/json", url_safe)
    assert cursor.startswith("POST /v2/incidents/search -> 200: page/endCursor")
    [status] = spec.problems("GET", "/v2/topology", 404, "application/problem+json", {})
    assert "the spec lists only" in status


def test_responses_are_read_from_httpx_as_sent() -> None:
    request = httpx.Request("GET", "http://engine/v2/incidents/12")
    response = httpx.Response(
        200, json={"incidentKey": 12}, request=request, headers={"content-type": "application/json"}
    )
    problems = api_spec().check(response)
    assert any("incidentKey: 12 is not of type 'string'" in problem for problem in problems)


def test_key_unions_accept_a_key_of_any_of_their_kinds_and_nothing_else() -> None:
    spec = api_spec()
    variable = {
        "name": "applicant",
        "value": '"x"',
        "isTruncated": False,
        "tenantId": "<default>",
        "variableKey": "2251799813685300",
        "scopeKey": "2251799813685251",
        "processInstanceKey": "2251799813685251",
        "rootProcessInstanceKey": "2251799813685251",
    }
    page = {"totalItems": 1, "hasMoreTotalItems": False, "startCursor": None, "endCursor": None}
    found = {"items": [variable], "page": page}
    assert spec.problems("POST", "/v2/variables/search", 200, "application/json", found) == []
    not_a_key = {**found, "items": [{**variable, "scopeKey": "scope-1"}]}
    [problem] = spec.problems("POST", "/v2/variables/search", 200, "application/json", not_a_key)
    assert "items/0/scopeKey" in problem
