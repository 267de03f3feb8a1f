"""Parse and validate BPMN XML into the executable model, refusing what the engine cannot run.

The subset: none and message start events; service tasks (``zeebe:taskDefinition`` type and
retries, ``zeebe:taskHeaders``, ``zeebe:ioMapping``); exclusive gateways (conditions, default
flow) and parallel gateways; none and error end events; interrupting error boundary events
(by error code, or catch-all); timer intermediate catch events and timer boundary events
(interrupting or not) with ``timeDuration``; sequence flows.

Everything without behaviour is accepted and ignored, as Zeebe does: BPMNDI, documentation,
lanes, text annotations, modeler attributes (``modeler:executionPlatform``), extension
elements of other namespaces, ``zeebe:properties``. Anything with behaviour outside the subset
(a user task, a sub-process, a signal event, a multi-instance marker, a FEEL construct the
engine lacks, ``zeebe:executionListeners``...) is refused, naming the element and the reason,
so a deployment never silently runs something else than the model says.

Errors are collected, not thrown one by one, and reported the way Zeebe words them:
``'order.bpmn': - Element: Task_1`` / ``- ERROR: <reason>``.
"""

import json
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from zeebe_devengine.bpmn.checks import check_structure, link_boundaries, start_events
from zeebe_devengine.bpmn.durations import parse_duration_ms
from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    ElementType,
    EndEvent,
    ExclusiveGateway,
    FlowNode,
    Mapping,
    ParallelGateway,
    Process,
    SequenceFlow,
    ServiceTask,
    StartEvent,
    TimerCatchEvent,
    Value,
)
from zeebe_devengine.bpmn.xml import BPMN, ZEEBE, Problems, parse_xml, q, split
from zeebe_devengine.errors import FeelSyntaxError, InvalidArgumentError
from zeebe_devengine.feel.parser import Expression, is_expression, parse_attribute

if TYPE_CHECKING:
    from collections.abc import Callable

#: BPMN children of a process (or a flow node) that carry no behaviour.
_IGNORED_IN_PROCESS = {
    "documentation",
    "laneSet",
    "textAnnotation",
    "association",
    "group",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "property",
    "ioSpecification",
}
_IGNORED_IN_NODE = {
    "documentation",
    "incoming",
    "outgoing",
    "dataInputAssociation",
    "dataOutputAssociation",
    "property",
    "ioSpecification",
}
_EVENT_DEFINITIONS = {
    "messageEventDefinition": "message",
    "timerEventDefinition": "timer",
    "errorEventDefinition": "error",
    "signalEventDefinition": "signal",
    "escalationEventDefinition": "escalation",
    "compensateEventDefinition": "compensation",
    "conditionalEventDefinition": "conditional",
    "linkEventDefinition": "link",
    "terminateEventDefinition": "terminate",
    "cancelEventDefinition": "cancel",
    "eventDefinitionRef": "referenced",
}
#: zeebe extension elements with no behaviour in the engine.
_IGNORED_ZEEBE = {"properties", "versionTag", "userTaskForm", "formDefinition"}


def parse_bpmn(resource_name: str, content: bytes) -> list[Process]:
    """All executable processes in one BPMN resource; InvalidArgumentError when invalid."""
    problems = Problems(resource_name)
    root = parse_xml(resource_name, content)
    namespace, name = split(root.tag)
    if (namespace, name) != (BPMN, "definitions"):
        msg = (
            f"'{resource_name}': expected a BPMN 2.0 'definitions' root element, "
            f"but found '{name or root.tag}'"
        )
        raise InvalidArgumentError(msg)
    messages = {
        element.get("id", ""): element.get("name") for element in root.findall(q(BPMN, "message"))
    }
    errors = {
        element.get("id", ""): element.get("errorCode")
        for element in root.findall(q(BPMN, "error"))
    }
    processes: list[Process] = []
    for element in root.findall(q(BPMN, "process")):
        if element.get("isExecutable", "false").strip().lower() != "true":
            continue
        builder = _ProcessBuilder(element, problems, messages, errors)
        process = builder.build()
        if process is not None:
            processes.append(process)
    if not processes and not problems.items:
        problems.add(resource_name, "Must contain at least one executable process")
    problems.raise_if_any()
    return processes


class _ProcessBuilder:
    def __init__(
        self,
        element: ET.Element,
        problems: Problems,
        messages: dict[str, str | None],
        errors: dict[str, str | None],
    ) -> None:
        self._element = element
        self._problems = problems
        self._messages = messages
        self._errors = errors
        self._nodes: dict[str, FlowNode] = {}
        self._flows: dict[str, SequenceFlow] = {}
        self._boundary_targets: dict[str, str] = {}
        self._defaults: dict[str, str] = {}
        self._ids: set[str] = set()

    def build(self) -> Process | None:
        process_id = (self._element.get("id") or "").strip()
        if not process_id:
            self._problems.add("process", "Must have an 'id'")
            return None
        version_tag = self._process_extensions(process_id)
        flow_elements: list[ET.Element] = []
        for child in self._element:
            namespace, name = split(child.tag)
            if namespace != BPMN or name == "extensionElements":
                continue
            if name == "sequenceFlow":
                flow_elements.append(child)
            elif name in _IGNORED_IN_PROCESS:
                continue
            else:
                self._node(child, name)
        for child in flow_elements:
            self._flow(child)
        link_boundaries(self._nodes, self._boundary_targets, self._problems)
        check_structure(self._nodes, self._defaults, self._problems)
        none_start, message_starts = start_events(process_id, self._nodes, self._problems)
        return Process(
            id=process_id,
            name=self._element.get("name"),
            version_tag=version_tag,
            nodes=self._nodes,
            flows=self._flows,
            none_start=none_start,
            message_starts=message_starts,
        )

    # -- extension elements ------------------------------------------------------------------

    def _process_extensions(self, process_id: str) -> str | None:
        version_tag: str | None = None
        for extension in self._zeebe_extensions(self._element):
            name = split(extension.tag)[1]
            if name == "versionTag":
                version_tag = extension.get("value")
            elif name not in _IGNORED_ZEEBE:
                self._problems.add(process_id, f"zeebe:{name} is not supported by the dev engine")
        return version_tag

    @staticmethod
    def _zeebe_extensions(element: ET.Element) -> list[ET.Element]:
        found: list[ET.Element] = []
        for container in element.findall(q(BPMN, "extensionElements")):
            found.extend(child for child in container if split(child.tag)[0] == ZEEBE)
        return found

    # -- flow nodes ---------------------------------------------------------------------------

    def _node(self, element: ET.Element, tag: str) -> None:
        node_id = (element.get("id") or "").strip()
        if not node_id:
            self._problems.add(tag, "Must have an 'id'")
            return
        if node_id in self._ids:
            self._problems.add(node_id, "The id is used by more than one element")
            return
        self._ids.add(node_id)
        builders: dict[str, Callable[[ET.Element, str], FlowNode | None]] = {
            "startEvent": self._start_event,
            "endEvent": self._end_event,
            "serviceTask": self._service_task,
            "exclusiveGateway": self._exclusive_gateway,
            "parallelGateway": self._parallel_gateway,
            "intermediateCatchEvent": self._catch_event,
            "boundaryEvent": self._boundary_event,
        }
        builder = builders.get(tag)
        if builder is None:
            self._problems.add(
                node_id, f"The element type '{tag}' is not supported by the dev engine"
            )
            return
        self._check_children(element, node_id, tag)
        node = builder(element, node_id)
        if node is not None:
            self._nodes[node_id] = node

    def _check_children(self, element: ET.Element, node_id: str, tag: str) -> None:
        for child in element:
            namespace, name = split(child.tag)
            if namespace != BPMN or name in _IGNORED_IN_NODE or name == "extensionElements":
                continue
            if name in _EVENT_DEFINITIONS:
                continue  # checked by the event builders
            if name in {"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}:
                self._problems.add(
                    node_id, "Multi-instance and loop markers are not supported by the dev engine"
                )
            elif name == "conditionExpression":
                self._problems.add(node_id, "Only sequence flows can have a condition")
            else:
                self._problems.add(
                    node_id, f"The child element '{name}' of a {tag} is not supported"
                )

    def _event_definitions(self, element: ET.Element) -> list[tuple[str, ET.Element]]:
        found: list[tuple[str, ET.Element]] = []
        for child in element:
            namespace, name = split(child.tag)
            if namespace == BPMN and name in _EVENT_DEFINITIONS:
                found.append((_EVENT_DEFINITIONS[name], child))
        return found

    def _single_definition(
        self, element: ET.Element, node_id: str, allowed: set[str], what: str
    ) -> tuple[str, ET.Element] | None:
        """The event definition of an event, or None for a none event; problems recorded."""
        definitions = self._event_definitions(element)
        if len(definitions) > 1:
            self._problems.add(node_id, "Multiple event definitions are not supported")
            return None
        if not definitions:
            return None
        kind, definition = definitions[0]
        if kind not in allowed:
            self._problems.add(
                node_id, f"{kind.capitalize()} {what} are not supported by the dev engine"
            )
            return None
        return kind, definition

    def _start_event(self, element: ET.Element, node_id: str) -> FlowNode | None:
        self._reject_extensions(element, node_id, allowed=set())
        definitions = self._event_definitions(element)
        if not definitions:
            return StartEvent(node_id, element.get("name"), ElementType.START_EVENT)
        found = self._single_definition(element, node_id, {"message"}, "start events")
        if found is None:
            return None
        message_id = found[1].get("messageRef")
        if message_id is None or message_id not in self._messages:
            self._problems.add(node_id, "Must reference a message (messageRef)")
            return None
        message_name = self._messages[message_id]
        if not message_name or not message_name.strip():
            self._problems.add(node_id, f"The message '{message_id}' must have a name")
            return None
        if is_expression(message_name):
            self._problems.add(node_id, "The message name of a start event must be static")
            return None
        return StartEvent(
            node_id, element.get("name"), ElementType.START_EVENT, message_name=message_name
        )

    def _end_event(self, element: ET.Element, node_id: str) -> FlowNode | None:
        self._reject_extensions(element, node_id, allowed=set())
        definitions = self._event_definitions(element)
        if not definitions:
            return EndEvent(node_id, element.get("name"), ElementType.END_EVENT)
        found = self._single_definition(element, node_id, {"error"}, "end events")
        if found is None:
            return None
        code = self._error_code(found[1], node_id, required=True)
        if code is None:
            return None
        return EndEvent(node_id, element.get("name"), ElementType.END_EVENT, error_code=code)

    def _error_code(self, definition: ET.Element, node_id: str, *, required: bool) -> str | None:
        error_id = definition.get("errorRef")
        if error_id is None:
            if required:
                self._problems.add(node_id, "Must reference an error (errorRef)")
            return None
        if error_id not in self._errors:
            self._problems.add(node_id, f"The referenced error '{error_id}' does not exist")
            return None
        code = self._errors[error_id]
        if code is None or not code.strip():
            if required:
                self._problems.add(node_id, f"The error '{error_id}' must have an errorCode")
            return None
        if is_expression(code):
            self._problems.add(
                node_id, "Error codes given as expressions are not supported by the dev engine"
            )
            return None
        return code

    def _service_task(self, element: ET.Element, node_id: str) -> FlowNode | None:
        extensions = self._reject_extensions(
            element, node_id, allowed={"taskDefinition", "taskHeaders", "ioMapping"}
        )
        definitions = [e for e in extensions if split(e.tag)[1] == "taskDefinition"]
        if len(definitions) != 1:
            self._problems.add(
                node_id, "Must have exactly one 'zeebe:taskDefinition' extension element"
            )
            return None
        definition = definitions[0]
        job_type = self._value(definition.get("type") or "", node_id, "job type")
        if job_type is None:
            return None
        if job_type.expression is None and not str(job_type.static).strip():
            self._problems.add(node_id, "The job type of 'zeebe:taskDefinition' must not be empty")
            return None
        retries = self._retries(definition.get("retries", "3"), node_id)
        if retries is None:
            return None
        headers: dict[str, str] = {}
        for container in (e for e in extensions if split(e.tag)[1] == "taskHeaders"):
            for header in container:
                if split(header.tag) == (ZEEBE, "header") and header.get("key"):
                    headers[header.get("key", "")] = header.get("value", "")
        inputs, outputs = self._io_mapping(extensions, node_id, inputs_allowed=True)
        return ServiceTask(
            node_id,
            element.get("name"),
            ElementType.SERVICE_TASK,
            outputs=outputs,
            job_type=job_type,
            retries=retries,
            headers_json=json.dumps(headers),
            inputs=inputs,
        )

    def _retries(self, text: str, node_id: str) -> Value | None:
        if is_expression(text):
            return self._value(text, node_id, "retries")
        try:
            retries = int(text.strip())
        except ValueError:
            self._problems.add(node_id, f"The retries '{text}' must be a whole number")
            return None
        return Value(static=retries)

    def _exclusive_gateway(self, element: ET.Element, node_id: str) -> FlowNode | None:
        self._reject_extensions(element, node_id, allowed=set())
        default = element.get("default")
        if default:
            self._defaults[node_id] = default
        return ExclusiveGateway(node_id, element.get("name"), ElementType.EXCLUSIVE_GATEWAY)

    def _parallel_gateway(self, element: ET.Element, node_id: str) -> FlowNode | None:
        self._reject_extensions(element, node_id, allowed=set())
        return ParallelGateway(node_id, element.get("name"), ElementType.PARALLEL_GATEWAY)

    def _catch_event(self, element: ET.Element, node_id: str) -> FlowNode | None:
        extensions = self._reject_extensions(element, node_id, allowed={"ioMapping"})
        found = self._single_definition(element, node_id, {"timer"}, "intermediate catch events")
        if found is None:
            if not self._event_definitions(element):
                self._problems.add(node_id, "An intermediate catch event needs a timer")
            return None
        duration = self._timer(found[1], node_id)
        if duration is None:
            return None
        _, outputs = self._io_mapping(extensions, node_id, inputs_allowed=False)
        return TimerCatchEvent(
            node_id,
            element.get("name"),
            ElementType.INTERMEDIATE_CATCH_EVENT,
            outputs=outputs,
            duration=duration,
        )

    def _boundary_event(self, element: ET.Element, node_id: str) -> FlowNode | None:
        extensions = self._reject_extensions(element, node_id, allowed={"ioMapping"})
        attached = element.get("attachedToRef")
        if not attached:
            self._problems.add(node_id, "Must be attached to an activity (attachedToRef)")
            return None
        interrupting = element.get("cancelActivity", "true").strip().lower() != "false"
        found = self._single_definition(element, node_id, {"error", "timer"}, "boundary events")
        if found is None:
            if not self._event_definitions(element):
                self._problems.add(node_id, "A boundary event needs an event definition")
            return None
        kind, definition = found
        _, outputs = self._io_mapping(extensions, node_id, inputs_allowed=False)
        node = BoundaryEvent(
            node_id,
            element.get("name"),
            ElementType.BOUNDARY_EVENT,
            outputs=outputs,
            interrupting=interrupting,
        )
        if kind == "error":
            if not interrupting:
                self._problems.add(node_id, "Error boundary events must be interrupting")
                return None
            node.catches_errors = True
            node.error_code = self._error_code(definition, node_id, required=False)
        else:
            node.timer = self._timer(definition, node_id)
            if node.timer is None:
                return None
        self._boundary_targets[node_id] = attached
        return node

    def _timer(self, definition: ET.Element, node_id: str) -> Value | None:
        kinds = {split(child.tag)[1]: child for child in definition if split(child.tag)[0] == BPMN}
        if "timeDuration" not in kinds:
            if kinds:
                which = ", ".join(sorted(kinds))
                self._problems.add(
                    node_id, f"Timers with {which} are not supported; use timeDuration"
                )
            else:
                self._problems.add(node_id, "A timer needs a timeDuration")
            return None
        text = (kinds["timeDuration"].text or "").strip()
        if is_expression(text):
            return self._value(text, node_id, "timer duration")
        try:
            return Value(static=parse_duration_ms(text))
        except InvalidArgumentError as exc:
            self._problems.add(node_id, f"Invalid timer duration: {exc}")
            return None

    def _reject_extensions(
        self, element: ET.Element, node_id: str, *, allowed: set[str]
    ) -> list[ET.Element]:
        kept: list[ET.Element] = []
        for extension in self._zeebe_extensions(element):
            name = split(extension.tag)[1]
            if name in allowed:
                kept.append(extension)
            elif name not in _IGNORED_ZEEBE:
                self._problems.add(node_id, f"zeebe:{name} is not supported here by the dev engine")
        return kept

    def _io_mapping(
        self, extensions: list[ET.Element], node_id: str, *, inputs_allowed: bool
    ) -> tuple[tuple[Mapping, ...], tuple[Mapping, ...]]:
        inputs: list[Mapping] = []
        outputs: list[Mapping] = []
        for container in (e for e in extensions if split(e.tag)[1] == "ioMapping"):
            for child in container:
                namespace, name = split(child.tag)
                if namespace != ZEEBE or name not in {"input", "output"}:
                    continue
                if name == "input" and not inputs_allowed:
                    self._problems.add(node_id, "Input mappings are not supported on this element")
                    continue
                mapping = self._mapping(child, node_id)
                if mapping is not None:
                    (inputs if name == "input" else outputs).append(mapping)
        return tuple(inputs), tuple(outputs)

    def _mapping(self, element: ET.Element, node_id: str) -> Mapping | None:
        target = (element.get("target") or "").strip()
        parts = tuple(target.split("."))
        if not target or not all(part.isidentifier() for part in parts):
            self._problems.add(node_id, f"The mapping target '{target}' is not a variable name")
            return None
        source = self._value(element.get("source") or "", node_id, f"mapping to '{target}'")
        if source is None:
            return None
        return Mapping(source=source, target=parts)

    def _value(self, text: str, node_id: str, what: str) -> Value | None:
        if not is_expression(text):
            return Value(static=text)
        expression = self._expression(text, node_id, what)
        return None if expression is None else Value(expression=expression)

    def _expression(self, text: str, node_id: str, what: str) -> Expression | None:
        try:
            return parse_attribute(text)
        except FeelSyntaxError as exc:
            self._problems.add(node_id, f"The {what} '{text.strip()}' is invalid: {exc}")
            return None

    # -- sequence flows and structure ---------------------------------------------------------

    def _flow(self, element: ET.Element) -> None:
        flow_id = (element.get("id") or "").strip()
        if not flow_id:
            self._problems.add("sequenceFlow", "Must have an 'id'")
            return
        if flow_id in self._ids:
            self._problems.add(flow_id, "The id is used by more than one element")
            return
        self._ids.add(flow_id)
        source = self._nodes.get(element.get("sourceRef", ""))
        target = self._nodes.get(element.get("targetRef", ""))
        if source is None or target is None:
            if (
                element.get("sourceRef", "") in self._ids
                and element.get("targetRef", "") in self._ids
            ):
                return  # the node itself was refused; that problem is already reported
            self._problems.add(flow_id, "The source and target must be flow nodes of this process")
            return
        condition = None
        for child in element:
            if split(child.tag) == (BPMN, "conditionExpression"):
                text = (child.text or "").strip()
                if not is_expression(text):
                    self._problems.add(
                        flow_id,
                        f"The condition '{text}' must be a FEEL expression starting with '='",
                    )
                    return
                condition = self._expression(text, flow_id, "condition")
                if condition is None:
                    return
        flow = SequenceFlow(flow_id, source, target, condition)
        self._flows[flow_id] = flow
        source.outgoing.append(flow)
        target.incoming.append(flow)
