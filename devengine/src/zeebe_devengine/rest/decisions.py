"""Decision definitions: evaluation (by id, the latest version, or by key).

Output and input values travel as JSON text, as Camunda's API sends them. An evaluation that
fails answers 200 with the failing decision and its message, and a null output.
"""

import json
from typing import Any

from aiohttp import web

from zeebe_devengine.core.decisions import DecisionResult
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.rest import body as prop
from zeebe_devengine.rest.context import engine
from zeebe_devengine.rest.exchange import read_body

routes = web.RouteTableDef()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _evaluated(result: DecisionResult) -> list[dict[str, Any]]:
    evaluated = []
    for index, item in enumerate(result.evaluation.decisions, start=1):
        deployed = result.deployed_for(item)
        evaluated.append(
            {
                "decisionDefinitionId": deployed.id,
                "decisionDefinitionName": deployed.name,
                "decisionDefinitionVersion": deployed.version,
                "decisionDefinitionType": item.decision.kind,
                "output": _json(item.output),
                "tenantId": deployed.tenant_id,
                "matchedRules": [
                    {
                        "ruleId": rule.id,
                        "ruleIndex": rule.index,
                        "evaluatedOutputs": [
                            {
                                "outputId": output.id,
                                "outputName": output.name,
                                "outputValue": _json(output.value),
                                "ruleId": rule.id,
                                "ruleIndex": rule.index,
                            }
                            for output in rule.outputs
                        ],
                    }
                    for rule in item.matched_rules
                ],
                "evaluatedInputs": [
                    {"inputId": entry.id, "inputName": entry.name, "inputValue": _json(entry.value)}
                    for entry in item.inputs
                ],
                "decisionDefinitionKey": str(deployed.key),
                "decisionEvaluationInstanceKey": f"{result.instance_key}-{index}",
            }
        )
    return evaluated


def evaluation_json(result: DecisionResult) -> dict[str, Any]:
    decision = result.decision
    evaluation = result.evaluation
    return {
        "decisionDefinitionId": decision.id,
        "decisionDefinitionKey": str(decision.key),
        "decisionDefinitionName": decision.name,
        "decisionDefinitionVersion": decision.version,
        "decisionEvaluationKey": str(result.instance_key),
        "decisionInstanceKey": str(result.instance_key),
        "decisionRequirementsId": decision.requirements.id,
        "decisionRequirementsKey": str(decision.requirements.key),
        "evaluatedDecisions": _evaluated(result),
        "failedDecisionDefinitionId": evaluation.failed_decision_id or None,
        "failureMessage": evaluation.failure or None,
        "output": _json(evaluation.output),
        "tenantId": decision.tenant_id,
    }


@routes.post("/v2/decision-definitions/evaluation")
async def evaluate_decision(request: web.Request) -> web.Response:
    body = await read_body(
        request, {"decisionDefinitionId", "decisionDefinitionKey", "variables", "tenantId"}
    )
    prop.tenant(body)
    variables = prop.document(body)
    key = prop.key(body, "decisionDefinitionKey")
    decision_id = prop.text(body, "decisionDefinitionId")
    book = engine(request).decisions
    if key is not None and not decision_id:
        result = book.evaluate_by_key(key, variables)
    elif decision_id and key is None:
        result = book.evaluate_by_id(decision_id, variables)
    else:
        msg = "Expected exactly one of 'decisionDefinitionId' and 'decisionDefinitionKey'"
        raise InvalidArgumentError(msg)
    return web.json_response(evaluation_json(result))
