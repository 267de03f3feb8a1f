"""REST v2 answers to the SDKs: the 8.9 topology shape, and RFC 9457 problem details for
every refusal, with no 500 on any input."""

import json
from typing import Any

import pytest
from engine_harness import Harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.engine

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert set(problem) == PROBLEM_FIELDS
    assert problem["status"] == status
    return problem


async def test_topology_has_every_field_the_8_9_schema_requires(zb: Harness) -> None:
    topology = (await zb.rest.get("/v2/topology")).json()
    assert set(topology) == {
        "brokers",
        "clusterSize",
        "partitionsCount",
        "replicationFactor",
        "gatewayVersion",
        "lastCompletedChangeId",
        "clusterId",
    }
    assert topology["clusterId"] is None or isinstance(topology["clusterId"], str)
    [broker] = topology["brokers"]
    assert set(broker) == {"nodeId", "host", "port", "partitions", "version"}
    assert set(broker["partitions"][0]) == {"partitionId", "role", "health"}


async def test_an_unknown_path_is_a_problem_saying_the_engine_does_not_serve_it(
    zb: Harness,
) -> None:
    zb.target.require_dev_engine("Camunda serves paths of its own")
    problem = assert_problem(await zb.rest.get("/v2/no-such-thing"), 404)
    assert "does not serve" in problem["detail"]
    assert problem["instance"] == "/v2/no-such-thing"


@pytest.mark.parametrize("path", ["/v2/decision-instances/search", "/v2/audit-logs/search"])
async def test_a_spec_endpoint_the_engine_lacks_is_not_supported(zb: Harness, path: str) -> None:
    zb.target.require_dev_engine("Camunda serves the whole spec")
    problem = assert_problem(await zb.rest.post(path, json={}), 404)
    assert "not supported by the dev engine" in problem["detail"]
    wrong_method = assert_problem(await zb.rest.delete("/v2/topology"), 405)
    assert "not supported by the dev engine" in wrong_method["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/process-instances/search", b"{not json"),
        ("/v2/process-instances/search", b"[1, 2]"),
        ("/v2/process-instances/search", b'{"page": {"limit": "ten"}}'),
        ("/v2/process-instances/search", b'{"page": {"after": "b2Zmc2V0OjA"}}'),
        ("/v2/incidents/search", b'{"sort": [{"field": ["state"]}]}'),
        ("/v2/process-definitions/search", b'{"filter": "x"}'),
    ],
)
async def test_malformed_bodies_and_wrong_types_are_400_problems(
    zb: Harness, path: str, body: bytes
) -> None:
    zb.target.require_dev_engine("the dev engine's own messages")
    assert_problem(await zb.rest.post(path, content=body), 400)


_SERVED = [
    ("GET", "/v2/topology"),
    ("POST", "/v2/process-definitions/search"),
    ("GET", "/v2/process-definitions/{key}"),
    ("GET", "/v2/process-definitions/{key}/xml"),
    ("POST", "/v2/process-definitions/{key}/statistics/element-instances"),
    ("POST", "/v2/process-instances/search"),
    ("GET", "/v2/process-instances/{key}"),
    ("POST", "/v2/incidents/search"),
    ("GET", "/v2/incidents/{key}"),
    ("PUT", "/v2/clock"),
    ("GET", "/v2/status"),
    ("POST", "/v2/deployments"),
    ("POST", "/v2/process-instances"),
    ("POST", "/v2/process-instances/{key}/cancellation"),
    ("GET", "/v2/process-instances/{key}/call-hierarchy"),
    ("POST", "/v2/element-instances/search"),
    ("GET", "/v2/element-instances/{key}"),
    ("PUT", "/v2/element-instances/{key}/variables"),
    ("POST", "/v2/variables/search"),
    ("GET", "/v2/variables/{key}"),
    ("POST", "/v2/jobs/{key}/completion"),
    ("POST", "/v2/jobs/{key}/failure"),
    ("POST", "/v2/jobs/{key}/error"),
    ("PATCH", "/v2/jobs/{key}"),
    ("POST", "/v2/jobs/search"),
    ("POST", "/v2/messages/publication"),
    ("POST", "/v2/messages/correlation"),
    ("POST", "/v2/incidents/{key}/resolution"),
    ("POST", "/v2/user-tasks/search"),
    ("GET", "/v2/user-tasks/{key}"),
    ("POST", "/v2/user-tasks/{key}/assignment"),
    ("POST", "/v2/user-tasks/{key}/completion"),
    ("POST", "/v2/decision-definitions/evaluation"),
]
_WORDS = ["filter", "page", "sort", "limit", "from", "after", "before", "field", "order"]
_WORDS += ["timestamp", "state", "variables", "name", "value", "$eq", "$in", "$like", "$gt"]
_WORDS += ["processDefinitionId", "processDefinitionKey", "retries", "changeset", "assignee"]
_WORDS += ["correlationKey", "errorCode", "decisionDefinitionId", "local", "timeToLive"]
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["ACTIVE", "ASC", "b2Zmc2V0OjA=", "2024-01-01T00:00:00Z", "1"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_WORDS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    endpoint=st.sampled_from(_SERVED),
    key=st.sampled_from(["1", "0", "abc", "99999999999999999999", "-1"]),
    body=_JSON.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=40),
)
async def test_no_request_body_makes_a_served_endpoint_fail(
    zb: Harness, endpoint: tuple[str, str], key: str, body: bytes
) -> None:
    zb.target.require_dev_engine("fuzzing targets the dev engine")
    method, template = endpoint
    response = await zb.rest.request(method, template.format(key=key), content=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
