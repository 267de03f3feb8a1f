"""Apply a Camunda element template to a BPMN element, as the Modeler does when you pick it.

Only the bindings our templates use: `property`, `zeebe:taskDefinition`, `zeebe:taskHeader`,
`zeebe:input` and `zeebe:output`; anything else raises, so a new binding in a template fails
its test instead of being skipped. Also writes the small generated model the tests apply it
to: start, one blank task, an exclusive gateway on `useVersion`, and two ends, with diagram
information (bpmnlint's recommended rules require it).
"""

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MODELER = "http://camunda.org/schema/modeler/1.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for prefix, uri in {
    "bpmn": BPMN,
    "bpmndi": BPMNDI,
    "dc": DC,
    "di": DI,
    "zeebe": ZEEBE,
    "modeler": MODELER,
    "xsi": XSI,
}.items():
    ET.register_namespace(prefix, uri)


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def blank_model(process_id: str, task_id: str) -> str:
    """A process whose `task_id` is a service task with nothing set, ready for a template."""
    definitions = ET.Element(
        _q(BPMN, "definitions"),
        {
            "id": "generated",
            "targetNamespace": "http://bpmn.io/schema/bpmn",
            _q(MODELER, "executionPlatform"): "Camunda Cloud",
            _q(MODELER, "executionPlatformVersion"): "8.9.0",
        },
    )
    process = ET.SubElement(definitions, _q(BPMN, "process"), id=process_id, isExecutable="true")
    nodes = [
        ("startEvent", "start", 100),
        ("serviceTask", task_id, 200),
        ("exclusiveGateway", "which", 360),
        ("endEvent", "end-v1", 480),
        ("endEvent", "end-v2", 480),
    ]
    flows = [
        ("f-start", "start", task_id, None),
        ("f-task", task_id, "which", None),
        ("to-v1", "which", "end-v1", None),
        ("to-v2", "which", "end-v2", "= useVersion = 2"),
    ]
    for kind, element_id, _x in nodes:
        attributes = {"id": element_id, "name": element_id}
        if kind == "exclusiveGateway":
            attributes["default"] = "to-v1"
        element = ET.SubElement(process, _q(BPMN, kind), attributes)
        for flow_id, source, target, _condition in flows:
            if target == element_id:
                ET.SubElement(element, _q(BPMN, "incoming")).text = flow_id
            if source == element_id:
                ET.SubElement(element, _q(BPMN, "outgoing")).text = flow_id
    for flow_id, source, target, condition in flows:
        flow = ET.SubElement(
            process, _q(BPMN, "sequenceFlow"), id=flow_id, sourceRef=source, targetRef=target
        )
        if source == "which":
            flow.set("name", flow_id)  # flows out of a gateway need a label, others none
        if condition:
            expression = ET.SubElement(
                flow, _q(BPMN, "conditionExpression"), {_q(XSI, "type"): "bpmn:tFormalExpression"}
            )
            expression.text = condition
    _diagram(definitions, process_id, nodes, flows)
    return ET.tostring(definitions, encoding="unicode", xml_declaration=True)


def _diagram(definitions: ET.Element, process_id: str, nodes: list[Any], flows: list[Any]) -> None:
    diagram = ET.SubElement(definitions, _q(BPMNDI, "BPMNDiagram"), id="diagram")
    plane = ET.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), id="plane", bpmnElement=process_id)
    bounds: dict[str, tuple[int, int, int, int]] = {}
    for kind, element_id, x in nodes:
        width, height = {"serviceTask": (100, 80), "exclusiveGateway": (50, 50)}.get(kind, (36, 36))
        y = 200 if element_id != "end-v2" else 320
        bounds[element_id] = (x, y - height // 2, width, height)
        shape = ET.SubElement(
            plane, _q(BPMNDI, "BPMNShape"), id=f"{element_id}-di", bpmnElement=element_id
        )
        ET.SubElement(
            shape,
            _q(DC, "Bounds"),
            x=str(x),
            y=str(y - height // 2),
            width=str(width),
            height=str(height),
        )
    for flow_id, source, target, _condition in flows:
        edge = ET.SubElement(plane, _q(BPMNDI, "BPMNEdge"), id=f"{flow_id}-di", bpmnElement=flow_id)
        sx, sy, sw, sh = bounds[source]
        tx, ty, _tw, th = bounds[target]
        ET.SubElement(edge, _q(DI, "waypoint"), x=str(sx + sw), y=str(sy + sh // 2))
        if sy != ty:
            ET.SubElement(edge, _q(DI, "waypoint"), x=str(sx + sw // 2), y=str(ty + th // 2))
        ET.SubElement(edge, _q(DI, "waypoint"), x=str(tx), y=str(ty + th // 2))


def apply_template(
    xml: str,
    element_id: str,
    template: Mapping[str, Any],
    values: Mapping[str, str] | None = None,
) -> str:
    """`xml` with the template applied to `element_id`; `values` overrides by property id."""
    root = ET.fromstring(xml)  # noqa: S314 - our own generated model
    element = next(e for e in root.iter() if e.get("id") == element_id)
    wanted = template["elementType"]["value"].removeprefix("bpmn:")
    element.tag = _q(BPMN, wanted[0].lower() + wanted[1:])
    element.set(_q(ZEEBE, "modelerTemplate"), template["id"])
    element.set(_q(ZEEBE, "modelerTemplateVersion"), str(template["version"]))
    for prop in template["properties"]:
        value = (values or {}).get(prop.get("id", ""), prop.get("value", ""))
        if value == "" and prop.get("optional"):
            continue
        _bind(element, prop["binding"], str(value))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _extension(element: ET.Element, name: str) -> ET.Element:
    extensions = element.find(_q(BPMN, "extensionElements"))
    if extensions is None:
        extensions = ET.Element(_q(BPMN, "extensionElements"))
        element.insert(0, extensions)  # before incoming/outgoing, as the schema orders it
    found = extensions.find(_q(ZEEBE, name))
    return found if found is not None else ET.SubElement(extensions, _q(ZEEBE, name))


def _bind(element: ET.Element, binding: Mapping[str, str], value: str) -> None:
    kind = binding["type"]
    if kind == "property":
        element.set(binding["name"], value)
    elif kind == "zeebe:taskDefinition":
        _extension(element, "taskDefinition").set(binding["property"], value)
    elif kind == "zeebe:taskHeader":
        headers = _extension(element, "taskHeaders")
        ET.SubElement(headers, _q(ZEEBE, "header"), key=binding["key"], value=value)
    elif kind == "zeebe:input":
        mapping = _extension(element, "ioMapping")
        ET.SubElement(mapping, _q(ZEEBE, "input"), source=value, target=binding["name"])
    elif kind == "zeebe:output":
        mapping = _extension(element, "ioMapping")
        ET.SubElement(mapping, _q(ZEEBE, "output"), source=binding["source"], target=value)
    else:
        msg = f"binding {kind!r} is not supported by this applier"
        raise ValueError(msg)
