"""The identity-verification BPMN model: its contract with the workers, and its picture.

Element ids, job types and error codes are a contract, held by `workers.process`: the
workers, the integration tests and Operate's per-element counts all name them, and these tests
check the XML against that module (bpmnlint runs in tests/integration/test_bpmn_lint.py).
The picture must show the model as committed: bpmn/render.mjs stamps the model's SHA-256 into
the SVG and the PNG, and these tests compare.
"""

import xml.etree.ElementTree as ET

import pytest
from bpmn_support import (
    BPMN_DIR,
    HASH_KEYWORD,
    NS,
    local_name,
    only_process,
    parse,
    png_text_chunks,
    q,
    sha256_of,
    svg_element_ids,
    svg_model_hash,
)

from workers import process

MODEL = BPMN_DIR / process.BPMN_FILE
SVG = BPMN_DIR / "identity-verification.svg"
PNG = BPMN_DIR / "identity-verification.png"
RERENDER = "the picture is stale: run `make picture` and commit both pictures"

# The subset of BPMN the dev engine executes; anything else would only run on a real cluster.
SUPPORTED_KINDS = {
    "startEvent",
    "endEvent",
    "serviceTask",
    "exclusiveGateway",
    "boundaryEvent",
    "sequenceFlow",
}
SERVICE_TASKS = {
    process.CHOOSE_VERSION: "Choose verification version",
    process.verify_task(1): "Verify identity (v1)",
    process.verify_task(2): "Verify identity (v2)",
}
ERROR_CODES = {
    "error-identity-rejected": process.IDENTITY_REJECTED,
    "error-document-unreadable": process.DOCUMENT_UNREADABLE,
}
END_NAMES = {
    process.IDENTITY_REJECTED: "Application rejected (v{version})",
    process.DOCUMENT_UNREADABLE: "New document requested (v{version})",
}
# boundary event -> (task it sits on, errorCode it catches, end event it leads to, end's name)
BOUNDARIES = {
    process.boundary_event(version, code): (
        process.verify_task(version),
        code,
        process.error_end(version, code),
        END_NAMES[code].format(version=version),
    )
    for version in (1, 2)
    for code in process.ERROR_CODES
}


@pytest.fixture(scope="module")
def definitions() -> ET.Element:
    return parse(MODEL)


@pytest.fixture(scope="module")
def model_process(definitions: ET.Element) -> ET.Element:
    return only_process(definitions)


@pytest.fixture(scope="module")
def by_id(model_process: ET.Element) -> dict[str, ET.Element]:
    return {element.get("id", ""): element for element in model_process}


def outgoing_targets(by_id: dict[str, ET.Element], node_id: str) -> list[str]:
    return [
        flow.get("targetRef", "")
        for flow in by_id.values()
        if local_name(flow) == "sequenceFlow" and flow.get("sourceRef") == node_id
    ]


# -- the contract -----------------------------------------------------------------------------


def test_every_element_the_contract_names_is_in_the_model(by_id):
    """Renaming an element in the Modeler fails here, not as a silent zero in `canary status`."""
    named = {
        process.START_EVENT,
        process.CHOOSE_VERSION,
        process.SPLIT_GATEWAY,
        process.JOIN_GATEWAY,
        process.END_VERIFIED,
    }
    for version in (1, 2):
        named |= {process.verify_task(version)}
        named |= {process.boundary_event(version, code) for code in process.ERROR_CODES}
        named |= {process.error_end(version, code) for code in process.ERROR_CODES}
    assert named - set(by_id) == set()


def test_process_is_executable_identity_verification_for_camunda_8_9(definitions, model_process):
    assert model_process.get("id") == process.PROCESS_ID
    assert model_process.get("name") == "Identity verification"
    assert model_process.get("isExecutable") == "true"
    assert definitions.get(q("modeler:executionPlatform")) == "Camunda Cloud"
    assert definitions.get(q("modeler:executionPlatformVersion")) == "8.9.0"


def test_only_element_kinds_the_dev_engine_supports(model_process):
    kinds = {local_name(element) for element in model_process}
    assert kinds <= SUPPORTED_KINDS, f"unsupported: {sorted(kinds - SUPPORTED_KINDS)}"
    for boundary in model_process.findall("bpmn:boundaryEvent", NS):
        definitions = [
            local_name(child) for child in boundary if local_name(child).endswith("Definition")
        ]
        assert definitions == ["errorEventDefinition"], boundary.get("id")
    for event in [
        *model_process.findall("bpmn:startEvent", NS),
        *model_process.findall("bpmn:endEvent", NS),
    ]:
        assert not [c for c in event if local_name(c).endswith("Definition")], "blank events only"


def test_element_ids_are_distinct(definitions):
    ids = [element.get("id") for element in definitions.iter() if element.get("id")]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []


@pytest.mark.parametrize(("task_id", "expected"), SERVICE_TASKS.items())
def test_service_task_job_type_and_retries(by_id, task_id, expected):
    task = by_id[task_id]
    assert local_name(task) == "serviceTask"
    assert task.get("name") == expected
    definition = task.find("bpmn:extensionElements/zeebe:taskDefinition", NS)
    assert definition is not None
    assert definition.get("type") == task_id, "element id and job type are the same word"
    assert definition.get("retries") == "3"


def test_choose_version_follows_the_verifymenow_rollout(by_id):
    headers = by_id[process.CHOOSE_VERSION].findall(
        "bpmn:extensionElements/zeebe:taskHeaders/zeebe:header", NS
    )
    assert {h.get("key"): h.get("value") for h in headers} == {
        process.ROLLOUT_HEADER: process.MODEL_ROLLOUT
    }


def test_start_leads_to_choose_version_then_the_split(by_id):
    assert local_name(by_id[process.START_EVENT]) == "startEvent"
    assert by_id[process.START_EVENT].get("name") == "Application submitted"
    assert outgoing_targets(by_id, process.START_EVENT) == [process.CHOOSE_VERSION]
    assert outgoing_targets(by_id, process.CHOOSE_VERSION) == [process.SPLIT_GATEWAY]


def test_split_sends_use_version_2_to_v2_and_everything_else_to_v1(by_id):
    gateway = by_id[process.SPLIT_GATEWAY]
    assert local_name(gateway) == "exclusiveGateway"
    assert gateway.get("name") == "Which version?"
    assert gateway.get("default") == "to-v1"

    to_v2, to_v1 = by_id["to-v2"], by_id["to-v1"]
    assert (to_v2.get("sourceRef"), to_v2.get("targetRef")) == (
        process.SPLIT_GATEWAY,
        process.verify_task(2),
    )
    assert to_v2.get("name") == "v2"
    condition = to_v2.find("bpmn:conditionExpression", NS)
    assert condition is not None
    assert (condition.text or "").strip() == f"= {process.USE_VERSION} = 2"

    assert (to_v1.get("sourceRef"), to_v1.get("targetRef")) == (
        process.SPLIT_GATEWAY,
        process.verify_task(1),
    )
    assert to_v1.get("name") == "v1, default"
    assert to_v1.find("bpmn:conditionExpression", NS) is None
    assert sorted(outgoing_targets(by_id, process.SPLIT_GATEWAY)) == [
        process.verify_task(1),
        process.verify_task(2),
    ]


def test_both_versions_join_and_end_identity_verified(by_id):
    assert outgoing_targets(by_id, process.verify_task(1)) == [process.JOIN_GATEWAY]
    assert outgoing_targets(by_id, process.verify_task(2)) == [process.JOIN_GATEWAY]
    assert local_name(by_id[process.JOIN_GATEWAY]) == "exclusiveGateway"
    assert outgoing_targets(by_id, process.JOIN_GATEWAY) == [process.END_VERIFIED]
    assert local_name(by_id[process.END_VERIFIED]) == "endEvent"
    assert by_id[process.END_VERIFIED].get("name") == "Identity verified"


def test_error_definitions_carry_the_workers_error_codes(definitions):
    errors = {e.get("id"): e.get("errorCode") for e in definitions.findall("bpmn:error", NS)}
    assert errors == ERROR_CODES


@pytest.mark.parametrize(("boundary_id", "expected"), BOUNDARIES.items())
def test_error_boundary_sits_on_its_branch_and_ends_on_its_own_path(
    definitions, by_id, boundary_id, expected
):
    host, error_code, end_id, end_name = expected
    boundary = by_id[boundary_id]
    assert local_name(boundary) == "boundaryEvent"
    assert boundary.get("attachedToRef") == host
    assert boundary.get("cancelActivity", "true") == "true", "error boundaries interrupt"
    error_definition = boundary.find("bpmn:errorEventDefinition", NS)
    assert error_definition is not None
    errors = {e.get("id"): e.get("errorCode") for e in definitions.findall("bpmn:error", NS)}
    assert errors[error_definition.get("errorRef")] == error_code
    assert outgoing_targets(by_id, boundary_id) == [end_id]
    assert local_name(by_id[end_id]) == "endEvent"
    assert by_id[end_id].get("name") == end_name


def test_each_verify_task_catches_both_codes_with_its_own_boundaries(model_process):
    caught: dict[str, set[str]] = {}
    for boundary in model_process.findall("bpmn:boundaryEvent", NS):
        caught.setdefault(boundary.get("attachedToRef", ""), set()).add(boundary.get("id", ""))
    assert caught == {
        process.verify_task(v): {process.boundary_event(v, code) for code in process.ERROR_CODES}
        for v in (1, 2)
    }


def test_incoming_and_outgoing_lists_match_the_sequence_flows(by_id):
    flows = [f for f in by_id.values() if local_name(f) == "sequenceFlow"]
    for node_id, node in by_id.items():
        if local_name(node) == "sequenceFlow":
            continue
        listed_in = sorted(e.text or "" for e in node.findall("bpmn:incoming", NS))
        listed_out = sorted(e.text or "" for e in node.findall("bpmn:outgoing", NS))
        assert listed_in == sorted(f.get("id", "") for f in flows if f.get("targetRef") == node_id)
        assert listed_out == sorted(f.get("id", "") for f in flows if f.get("sourceRef") == node_id)


def test_every_flow_element_is_drawn_exactly_once(definitions, by_id):
    plane = definitions.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane is not None
    assert plane.get("bpmnElement") == process.PROCESS_ID
    shapes = [s.get("bpmnElement") for s in plane.findall("bpmndi:BPMNShape", NS)]
    edges = plane.findall("bpmndi:BPMNEdge", NS)
    flows = sorted(i for i, e in by_id.items() if local_name(e) == "sequenceFlow")
    nodes = sorted(i for i, e in by_id.items() if local_name(e) != "sequenceFlow")
    assert sorted(shapes) == nodes
    assert sorted(e.get("bpmnElement") for e in edges) == flows
    for edge in edges:
        assert len(edge.findall("di:waypoint", NS)) >= 2, edge.get("bpmnElement")


# -- the picture ------------------------------------------------------------------------------


def test_svg_draws_every_element_of_the_model(by_id):
    assert svg_element_ids(SVG) - {process.PROCESS_ID} == set(by_id), RERENDER


def test_svg_was_rendered_from_the_committed_model():
    assert svg_model_hash(SVG) == sha256_of(MODEL), RERENDER


def test_png_was_rendered_from_the_committed_model():
    texts = png_text_chunks(PNG.read_bytes())
    assert texts.get(HASH_KEYWORD) == sha256_of(MODEL), RERENDER
