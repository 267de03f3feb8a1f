"""Decisions through the gateway: DMN in DeployResource, EvaluateDecision by id and by key,
NOT_FOUND for unknown decisions, and a failed evaluation answered as Zeebe does."""

import json
from typing import Any

import grpc
import pytest
from engine_harness import ExpectError, Harness
from pyzeebe.errors import DecisionNotFoundError
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import one_task_process
from zeebe_devengine.dmn.builder import dmn, literal, table

pytestmark = pytest.mark.engine

RULES = [(['"1"'], ['"One"']), (['"2"'], ['{"foo": "bar"}']), (['"3"'], ["3"])]


def deploy_request(*resources: tuple[str, bytes]) -> Any:
    return pb.DeployResourceRequest(
        resources=[pb.Resource(name=name, content=content) for name, content in resources]
    )


async def deploy_table(zb: Harness) -> Any:
    decision_id = zb.name("test")
    document = dmn(
        table(decision_id, RULES, inputs=("input",), outputs=("output",)), graph_id=zb.name("drg")
    )
    response = await zb.stub.DeployResource(deploy_request(("test.dmn", document)))
    return decision_id, response


async def test_deploying_a_dmn_answers_decision_then_requirements_metadata(zb: Harness) -> None:
    decision_id, response = await deploy_table(zb)
    decision, requirements = response.deployments
    assert decision.WhichOneof("Metadata") == "decision"
    assert requirements.WhichOneof("Metadata") == "decisionRequirements"
    assert (decision.decision.dmnDecisionId, decision.decision.version) == (decision_id, 1)
    assert decision.decision.dmnDecisionRequirementsId == zb.name("drg")
    assert decision.decision.decisionRequirementsKey == (
        requirements.decisionRequirements.decisionRequirementsKey
    )
    assert requirements.decisionRequirements.resourceName == "test.dmn"


async def test_bpmn_and_dmn_in_one_deploy_call(zb: Harness) -> None:
    process = one_task_process(zb.name("p"), zb.name("t")).encode()
    document = dmn(literal(zb.name("d"), "1"), graph_id=zb.name("drg"))
    response = await zb.stub.DeployResource(
        deploy_request(("p.bpmn", process), ("d.dmn", document))
    )
    kinds = [d.WhichOneof("Metadata") for d in response.deployments]
    assert kinds == ["process", "decision", "decisionRequirements"]


@pytest.mark.parametrize(("given", "expected"), [("1", "One"), ("2", {"foo": "bar"}), ("3", 3)])
async def test_evaluate_by_id_through_pyzeebe(zb: Harness, given: str, expected: Any) -> None:
    decision_id, _ = await deploy_table(zb)
    response = await zb.client.evaluate_decision(None, decision_id, {"input": given})
    assert response.decision_output == expected
    [evaluated] = response.evaluated_decisions
    assert evaluated.decision_type == "DECISION_TABLE"
    assert evaluated.decision_output == expected
    assert evaluated.evaluated_inputs[0].input_value == given
    rule = evaluated.matched_rules[0]
    assert rule.rule_index == int(given)
    assert rule.evaluated_outputs[0].output_value == expected
    assert rule.evaluated_outputs[0].output_name == "output"
    assert response.failed_decision_id == ""


async def test_evaluate_by_key_and_latest_version_by_id(zb: Harness) -> None:
    decision_id, first = await deploy_table(zb)
    key = first.deployments[0].decision.decisionKey
    changed = dmn(
        table(decision_id, [(["-"], ['"changed"'])], inputs=("input",)), graph_id=zb.name("drg")
    )
    await zb.stub.DeployResource(deploy_request(("test.dmn", changed)))
    by_key = await zb.client.evaluate_decision(key, None, {"input": "1"})
    by_id = await zb.client.evaluate_decision(None, decision_id, {"input": "1"})
    assert (by_key.decision_output, by_key.decision_version) == ("One", 1)
    assert (by_id.decision_output, by_id.decision_version) == ("changed", 2)


async def test_unknown_decisions_are_not_found(zb: Harness, expect_error: ExpectError) -> None:
    with pytest.raises(DecisionNotFoundError):
        await zb.client.evaluate_decision(1, None)
    with pytest.raises(DecisionNotFoundError):
        await zb.client.evaluate_decision(None, zb.name("missing"))
    details = await expect_error(
        grpc.StatusCode.NOT_FOUND,
        zb.stub.EvaluateDecision(pb.EvaluateDecisionRequest(decisionId=zb.name("missing"))),
    )
    assert details == (
        "Command 'EVALUATE' rejected with code 'NOT_FOUND': Expected to evaluate decision "
        f"'{zb.name('missing')}', but no decision found for id '{zb.name('missing')}'"
    )
    details = await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT, zb.stub.EvaluateDecision(pb.EvaluateDecisionRequest())
    )
    assert "decision id" in details


async def test_a_failing_evaluation_names_the_failed_decision(zb: Harness) -> None:
    inner, outer = zb.name("inner"), zb.name("outer")
    document = dmn(
        table(inner, [(["> 0"], ["1"]), (["> 1"], ["2"])]),
        literal(outer, f"`{inner}` + 1", requires=(inner,)),
        graph_id=zb.name("drg"),
    )
    await zb.stub.DeployResource(deploy_request(("f.dmn", document)))
    response = await zb.stub.EvaluateDecision(
        pb.EvaluateDecisionRequest(decisionId=outer, variables=json.dumps({"x": 5}))
    )
    assert response.failedDecisionId == inner
    assert "hit policy 'UNIQUE'" in response.failureMessage
    assert json.loads(response.decisionOutput) is None
    ok = await zb.stub.EvaluateDecision(
        pb.EvaluateDecisionRequest(decisionId=outer, variables=json.dumps({"x": 1}))
    )
    assert json.loads(ok.decisionOutput) == 2
    assert [d.decisionId for d in ok.evaluatedDecisions] == [inner, outer]
    assert ok.evaluatedDecisions[1].decisionType == "LITERAL_EXPRESSION"


async def test_invalid_variables_and_dmn_are_invalid_argument(
    zb: Harness, expect_error: ExpectError
) -> None:
    decision_id, _ = await deploy_table(zb)
    await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.EvaluateDecision(
            pb.EvaluateDecisionRequest(decisionId=decision_id, variables="[1]")
        ),
    )
    details = await expect_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        zb.stub.DeployResource(deploy_request(("bad.dmn", dmn(literal("x", "1 +"))))),
    )
    assert "bad.dmn" in details
