"""The guarded-rollout BPMN model: its contract (workers/guarded/process.py) and its picture.

The workers, the CLI and Operate's per-element counts name these ids, messages, job types and
variables; a rename on one side only would break a rollout at run time, so it breaks here.
bpmnlint runs over it in tests/integration/test_bpmn_lint.py.
"""

import json
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

from workers.guarded import process as contract
from workers.guarded.analysis import Decision
from workers.guarded.process import Element, EndEvent, Message, Variable

MODEL = BPMN_DIR / contract.MODEL_FILE
SVG = MODEL.with_suffix(".svg")
PNG = MODEL.with_suffix(".png")
FORM = BPMN_DIR / "guarded-rollout-approval.form"
RERENDER = "the picture is stale: run `make picture` and commit both pictures"


@pytest.fixture(scope="module")
def definitions() -> ET.Element:
    return parse(MODEL)


@pytest.fixture(scope="module")
def process(definitions: ET.Element) -> ET.Element:
    return only_process(definitions)


@pytest.fixture(scope="module")
def by_id(process: ET.Element) -> dict[str, ET.Element]:
    """Every element of the process, sub-processes included, by id."""
    return {e.get("id", ""): e for e in process.iter() if e.get("id") and e is not process}


@pytest.fixture(scope="module")
def flows(by_id: dict[str, ET.Element]) -> dict[str, ET.Element]:
    return {i: e for i, e in by_id.items() if local_name(e) == "sequenceFlow"}


@pytest.fixture(scope="module")
def messages(definitions: ET.Element) -> dict[str, ET.Element]:
    return {m.get("id", ""): m for m in definitions.findall("bpmn:message", NS)}


def targets(flows: dict[str, ET.Element], source: str) -> list[str]:
    return [f.get("targetRef", "") for f in flows.values() if f.get("sourceRef") == source]


def message_name(by_id, messages, event_id: str) -> str:
    definition = by_id[event_id].find("bpmn:messageEventDefinition", NS)
    assert definition is not None, f"{event_id} is not a message event"
    return str(messages[definition.get("messageRef", "")].get("name", ""))


def output_mappings(element: ET.Element) -> dict[str, str]:
    return {
        o.get("target", ""): o.get("source", "")
        for o in element.findall("bpmn:extensionElements/zeebe:ioMapping/zeebe:output", NS)
    }


# -- the contract -----------------------------------------------------------------------------


def test_process_is_executable_guarded_rollout_for_camunda_8_9(definitions, process):
    assert process.get("id") == contract.PROCESS_ID
    assert process.get("name") == contract.PROCESS_NAME
    assert process.get("isExecutable") == "true"
    assert definitions.get(q("modeler:executionPlatform")) == "Camunda Cloud"
    assert definitions.get(q("modeler:executionPlatformVersion")) == "8.9.0"


def test_every_contract_element_and_end_event_is_in_the_model(by_id):
    missing = [e.value for e in (*Element, *EndEvent) if e.value not in by_id]
    assert missing == []


def test_element_ids_are_distinct(definitions):
    ids = [element.get("id") for element in definitions.iter() if element.get("id")]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_message_names_are_the_contracts_and_all_but_start_correlate_by_rollout_name(messages):
    names = {m.get("name") for m in messages.values()}
    assert names == {m.value for m in Message}
    for message in messages.values():
        keys = [
            s.get("correlationKey")
            for s in message.findall("bpmn:extensionElements/zeebe:subscription", NS)
        ]
        if message.get("name") == Message.START:
            # The key of a start message comes with the published message; Zeebe then runs at
            # most one instance per key at a time.
            assert keys == []
        else:
            assert keys == [contract.CORRELATION_KEY], message.get("name")


def test_rollout_starts_by_message_at_process_level(process, by_id, messages):
    starts = process.findall("bpmn:startEvent", NS)
    assert [s.get("id") for s in starts] == [Element.START]
    assert message_name(by_id, messages, Element.START) == Message.START


@pytest.mark.parametrize(("task_id", "expected"), contract.SERVICE_TASKS.items())
def test_service_task_job_type_retries_and_header(by_id, task_id, expected):
    job_type, header, value = expected
    task = by_id[task_id]
    assert local_name(task) == "serviceTask"
    definition = task.find("bpmn:extensionElements/zeebe:taskDefinition", NS)
    assert definition is not None
    assert definition.get("type") == job_type
    retries = contract.ANALYSE_RETRIES if job_type == contract.JobType.ANALYSE else 3
    assert definition.get("retries") == str(retries)
    headers = {
        h.get("key"): h.get("value")
        for h in task.findall("bpmn:extensionElements/zeebe:taskHeaders/zeebe:header", NS)
    }
    assert headers == ({header: value} if header else {})


def test_no_service_task_outside_the_contract(by_id):
    tasks = {i for i, e in by_id.items() if local_name(e) == "serviceTask"}
    assert tasks == {t.value for t in contract.SERVICE_TASKS}


def test_steps_loop_is_a_sequential_multi_instance_over_steps_ending_on_promote_full(by_id):
    loop = by_id[Element.STEPS].find("bpmn:multiInstanceLoopCharacteristics", NS)
    assert loop is not None
    assert loop.get("isSequential") == "true"
    characteristics = loop.find("bpmn:extensionElements/zeebe:loopCharacteristics", NS)
    assert characteristics is not None
    assert characteristics.get("inputCollection") == f"= {Variable.STEPS}"
    assert characteristics.get("inputElement") == Variable.STEP
    condition = loop.find("bpmn:completionCondition", NS)
    assert condition is not None
    assert (condition.text or "").strip() == contract.STEPS_COMPLETION_CONDITION


def test_conditions_are_the_contracts(flows):
    conditioned = {
        i: (f.find("bpmn:conditionExpression", NS).text or "").strip()
        for i, f in flows.items()
        if f.find("bpmn:conditionExpression", NS) is not None
    }
    assert conditioned == contract.CONDITIONS


def test_verdict_conditions_name_the_analysis_decisions():
    decided = {
        contract.CONDITIONS["to-rollback"]: Decision.ROLLBACK,
        contract.CONDITIONS["to-step-passed"]: Decision.PROMOTE,
    }
    for condition, decision in decided.items():
        assert condition == f'= {Variable.VERDICT} = "{decision.value}"'


def test_every_exclusive_split_has_a_default_flow(by_id, flows):
    for gateway_id, gateway in by_id.items():
        if local_name(gateway) != "exclusiveGateway" or len(targets(flows, gateway_id)) < 2:
            continue
        default = gateway.get("default")
        assert default in flows, f"{gateway_id} has no default flow"
        assert flows[default].find("bpmn:conditionExpression", NS) is None


def test_verdict_gateway_routes_rollback_promote_and_continue(flows):
    assert flows["to-rollback"].get("targetRef") == Element.ROLLBACK
    assert flows["to-step-passed"].get("targetRef") == "step-passed"
    assert flows["keep-looking"].get("sourceRef") == "verdict"


def test_rollback_is_an_error_end_caught_on_the_steps_loop(definitions, by_id, flows):
    errors = {e.get("id"): e.get("errorCode") for e in definitions.findall("bpmn:error", NS)}
    thrown = by_id[Element.ROLLBACK].find("bpmn:errorEventDefinition", NS)
    assert thrown is not None
    assert errors[thrown.get("errorRef")] == contract.ROLLBACK_ERROR_CODE
    boundary = by_id[Element.ROLLBACK_CAUGHT]
    assert boundary.get("attachedToRef") == Element.STEPS
    assert boundary.get("cancelActivity", "true") == "true"
    caught = boundary.find("bpmn:errorEventDefinition", NS)
    assert caught is not None
    assert errors[caught.get("errorRef")] == contract.ROLLBACK_ERROR_CODE
    assert targets(flows, Element.ROLLBACK_CAUGHT) == [Element.SET_RATE_ROLLBACK]
    assert targets(flows, Element.SET_RATE_ROLLBACK) == [Element.NOTIFY_ROLLED_BACK]
    assert targets(flows, Element.NOTIFY_ROLLED_BACK) == [EndEvent.ROLLED_BACK]


def test_abort_is_an_interrupting_message_event_sub_process(by_id, flows, messages):
    abort = by_id[Element.ABORT]
    assert local_name(abort) == "subProcess"
    assert abort.get("triggeredByEvent") == "true"
    start = by_id[Element.ABORT_REQUESTED]
    assert start.get("isInterrupting", "true") == "true"
    assert message_name(by_id, messages, Element.ABORT_REQUESTED) == Message.ABORT
    assert targets(flows, Element.ABORT_REQUESTED) == [Element.SET_RATE_ABORT]
    assert targets(flows, Element.SET_RATE_ABORT) == [Element.NOTIFY_ABORTED]
    assert targets(flows, Element.NOTIFY_ABORTED) == [EndEvent.ABORTED]


def test_three_end_events_at_process_level_count_outcomes_apart(process, by_id, flows):
    top_level_ends = {e.get("id") for e in process.findall("bpmn:endEvent", NS)}
    assert top_level_ends == {EndEvent.PROMOTED, EndEvent.ROLLED_BACK}
    assert by_id[EndEvent.ABORTED] in by_id[Element.ABORT]
    assert targets(flows, Element.NOTIFY_PROMOTED) == [EndEvent.PROMOTED]
    # After the loop the rate always goes to 100 %: a no-op when the last step was 100 %,
    # the jump when promote-full ended the loop early.
    assert targets(flows, Element.STEPS) == [Element.SET_RATE_FULL]
    assert targets(flows, Element.SET_RATE_FULL) == [Element.NOTIFY_PROMOTED]
    names = {end: by_id[end].get("name") for end in EndEvent}
    assert names == {
        EndEvent.PROMOTED: "Promoted",
        EndEvent.ROLLED_BACK: "Rolled back",
        EndEvent.ABORTED: "Aborted",
    }


def test_each_look_waits_for_the_interval_or_a_resume_then_holds_while_paused(
    by_id, flows, messages
):
    gateway = by_id[Element.WAIT_FOR_LOOK]
    assert local_name(gateway) == "eventBasedGateway"
    assert sorted(targets(flows, Element.WAIT_FOR_LOOK)) == sorted(
        [Element.INTERVAL_ELAPSED, Element.RESUMED_WHILE_BAKING]
    )
    duration = by_id[Element.INTERVAL_ELAPSED].find(
        "bpmn:timerEventDefinition/bpmn:timeDuration", NS
    )
    assert duration is not None
    assert (duration.text or "").strip() == contract.INTERVAL_TIMER
    # A resume while the timer runs (paused mid-bake) starts the wait again; no look is lost.
    assert targets(flows, Element.RESUMED_WHILE_BAKING) == ["look-loop"]
    # The timer leads to the look only when not paused; paused, it holds until a resume.
    assert targets(flows, Element.INTERVAL_ELAPSED) == [Element.PAUSED_BEFORE_LOOK]
    assert flows["not-paused-before-look"].get("targetRef") == Element.ANALYSE
    assert flows["held-before-look"].get("targetRef") == Element.RESUMED
    assert targets(flows, Element.RESUMED) == ["look-loop"]


def test_a_paused_step_holds_before_its_rate_is_set_even_once_approved(by_id, flows):
    approved = targets(flows, Element.APPROVE_STEP)
    assert approved == targets(flows, Element.RESUMED_BEFORE_RATE)  # back through the gate
    assert targets(flows, approved[0]) == [Element.PAUSED_BEFORE_RATE]
    assert flows["not-paused-before-rate"].get("targetRef") == Element.SET_RATE
    assert flows["held-before-rate"].get("targetRef") == Element.RESUMED_BEFORE_RATE
    assert targets(flows, "approval-needed") == [Element.APPROVE_STEP, approved[0]]


@pytest.mark.parametrize(
    ("sub_process", "start", "message", "interrupting", "mappings"),
    [
        # Pause lets the step go on to its next gate, where `paused` holds it.
        (
            Element.PAUSE,
            Element.PAUSE_REQUESTED,
            Message.PAUSE,
            "false",
            {Variable.PAUSED: "= true"},
        ),
        # Promote-full ends the step; the loop's completion condition then reads promoteFull.
        (
            Element.PROMOTE_FULL,
            Element.PROMOTE_FULL_REQUESTED,
            Message.PROMOTE_FULL,
            "true",
            {Variable.PROMOTE_FULL: "= true", Variable.PAUSED: "= false"},
        ),
    ],
)
def test_pause_and_promote_full_are_message_event_sub_processes_of_each_step(
    by_id, messages, sub_process, start, message, interrupting, mappings
):
    handler = by_id[sub_process]
    assert local_name(handler) == "subProcess"
    assert handler.get("triggeredByEvent") == "true"
    assert handler in list(by_id[Element.STEPS])  # subscribed while a step is active
    assert by_id[start] in list(handler)
    assert by_id[start].get("isInterrupting", "true") == interrupting
    assert message_name(by_id, messages, start) == message
    assert output_mappings(by_id[start]) == mappings


def test_pause_notifies(flows):
    assert targets(flows, Element.PAUSE_REQUESTED) == [Element.NOTIFY_PAUSED]


def test_pause_and_promote_full_are_caught_only_by_their_event_sub_processes(by_id, messages):
    """Zeebe correlates a message to one subscription of a process: a second one (a catch
    event, a boundary) would make which of them takes it a matter of chance."""
    for message, start in (
        (Message.PAUSE, Element.PAUSE_REQUESTED),
        (Message.PROMOTE_FULL, Element.PROMOTE_FULL_REQUESTED),
    ):
        catching = [
            i
            for i, e in by_id.items()
            if e.find("bpmn:messageEventDefinition", NS) is not None
            and message_name(by_id, messages, i) == message
        ]
        assert catching == [start]


def test_every_resume_is_caught_where_a_paused_step_waits_and_clears_paused(by_id, messages):
    catching = {
        i
        for i, e in by_id.items()
        if e.find("bpmn:messageEventDefinition", NS) is not None
        and message_name(by_id, messages, i) == Message.RESUME
    }
    assert catching == {
        Element.RESUMED_DURING_APPROVAL,
        Element.RESUMED_WHILE_BAKING,
        Element.RESUMED_BEFORE_RATE,
        Element.RESUMED,
        Element.RESUMED_AFTER_MANUAL,
    }
    for resumed in catching:
        assert output_mappings(by_id[resumed]) == {Variable.PAUSED: "= false"}, resumed
    boundary = by_id[Element.RESUMED_DURING_APPROVAL]
    assert boundary.get("attachedToRef") == Element.APPROVE_STEP
    assert boundary.get("cancelActivity") == "false"  # the approval stays open
    # Where each is caught is a resume point: statuses and the CLI read those.
    assert set(contract.RESUME_POINTS) == {
        Element.APPROVE_STEP,
        Element.WAIT_FOR_LOOK,
        Element.RESUMED_BEFORE_RATE,
        Element.RESUMED,
        Element.RESUMED_AFTER_MANUAL,
    }


def test_a_resume_after_a_hand_change_sets_the_steps_rate_without_checking_again(by_id, flows):
    # A `set rate` of its own (action resume), so nothing hangs on variable scopes: the
    # step's `set rate` would find the hand-set rate again and pause forever.
    assert targets(flows, Element.RESUMED_AFTER_MANUAL) == [Element.SET_RATE_RESUMED]
    [joined] = targets(flows, Element.SET_RATE_RESUMED)
    assert targets(flows, joined) == [Element.NOTIFY_STEP]
    assert joined in targets(flows, "changed-by-hand")


def test_approval_is_a_camunda_user_task_with_a_linked_form(by_id):
    task = by_id[Element.APPROVE_STEP]
    assert local_name(task) == "userTask"
    assert task.find("bpmn:extensionElements/zeebe:userTask", NS) is not None
    form = task.find("bpmn:extensionElements/zeebe:formDefinition", NS)
    assert form is not None
    assert form.get("formId") == json.loads(FORM.read_text(encoding="utf-8"))["id"]


def test_incoming_and_outgoing_lists_match_the_sequence_flows(by_id, flows):
    for node_id, node in by_id.items():
        if local_name(node) == "sequenceFlow":
            continue
        listed_in = sorted(e.text or "" for e in node.findall("bpmn:incoming", NS))
        listed_out = sorted(e.text or "" for e in node.findall("bpmn:outgoing", NS))
        assert listed_in == sorted(i for i, f in flows.items() if f.get("targetRef") == node_id)
        assert listed_out == sorted(i for i, f in flows.items() if f.get("sourceRef") == node_id)


def flow_nodes(by_id: dict[str, ET.Element]) -> set[str]:
    """Ids of what the diagram draws: flow nodes and flows, not definitions inside them."""
    drawn_kinds = {"sequenceFlow", "subProcess", "serviceTask", "userTask", "exclusiveGateway"}
    return {
        i
        for i, e in by_id.items()
        if local_name(e) in drawn_kinds or local_name(e).endswith(("Event", "Gateway"))
    }


def test_every_flow_element_is_drawn_exactly_once(definitions, by_id):
    plane = definitions.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane is not None
    assert plane.get("bpmnElement") == contract.PROCESS_ID
    drawn = [
        d.get("bpmnElement", "")
        for d in [*plane.findall("bpmndi:BPMNShape", NS), *plane.findall("bpmndi:BPMNEdge", NS)]
    ]
    assert sorted(drawn) == sorted(flow_nodes(by_id))
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        assert len(edge.findall("di:waypoint", NS)) >= 2, edge.get("bpmnElement")
    for shape in plane.findall("bpmndi:BPMNShape", NS):
        if shape.get("bpmnElement") in {
            Element.STEPS,
            Element.ABORT,
            Element.PAUSE,
            Element.PROMOTE_FULL,
        }:
            assert shape.get("isExpanded") == "true"


# -- the picture ------------------------------------------------------------------------------


def test_svg_draws_every_element_of_the_model(by_id):
    assert svg_element_ids(SVG) - {contract.PROCESS_ID} == flow_nodes(by_id), RERENDER


def test_svg_was_rendered_from_the_committed_model():
    assert svg_model_hash(SVG) == sha256_of(MODEL), RERENDER


def test_png_was_rendered_from_the_committed_model():
    assert png_text_chunks(PNG.read_bytes()).get(HASH_KEYWORD) == sha256_of(MODEL), RERENDER
