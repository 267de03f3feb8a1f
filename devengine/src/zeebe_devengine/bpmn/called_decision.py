"""Business-rule tasks that call a decision (``zeebe:calledDecision``) instead of a job worker.

Zeebe evaluates the latest version of the decision when the task is entered and stores the
decision's output in `resultVariable`. The other bindings (``deployment``, ``versionTag``)
pin a version this engine does not track, so they are refused at deploy.
"""

import xml.etree.ElementTree as ET

from zeebe_devengine.bpmn.model import BusinessRuleTask, ElementType
from zeebe_devengine.bpmn.reading import ElementReader
from zeebe_devengine.bpmn.xml import split

EITHER_ONE = (
    "Must have either one 'zeebe:calledDecision' or one 'zeebe:taskDefinition' extension element"
)


def called_decision_task(
    reader: ElementReader,
    node_id: str,
    name: str | None,
    extensions: list[ET.Element],
) -> BusinessRuleTask | None:
    """The task of the one ``zeebe:calledDecision`` among `extensions`, or None (a problem)."""
    kinds = [split(e.tag)[1] for e in extensions]
    if kinds.count("calledDecision") != 1 or "taskDefinition" in kinds:
        reader.problems.add(node_id, EITHER_ONE)
        return None
    definition = next(e for e in extensions if split(e.tag)[1] == "calledDecision")
    missing = [
        attribute
        for attribute in ("decisionId", "resultVariable")
        if not (definition.get(attribute) or "").strip()
    ]
    for attribute in missing:
        reader.problems.add(node_id, f"Attribute '{attribute}' must be present and not empty")
    binding = (definition.get("bindingType") or "latest").strip()
    if binding != "latest":
        reader.problems.add(
            node_id, f"bindingType '{binding}' is not supported by the dev engine (latest only)"
        )
    if missing or binding != "latest":
        return None
    decision_id = reader.value(definition.get("decisionId") or "", node_id, "decisionId")
    if decision_id is None:
        return None
    node = BusinessRuleTask(
        node_id,
        name,
        ElementType.BUSINESS_RULE_TASK,
        decision_id=decision_id,
        result_variable=(definition.get("resultVariable") or "").strip(),
    )
    node.inputs, node.outputs = reader.io_mapping(extensions, node_id, inputs_allowed=True)
    return node
