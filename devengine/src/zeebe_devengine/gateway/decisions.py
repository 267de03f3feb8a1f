"""The gRPC side of decisions: DMN metadata in DeployResource's answer, and EvaluateDecision.

Zeebe lists a deployment's decisions before their decision requirements graphs (pyzeebe's
own tests read ``deployments[0].decision_key`` after deploying a DMN). Every output and
input value travels as JSON text. An evaluation that fails answers with the failing
decision's id and message (``failedDecisionId``, ``failureMessage``) and a null output.
"""

import json
from typing import Any

from pyzeebe.proto import gateway_pb2 as pb

from zeebe_devengine.core.decisions import DecisionBook, DecisionResult
from zeebe_devengine.core.engine import Deployment
from zeebe_devengine.core.variables import parse_document
from zeebe_devengine.errors import MalformedRequestError


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decision_deployments(deployment: Deployment) -> list[Any]:
    decisions = [
        pb.Deployment(
            decision=pb.DecisionMetadata(
                dmnDecisionId=decision.id,
                dmnDecisionName=decision.name,
                version=decision.version,
                decisionKey=decision.key,
                dmnDecisionRequirementsId=decision.requirements.id,
                decisionRequirementsKey=decision.requirements.key,
                tenantId=decision.tenant_id,
            )
        )
        for decision in deployment.decisions
    ]
    graphs = [
        pb.Deployment(
            decisionRequirements=pb.DecisionRequirementsMetadata(
                dmnDecisionRequirementsId=graph.id,
                dmnDecisionRequirementsName=graph.name,
                version=graph.version,
                decisionRequirementsKey=graph.key,
                resourceName=graph.resource_name,
                tenantId=graph.tenant_id,
            )
        )
        for graph in deployment.requirements
    ]
    return decisions + graphs


def evaluate(book: DecisionBook, request: Any) -> Any:
    """Answer an EvaluateDecisionRequest (raises DevEngineError for the gateway to map)."""
    variables = parse_document(request.variables)
    if request.decisionKey > 0:
        result = book.evaluate_by_key(request.decisionKey, variables)
    elif request.decisionId:
        result = book.evaluate_by_id(request.decisionId, variables)
    else:
        msg = "Expected either a decision id or a valid decision key, but none provided"
        raise MalformedRequestError(msg)
    return response(result)


def response(result: DecisionResult) -> Any:
    decision = result.decision
    evaluation = result.evaluation
    evaluated = []
    for item in evaluation.decisions:
        deployed = result.deployed_for(item)
        evaluated.append(
            pb.EvaluatedDecision(
                decisionKey=deployed.key,
                decisionId=deployed.id,
                decisionName=deployed.name,
                decisionVersion=deployed.version,
                decisionType=item.decision.kind,
                decisionOutput=_json(item.output),
                matchedRules=[
                    pb.MatchedDecisionRule(
                        ruleId=rule.id,
                        ruleIndex=rule.index,
                        evaluatedOutputs=[
                            pb.EvaluatedDecisionOutput(
                                outputId=output.id,
                                outputName=output.name,
                                outputValue=_json(output.value),
                            )
                            for output in rule.outputs
                        ],
                    )
                    for rule in item.matched_rules
                ],
                evaluatedInputs=[
                    pb.EvaluatedDecisionInput(
                        inputId=entry.id, inputName=entry.name, inputValue=_json(entry.value)
                    )
                    for entry in item.inputs
                ],
                tenantId=deployed.tenant_id,
            )
        )
    return pb.EvaluateDecisionResponse(
        decisionKey=decision.key,
        decisionId=decision.id,
        decisionName=decision.name,
        decisionVersion=decision.version,
        decisionRequirementsId=decision.requirements.id,
        decisionRequirementsKey=decision.requirements.key,
        decisionOutput=_json(evaluation.output),
        evaluatedDecisions=evaluated,
        failedDecisionId=evaluation.failed_decision_id,
        failureMessage=evaluation.failure,
        tenantId=decision.tenant_id,
        decisionInstanceKey=result.instance_key,
    )
