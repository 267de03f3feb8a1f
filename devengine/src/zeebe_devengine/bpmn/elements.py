"""One builder per BPMN element type: what each accepts, and the model node it becomes."""

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TypeVar

from zeebe_devengine.bpmn.called_decision import EITHER_ONE, called_decision_task
from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    CallActivity,
    Container,
    ElementType,
    EndEvent,
    EventBasedGateway,
    EventTrigger,
    ExclusiveGateway,
    FlowNode,
    InclusiveGateway,
    IntermediateCatchEvent,
    MultiInstance,
    ParallelGateway,
    PassThroughTask,
    ReceiveTask,
    ScriptTask,
    ServiceTask,
    StartEvent,
    SubProcess,
    TimerKind,
    TriggerKind,
    UserTask,
    Value,
)
from zeebe_devengine.bpmn.reading import EVENT_DEFINITIONS, ElementReader, zeebe_extensions
from zeebe_devengine.bpmn.xml import BPMN, ZEEBE, split
from zeebe_devengine.feel.parser import is_expression

N = TypeVar("N", bound=FlowNode)
Walk = Callable[[ET.Element, Container, SubProcess | None], None]
_IGNORED_IN_NODE = {
    "documentation",
    "incoming",
    "outgoing",
    "dataInputAssociation",
    "dataOutputAssociation",
    "property",
    "ioSpecification",
    "extensionElements",
}
_JOB_TASKS = {
    "serviceTask": ElementType.SERVICE_TASK,
    "sendTask": ElementType.SEND_TASK,
    "scriptTask": ElementType.SCRIPT_TASK,
    "businessRuleTask": ElementType.BUSINESS_RULE_TASK,
}
#: Zeebe's job type for user tasks without ``zeebe:userTask`` (job-worker user tasks).
USER_TASK_JOB_TYPE = "io.camunda.zeebe:userTask"
_ACTIVITY_TAGS = {
    "serviceTask",
    "sendTask",
    "scriptTask",
    "businessRuleTask",
    "userTask",
    "receiveTask",
    "manualTask",
    "task",
    "subProcess",
    "callActivity",
}
_M = TriggerKind.MESSAGE
_T = TriggerKind.TIMER
_E = TriggerKind.ERROR


class NodeBuilders:
    def __init__(self, reader: ElementReader, walk: Walk) -> None:
        self._r = reader
        self._walk = walk
        #: Gateway id -> its default flow id; boundary id -> the id of its activity.
        self.defaults: dict[str, str] = {}
        self.boundary_targets: dict[str, str] = {}

    def build(
        self, element: ET.Element, tag: str, node_id: str, container: SubProcess | None
    ) -> FlowNode | None:
        node = self._build(element, tag, node_id, container)
        if node is not None and tag in _ACTIVITY_TAGS:
            node.loop = self._loop(element, node_id)
        return node

    def _build(  # noqa: PLR0911 - one return per kind of element
        self, element: ET.Element, tag: str, node_id: str, container: SubProcess | None
    ) -> FlowNode | None:
        name = element.get("name")
        self._check_children(element, node_id, tag)
        if tag in _JOB_TASKS:
            return self._job_task(element, node_id, name, tag)
        simple: dict[str, Callable[[ET.Element, str, str | None], FlowNode | None]] = {
            "endEvent": self._end_event,
            "userTask": self._user_task,
            "receiveTask": self._receive_task,
            "intermediateCatchEvent": self._catch_event,
            "intermediateThrowEvent": self._throw_event,
            "boundaryEvent": self._boundary_event,
        }
        if tag in simple:
            return simple[tag](element, node_id, name)
        if tag == "startEvent":
            return self._start_event(element, node_id, name, container)
        if tag in {"task", "manualTask"}:
            kind = ElementType.TASK if tag == "task" else ElementType.MANUAL_TASK
            return self._activity(element, node_id, PassThroughTask(node_id, name, kind), set())
        if tag == "subProcess":
            return self._sub_process(element, node_id, name)
        if tag == "callActivity":
            return self._call_activity(element, node_id, name)
        gateways: dict[str, tuple[type[FlowNode], ElementType]] = {
            "exclusiveGateway": (ExclusiveGateway, ElementType.EXCLUSIVE_GATEWAY),
            "parallelGateway": (ParallelGateway, ElementType.PARALLEL_GATEWAY),
            "inclusiveGateway": (InclusiveGateway, ElementType.INCLUSIVE_GATEWAY),
            "eventBasedGateway": (EventBasedGateway, ElementType.EVENT_BASED_GATEWAY),
        }
        if tag in gateways:
            self._r.extensions(element, node_id, set())
            if element.get("default"):
                self.defaults[node_id] = element.get("default", "")
            gateway_class, element_type = gateways[tag]
            return gateway_class(node_id, name, element_type)
        self._r.problems.add(
            node_id, f"The element type '{tag}' is not supported by the dev engine"
        )
        return None

    def _check_children(self, element: ET.Element, node_id: str, tag: str) -> None:
        for child in element:
            namespace, name = split(child.tag)
            if namespace != BPMN or name in _IGNORED_IN_NODE or name in EVENT_DEFINITIONS:
                continue
            if name == "multiInstanceLoopCharacteristics" and tag in _ACTIVITY_TAGS:
                continue  # read by `_loop`
            if name in {"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}:
                self._r.problems.add(
                    node_id, f"{name} is not supported by the dev engine on a {tag}"
                )
            elif name == "conditionExpression":
                self._r.problems.add(node_id, "Only sequence flows can have a condition")
            elif tag != "subProcess":
                self._r.problems.add(
                    node_id,
                    f"The child element '{name}' of a {tag} is not supported by the dev engine",
                )

    # -- activities -----------------------------------------------------------------------------

    def _activity(self, element: ET.Element, node_id: str, node: N, allowed: set[str]) -> N:
        """Read io mappings (and the other `allowed` extensions are the caller's)."""
        extensions = self._r.extensions(element, node_id, allowed | {"ioMapping"})
        node.inputs, node.outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=True)
        return node

    def _job_task(
        self, element: ET.Element, node_id: str, name: str | None, tag: str
    ) -> FlowNode | None:
        allowed = {"taskDefinition", "taskHeaders", "ioMapping", "script", "calledDecision"}
        extensions = self._r.extensions(element, node_id, allowed)
        kinds = {split(e.tag)[1]: e for e in extensions}
        if tag == "scriptTask" and "script" in kinds:
            return self._feel_script(element, node_id, name, kinds["script"])
        if tag == "businessRuleTask" and "calledDecision" in kinds:
            return called_decision_task(self._r, node_id, name, extensions)
        if tag == "businessRuleTask" and "taskDefinition" not in kinds:
            self._r.problems.add(node_id, EITHER_ONE)
            return None
        definitions = [e for e in extensions if split(e.tag)[1] == "taskDefinition"]
        if len(definitions) != 1:
            self._r.problems.add(
                node_id, "Must have exactly one 'zeebe:taskDefinition' extension element"
            )
            return None
        return self._job_node(node_id, name, _JOB_TASKS[tag], extensions, definitions[0])

    def _job_node(
        self,
        node_id: str,
        name: str | None,
        element_type: ElementType,
        extensions: list[ET.Element],
        definition: ET.Element | None,
    ) -> FlowNode | None:
        type_text = USER_TASK_JOB_TYPE if definition is None else definition.get("type") or ""
        job_type = self._r.value(type_text, node_id, "job type")
        if job_type is None:
            return None
        if job_type.expression is None and not str(job_type.static).strip():
            self._r.problems.add(
                node_id, "The job type of 'zeebe:taskDefinition' must not be empty"
            )
            return None
        retries_text = "3" if definition is None else definition.get("retries", "3")
        retries = self._retries(retries_text, node_id)
        if retries is None:
            return None
        headers: dict[str, str] = {}
        for container in (e for e in extensions if split(e.tag)[1] == "taskHeaders"):
            for header in container:
                if split(header.tag) == (ZEEBE, "header") and header.get("key"):
                    headers[header.get("key", "")] = header.get("value", "")
        inputs, outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=True)
        return ServiceTask(
            node_id,
            name,
            element_type,
            inputs=inputs,
            outputs=outputs,
            job_type=job_type,
            retries=retries,
            headers_json=json.dumps(headers),
        )

    def _retries(self, text: str, node_id: str) -> Value | None:
        if is_expression(text):
            return self._r.value(text, node_id, "retries")
        try:
            return Value(static=int(text.strip()))
        except ValueError:
            self._r.problems.add(node_id, f"The retries '{text}' must be a whole number")
            return None

    def _feel_script(
        self, element: ET.Element, node_id: str, name: str | None, script: ET.Element
    ) -> FlowNode | None:
        text = script.get("expression") or ""
        result = (script.get("resultVariable") or "").strip()
        if not is_expression(text) or not result:
            self._r.problems.add(
                node_id,
                "zeebe:script needs a FEEL expression (starting with '=') and a resultVariable",
            )
            return None
        expression = self._r.expression(text, node_id, "script")
        if expression is None:
            return None
        node = ScriptTask(node_id, name, ElementType.SCRIPT_TASK, expression=expression)
        node.result_variable = result
        extensions = self._r.extensions(element, node_id, {"ioMapping", "script"})
        node.inputs, node.outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=True)
        return node

    def _user_task(self, element: ET.Element, node_id: str, name: str | None) -> FlowNode | None:
        allowed = {"userTask", "assignmentDefinition", "ioMapping", "taskHeaders"}
        extensions = self._r.extensions(element, node_id, allowed | {"taskDefinition"})
        kinds = {split(e.tag)[1]: e for e in extensions}
        if "userTask" not in kinds:
            # A job-worker user task (deprecated in 8.x, still run by Zeebe): a job of
            # Zeebe's user-task type.
            definition = kinds.get("taskDefinition")
            return self._job_node(node_id, name, ElementType.USER_TASK, extensions, definition)
        node = UserTask(node_id, name, ElementType.USER_TASK)
        node.inputs, node.outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=True)
        assignment = kinds.get("assignmentDefinition")
        if assignment is not None:
            for attribute, slot in (
                ("assignee", "assignee"),
                ("candidateGroups", "candidate_groups"),
                ("candidateUsers", "candidate_users"),
            ):
                text = assignment.get(attribute)
                if text:
                    setattr(node, slot, self._r.value(text, node_id, attribute))
        return node

    def _receive_task(self, element: ET.Element, node_id: str, name: str | None) -> FlowNode | None:
        trigger = self._r.message_trigger(element, node_id)
        if trigger is None:
            return None
        if trigger.correlation_key is None:
            self._r.problems.add(node_id, "Must have a correlation key (zeebe:subscription)")
            return None
        node = self._activity(
            element, node_id, ReceiveTask(node_id, name, ElementType.RECEIVE_TASK), set()
        )
        node.trigger = trigger
        return node

    def _sub_process(self, element: ET.Element, node_id: str, name: str | None) -> FlowNode:
        by_event = element.get("triggeredByEvent", "false").strip().lower() == "true"
        kind = ElementType.EVENT_SUB_PROCESS if by_event else ElementType.SUB_PROCESS
        node = self._activity(element, node_id, SubProcess(node_id, name, kind), set())
        node.triggered_by_event = by_event
        self._walk(element, node.body, node)
        return node

    def _call_activity(
        self, element: ET.Element, node_id: str, name: str | None
    ) -> FlowNode | None:
        extensions = self._r.extensions(element, node_id, {"calledElement", "ioMapping"})
        called = [e for e in extensions if split(e.tag)[1] == "calledElement"]
        if len(called) != 1 or not (called[0].get("processId") or "").strip():
            self._r.problems.add(node_id, "Must have a zeebe:calledElement with a processId")
            return None
        definition = called[0]
        binding = (definition.get("bindingType") or "latest").strip()
        if binding != "latest":
            self._r.problems.add(
                node_id, f"bindingType '{binding}' is not supported by the dev engine (latest only)"
            )
            return None
        process_id = self._r.value(definition.get("processId") or "", node_id, "processId")
        if process_id is None:
            return None
        node = CallActivity(node_id, name, ElementType.CALL_ACTIVITY, process_id=process_id)
        node.inputs, node.outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=True)
        flags = {
            "propagateAllChildVariables": "propagate_all_child_variables",
            "propagateAllParentVariables": "propagate_all_parent_variables",
        }
        for attribute, slot in flags.items():
            setattr(node, slot, definition.get(attribute, "true").strip().lower() != "false")
        return node

    def _loop(self, element: ET.Element, node_id: str) -> MultiInstance | None:
        markers = [c for c in element if split(c.tag) == (BPMN, "multiInstanceLoopCharacteristics")]
        if not markers:
            return None
        marker = markers[0]
        settings = [c for c in zeebe_extensions(marker) if split(c.tag)[1] == "loopCharacteristics"]
        collection_text = settings[0].get("inputCollection", "") if settings else ""
        if not is_expression(collection_text):
            self._r.problems.add(
                node_id, "A multi-instance activity needs an inputCollection expression"
            )
            return None
        collection = self._r.expression(collection_text, node_id, "inputCollection")
        loop = settings[0]
        output_element = None
        if loop.get("outputElement"):
            output_element = self._r.expression(
                loop.get("outputElement", ""), node_id, "outputElement"
            )
        condition = None
        for child in marker:
            if split(child.tag) == (BPMN, "completionCondition") and (child.text or "").strip():
                condition = self._r.expression(
                    (child.text or "").strip(), node_id, "completionCondition"
                )
        if collection is None:
            return None
        return MultiInstance(
            sequential=marker.get("isSequential", "false").strip().lower() == "true",
            input_collection=collection,
            input_element=(loop.get("inputElement") or "").strip() or None,
            output_collection=(loop.get("outputCollection") or "").strip() or None,
            output_element=output_element,
            completion_condition=condition,
        )

    # -- events ---------------------------------------------------------------------------------

    def _start_event(
        self, element: ET.Element, node_id: str, name: str | None, container: SubProcess | None
    ) -> FlowNode | None:
        extensions = self._r.extensions(element, node_id, {"ioMapping"})
        if container is not None and container.triggered_by_event:
            allowed = {_M, _T, _E}
        elif container is not None:
            allowed = {TriggerKind.NONE}
        else:
            allowed = {TriggerKind.NONE, _M, _T}
        trigger = self._r.event_trigger(element, node_id, allowed, "start events")
        if trigger is None:
            return None
        name_value = trigger.message_name
        if container is None and name_value is not None and name_value.expression is not None:
            self._r.problems.add(node_id, "The message name of a start event must be static")
            return None
        timer = trigger.timer
        if container is None and timer is not None and timer.kind is TimerKind.DURATION:
            self._r.problems.add(node_id, "A timer start event needs a timeDate or timeCycle")
            return None
        node = StartEvent(node_id, name, ElementType.START_EVENT, trigger=trigger)
        node.interrupting = element.get("isInterrupting", "true").strip().lower() != "false"
        if trigger.kind is _E and not node.interrupting:
            self._r.problems.add(node_id, "Error start events must be interrupting")
            return None
        _, node.outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=False)
        return node

    def _message_job(
        self, element: ET.Element, node_id: str, name: str | None, element_type: ElementType
    ) -> FlowNode | None:
        """A message throw or end event: Zeebe runs it as a job of its zeebe:taskDefinition."""
        extensions = self._r.extensions(
            element, node_id, {"taskDefinition", "taskHeaders", "ioMapping"}
        )
        definitions = [e for e in extensions if split(e.tag)[1] == "taskDefinition"]
        if len(definitions) != 1:
            self._r.problems.add(
                node_id, "Must have exactly one 'zeebe:taskDefinition' extension element"
            )
            return None
        return self._job_node(node_id, name, element_type, extensions, definitions[0])

    @staticmethod
    def _sends_message(element: ET.Element) -> bool:
        return any(split(c.tag) == (BPMN, "messageEventDefinition") for c in element)

    def _end_event(self, element: ET.Element, node_id: str, name: str | None) -> FlowNode | None:
        if self._sends_message(element):
            return self._message_job(element, node_id, name, ElementType.END_EVENT)
        self._r.extensions(element, node_id, set())
        allowed = {TriggerKind.NONE, _E, TriggerKind.TERMINATE}
        trigger = self._r.event_trigger(element, node_id, allowed, "end events")
        if trigger is None:
            return None
        return EndEvent(node_id, name, ElementType.END_EVENT, trigger=trigger)

    def _catch_event(self, element: ET.Element, node_id: str, name: str | None) -> FlowNode | None:
        extensions = self._r.extensions(element, node_id, {"ioMapping"})
        trigger = self._r.event_trigger(element, node_id, {_M, _T}, "intermediate catch events")
        if trigger is None or not self._catch_trigger_ok(trigger, node_id, cycle_allowed=False):
            return None
        _, outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=False)
        return IntermediateCatchEvent(
            node_id, name, ElementType.INTERMEDIATE_CATCH_EVENT, outputs=outputs, trigger=trigger
        )

    def _catch_trigger_ok(
        self, trigger: EventTrigger, node_id: str, *, cycle_allowed: bool
    ) -> bool:
        timer = trigger.timer
        if timer is not None and timer.kind is TimerKind.CYCLE and not cycle_allowed:
            self._r.problems.add(node_id, "This timer needs a timeDuration or timeDate")
            return False
        if trigger.kind is _M and trigger.correlation_key is None:
            self._r.problems.add(node_id, "Must have a correlation key (zeebe:subscription)")
            return False
        return True

    def _throw_event(self, element: ET.Element, node_id: str, name: str | None) -> FlowNode | None:
        if self._sends_message(element):
            return self._message_job(element, node_id, name, ElementType.INTERMEDIATE_THROW_EVENT)
        extensions = self._r.extensions(element, node_id, {"ioMapping"})
        trigger = self._r.event_trigger(
            element, node_id, {TriggerKind.NONE}, "intermediate throw events"
        )
        if trigger is None:
            return None
        node = PassThroughTask(node_id, name, ElementType.INTERMEDIATE_THROW_EVENT)
        node.inputs, node.outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=True)
        return node

    def _boundary_event(
        self, element: ET.Element, node_id: str, name: str | None
    ) -> FlowNode | None:
        extensions = self._r.extensions(element, node_id, {"ioMapping"})
        attached = element.get("attachedToRef")
        if not attached:
            self._r.problems.add(node_id, "Must be attached to an activity (attachedToRef)")
            return None
        interrupting = element.get("cancelActivity", "true").strip().lower() != "false"
        trigger = self._r.event_trigger(element, node_id, {_E, _T, _M}, "boundary events")
        if trigger is None or not self._catch_trigger_ok(
            trigger, node_id, cycle_allowed=not interrupting
        ):
            return None
        if trigger.kind is _E and not interrupting:
            self._r.problems.add(node_id, "Error boundary events must be interrupting")
            return None
        _, outputs = self._r.io_mapping(extensions, node_id, inputs_allowed=False)
        self.boundary_targets[node_id] = attached
        return BoundaryEvent(
            node_id,
            name,
            ElementType.BOUNDARY_EVENT,
            outputs=outputs,
            interrupting=interrupting,
            trigger=trigger,
        )
