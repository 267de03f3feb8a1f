"""Business-rule tasks calling a decision, through the gateway as a pyzeebe client sees them:
the result variable reaches the next job; a missing decision is Zeebe's incident, shown by
the REST API and resolved over gRPC once the DMN is deployed; a failed evaluation is resolved
over REST once a fixed version is deployed."""

import json

import pytest
from engine_harness import Harness
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import (
    business_rule_task,
    chain,
    definitions,
    end_event,
    process,
    service_task,
    start_event,
)
from zeebe_devengine.dmn.builder import dmn, table

pytestmark = pytest.mark.engine

BANDS = [(["< 18"], ['"minor"']), (["[18..65]"], ['"adult"']), (["> 65"], ['"senior"'])]


def rules_then_job(zb: Harness) -> str:
    """start -> a business-rule task (decision `band`) -> a job of type `after` -> end."""
    return definitions(
        process(
            zb.name("p"),
            start_event("s"),
            business_rule_task("rules", zb.name("band"), "ageBand"),
            service_task("next", zb.name("after")),
            end_event("e"),
            *chain("s", "rules", "next", "e"),
        )
    )


def bands_dmn(zb: Harness) -> str:
    decision = table(zb.name("band"), BANDS, inputs=("age",), outputs=("band",))
    return dmn(decision, graph_id=zb.name("drg")).decode()


async def test_the_result_variable_reaches_the_next_job(zb: Harness) -> None:
    await zb.deploy(rules_then_job(zb), bands_dmn(zb), names=["p.bpmn", "bands.dmn"])
    await zb.client.run_process(zb.name("p"), {"age": 70})
    [job] = await zb.activate(zb.name("after"))
    assert json.loads(job.variables) == {"age": 70, "ageBand": "senior"}
    assert job.elementId == "next"


async def test_a_missing_decision_is_an_incident_resolved_after_deploying_it(
    zb: Harness,
) -> None:
    await zb.deploy(rules_then_job(zb))
    created = await zb.client.run_process(zb.name("p"), {"age": 30})
    [incident] = await zb.incidents(zb.name("p"))
    assert incident["errorType"] == "CALLED_DECISION_ERROR"
    assert incident["elementId"] == "rules"
    assert incident["errorMessage"] == (
        f"Expected to evaluate decision '{zb.name('band')}', but no decision found for id "
        f"'{zb.name('band')}'"
    )
    assert int(incident["processInstanceKey"]) == created.process_instance_key
    await zb.deploy(bands_dmn(zb), names=["bands.dmn"])
    resolve = pb.ResolveIncidentRequest(incidentKey=int(incident["incidentKey"]))
    await zb.stub.ResolveIncident(resolve)
    [job] = await zb.activate(zb.name("after"))
    assert job.processInstanceKey == created.process_instance_key
    assert json.loads(job.variables)["ageBand"] == "adult"


async def test_a_failed_evaluation_is_resolved_over_rest_once_a_fixed_version_is_deployed(
    zb: Harness,
) -> None:
    overlapping = [(["<= 18"], ['"minor"']), ([">= 18"], ['"adult"'])]
    broken = table(zb.name("band"), overlapping, inputs=("age",), outputs=("band",))
    await zb.deploy(
        rules_then_job(zb), dmn(broken, graph_id=zb.name("drg")).decode(),
        names=["p.bpmn", "bands.dmn"],
    )  # fmt: skip
    created = await zb.client.run_process(zb.name("p"), {"age": 18})
    [incident] = await zb.incidents(zb.name("p"))
    assert incident["errorType"] == "DECISION_EVALUATION_ERROR"
    assert "hit policy 'UNIQUE'" in incident["errorMessage"]
    await zb.deploy(bands_dmn(zb), names=["bands.dmn"])  # a new version, evaluated on retry
    response = await zb.rest.post(f"/v2/incidents/{incident['incidentKey']}/resolution")
    assert response.status_code == 204
    [job] = await zb.activate(zb.name("after"))
    assert job.processInstanceKey == created.process_instance_key
    assert json.loads(job.variables)["ageBand"] == "adult"
