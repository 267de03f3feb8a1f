"""Parse and validate BPMN XML into the executable model, refusing what the engine cannot run.

Supported: none, message and timer start events; service, send, script and business-rule
tasks with ``zeebe:taskDefinition`` (job workers), ``zeebe:script`` script tasks, Camunda
user tasks (``zeebe:userTask``), receive tasks, manual and undefined tasks; embedded and
event sub-processes; exclusive, parallel, inclusive and event-based gateways; none, error and
terminate end events; none intermediate throw events; timer and message intermediate catch
events; timer, message and error boundary events. Mappings (``zeebe:ioMapping``), headers
and FEEL expressions where Zeebe takes them.

Everything without behaviour is accepted and ignored, as Zeebe does: BPMNDI, documentation,
lanes, text annotations, modeler attributes, extension elements of other namespaces,
``zeebe:properties``. Anything with behaviour outside the subset (a call activity, a
multi-instance marker, a signal event, ``zeebe:executionListeners``...) is refused naming the
element and saying it is not supported by the dev engine, so a deployment never silently runs
something else than the model says.
"""

import xml.etree.ElementTree as ET

from zeebe_devengine.bpmn.checks import check_structure, link_boundaries, start_events
from zeebe_devengine.bpmn.elements import NodeBuilders
from zeebe_devengine.bpmn.model import Container, FlowNode, Process, SequenceFlow, SubProcess
from zeebe_devengine.bpmn.reading import ElementReader, zeebe_extensions
from zeebe_devengine.bpmn.xml import BPMN, Problems, deploy_error, parse_xml, q, split
from zeebe_devengine.feel.parser import is_expression

#: BPMN children of a process (or a sub-process) that carry no behaviour.
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
    "incoming",
    "outgoing",
    "multiInstanceLoopCharacteristics",  # refused by the node builder of the sub-process
    "standardLoopCharacteristics",
}


def parse_bpmn(resource_name: str, content: bytes) -> list[Process]:
    """All executable processes in one BPMN resource; InvalidArgumentError when invalid."""
    problems = Problems(resource_name)
    root = parse_xml(resource_name, content)
    namespace, name = split(root.tag)
    if (namespace, name) != (BPMN, "definitions"):
        raise deploy_error(
            f"'{resource_name}': expected a BPMN 2.0 'definitions' root element, "
            f"but found '{name or root.tag}'"
        )
    messages = {element.get("id", ""): element for element in root.findall(q(BPMN, "message"))}
    errors = {
        element.get("id", ""): element.get("errorCode")
        for element in root.findall(q(BPMN, "error"))
    }
    reader = ElementReader(problems, messages, errors)
    processes: list[Process] = []
    for element in root.findall(q(BPMN, "process")):
        if element.get("isExecutable", "false").strip().lower() != "true":
            continue
        process = _ProcessBuilder(element, reader).build()
        if process is not None:
            processes.append(process)
    if not processes and not problems.items:
        problems.add(resource_name, "Must contain at least one executable process")
    problems.raise_if_any()
    return processes


class _ProcessBuilder:
    def __init__(self, element: ET.Element, reader: ElementReader) -> None:
        self._element = element
        self._reader = reader
        self._problems = reader.problems
        self._nodes: dict[str, FlowNode] = {}
        self._flows: dict[str, SequenceFlow] = {}
        self._ids: set[str] = set()
        self._builders = NodeBuilders(reader, self._walk)

    def build(self) -> Process | None:
        process_id = (self._element.get("id") or "").strip()
        if not process_id:
            self._problems.add("process", "Must have an 'id'")
            return None
        version_tag = self._process_extensions(process_id)
        body = Container()
        self._walk(self._element, body, None)
        link_boundaries(self._nodes, self._builders.boundary_targets, self._problems)
        check_structure(self._nodes, self._builders.defaults, self._problems)
        none_start, message_starts, timer_starts = start_events(process_id, body, self._problems)
        body.none_start = none_start
        return Process(
            id=process_id,
            name=self._element.get("name"),
            version_tag=version_tag,
            nodes=self._nodes,
            flows=self._flows,
            none_start=none_start,
            message_starts=message_starts,
            body=body,
            timer_starts=timer_starts,
        )

    def _process_extensions(self, process_id: str) -> str | None:
        version_tag: str | None = None
        for extension in zeebe_extensions(self._element):
            name = split(extension.tag)[1]
            if name == "versionTag":
                version_tag = extension.get("value")
            elif name != "properties":
                self._problems.add(process_id, f"zeebe:{name} is not supported by the dev engine")
        return version_tag

    def _walk(self, element: ET.Element, body: Container, container: SubProcess | None) -> None:
        """Build the nodes and flows directly inside `element` into `body`."""
        flow_elements: list[ET.Element] = []
        for child in element:
            namespace, name = split(child.tag)
            if namespace != BPMN or name == "extensionElements":
                continue
            if name == "sequenceFlow":
                flow_elements.append(child)
            elif name not in _IGNORED_IN_PROCESS:
                self._node(child, name, body, container)
        for child in flow_elements:
            self._flow(child, body)

    def _node(
        self, element: ET.Element, tag: str, body: Container, container: SubProcess | None
    ) -> None:
        node_id = (element.get("id") or "").strip()
        if not node_id:
            self._problems.add(tag, "Must have an 'id'")
            return
        if node_id in self._ids:
            self._problems.add(node_id, "The id is used by more than one element")
            return
        self._ids.add(node_id)
        node = self._builders.build(element, tag, node_id, container)
        if node is None:
            return
        node.container = container
        self._nodes[node_id] = node
        if isinstance(node, SubProcess) and node.triggered_by_event:
            body.event_subprocesses.append(node)
        body.nodes[node_id] = node

    def _flow(self, element: ET.Element, body: Container) -> None:
        flow_id = (element.get("id") or "").strip()
        if not flow_id:
            self._problems.add("sequenceFlow", "Must have an 'id'")
            return
        if flow_id in self._ids:
            self._problems.add(flow_id, "The id is used by more than one element")
            return
        self._ids.add(flow_id)
        source_id, target_id = element.get("sourceRef", ""), element.get("targetRef", "")
        source, target = body.nodes.get(source_id), body.nodes.get(target_id)
        if source is None or target is None:
            if (
                source_id in self._ids
                and target_id in self._ids
                and not (source_id in self._nodes and target_id in self._nodes)
            ):
                return  # a node itself was refused; that problem is already reported
            self._problems.add(
                flow_id, "The source and target must be flow nodes of the same (sub-)process"
            )
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
                condition = self._reader.expression(text, flow_id, "condition")
                if condition is None:
                    return
        flow = SequenceFlow(flow_id, source, target, condition)
        self._flows[flow_id] = flow
        source.outgoing.append(flow)
        target.incoming.append(flow)
