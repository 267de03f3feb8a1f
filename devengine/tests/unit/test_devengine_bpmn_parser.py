"""BPMN parsing: the supported subset becomes a model; everything else is refused by name."""

import contextlib

import bpmn_parts as bpmn
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    ExclusiveGateway,
    IntermediateCatchEvent,
    ParallelGateway,
    Process,
    ServiceTask,
)
from zeebe_devengine.bpmn.parser import parse_bpmn
from zeebe_devengine.errors import InvalidArgumentError

BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def parse(xml: str) -> list[Process]:
    return parse_bpmn("model.bpmn", xml.encode())


def refusal(xml: str) -> str:
    with pytest.raises(InvalidArgumentError) as caught:
        parse(xml)
    return str(caught.value)


def identity_like() -> str:
    """The shape of our identity-verification model, with diagram and modeler extras."""
    return bpmn.definitions(
        bpmn.process(
            "identity",
            bpmn.start_event("submitted"),
            bpmn.service_task("choose", "choose-version", retries=3, headers={"rollout": "vmn"}),
            bpmn.exclusive_gateway("which", default="to-v1"),
            bpmn.flow("to-v2", "which", "verify-v2", condition="= useVersion = 2"),
            bpmn.flow("to-v1", "which", "verify-v1"),
            bpmn.service_task("verify-v1", "verify-identity-v1"),
            bpmn.service_task("verify-v2", "verify-identity-v2", inputs={"subject": "=applicant"}),
            bpmn.error_boundary_event("rejected", "verify-v2", error_ref="err-rejected"),
            bpmn.error_boundary_event("unreadable", "verify-v2", error_ref="err-unreadable"),
            bpmn.end_event("rejected-end"),
            bpmn.end_event("unreadable-end"),
            bpmn.exclusive_gateway("joined"),
            bpmn.end_event("verified"),
            *bpmn.chain("submitted", "choose", "which"),
            bpmn.flow("v1-joined", "verify-v1", "joined"),
            bpmn.flow("v2-joined", "verify-v2", "joined"),
            *bpmn.chain("joined", "verified"),
            *bpmn.chain("rejected", "rejected-end"),
            *bpmn.chain("unreadable", "unreadable-end"),
            "<bpmn:documentation>Routes to v1 or v2</bpmn:documentation>",
            '<bpmn:laneSet id="lanes"><bpmn:lane id="lane"/></bpmn:laneSet>',
            '<bpmn:textAnnotation id="note"><bpmn:text>hi</bpmn:text></bpmn:textAnnotation>',
        ),
        errors={"err-rejected": "IDENTITY_REJECTED", "err-unreadable": "DOCUMENT_UNREADABLE"},
    ).replace(
        "</bpmn:definitions>",
        '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="d">'
        '<bpmndi:BPMNPlane id="p" bpmnElement="identity"/></bpmndi:BPMNDiagram>'
        "</bpmn:definitions>",
    )


def test_identity_shaped_model_parses_with_its_routing_and_error_paths() -> None:
    [model] = parse(identity_like())
    assert model.id == "identity"
    assert model.none_start is model.nodes["submitted"]
    which = model.nodes["which"]
    assert isinstance(which, ExclusiveGateway)
    assert which.default_flow is model.flows["to-v1"]
    condition = model.flows["to-v2"].condition
    assert condition is not None
    assert condition.text == "useVersion = 2"
    verify = model.nodes["verify-v2"]
    assert isinstance(verify, ServiceTask)
    assert {b.error_code for b in verify.boundary_events} == {
        "IDENTITY_REJECTED",
        "DOCUMENT_UNREADABLE",
    }
    assert len(model.nodes["joined"].incoming) == 2  # the converging gateway
    choose = model.nodes["choose"]
    assert isinstance(choose, ServiceTask)
    assert choose.headers_json == '{"rollout": "vmn"}'
    assert verify.inputs[0].target == ("subject",)


def test_timers_parallel_gateways_and_catch_all_errors_parse() -> None:
    [model] = parse(
        bpmn.definitions(
            bpmn.process(
                "p",
                bpmn.start_event("s"),
                bpmn.parallel_gateway("fork"),
                bpmn.timer_catch_event("wait", "PT1M30S"),
                bpmn.service_task("work", "w"),
                bpmn.timer_boundary_event("late", "work", "PT10S", interrupting=False),
                bpmn.error_boundary_event("any-error", "work", error_ref=None),
                bpmn.parallel_gateway("join"),
                bpmn.end_event("e"),
                bpmn.end_event("late-end"),
                bpmn.end_event("error-end"),
                *bpmn.chain("s", "fork", "wait", "join", "e"),
                *bpmn.chain("fork", "work", "join"),
                *bpmn.chain("late", "late-end"),
                *bpmn.chain("any-error", "error-end"),
            )
        )
    )
    wait = model.nodes["wait"]
    assert isinstance(wait, IntermediateCatchEvent)
    assert wait.trigger.timer is not None
    assert wait.trigger.timer.value.static == "PT1M30S"
    late = model.nodes["late"]
    assert isinstance(late, BoundaryEvent)
    assert not late.interrupting
    late_timer = late.trigger.timer
    assert late_timer is not None
    assert late_timer.value.static == "PT10S"
    catch_all = model.nodes["any-error"]
    assert isinstance(catch_all, BoundaryEvent)
    assert catch_all.catches_errors
    assert catch_all.error_code is None
    assert isinstance(model.nodes["join"], ParallelGateway)


def test_message_start_event_is_registered_by_message_name() -> None:
    [model] = parse(
        bpmn.definitions(
            bpmn.process(
                "p",
                bpmn.start_event("s", message_ref="m"),
                bpmn.end_event("e"),
                *bpmn.chain("s", "e"),
            ),
            messages={"m": "application-received"},
        )
    )
    assert model.none_start is None
    assert model.message_starts["application-received"].id == "s"


def test_non_executable_processes_are_skipped() -> None:
    xml = bpmn.one_task_process("p", "t").replace('isExecutable="true"', 'isExecutable="false"')
    assert "Must contain at least one executable process" in refusal(xml)


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (
            (
                '<bpmn:callActivity id="call"><bpmn:extensionElements>'
                '<zeebe:calledElement processId="x" bindingType="deployment"/>'
                "</bpmn:extensionElements></bpmn:callActivity>"
            ),
            "bindingType 'deployment' is not supported by the dev engine",
        ),
        ('<bpmn:complexGateway id="cg"/>', "complexGateway"),
        ('<bpmn:transaction id="tx"/>', "transaction"),
        (
            '<bpmn:endEvent id="sig"><bpmn:signalEventDefinition/></bpmn:endEvent>',
            "Signal end events are not supported by the dev engine",
        ),
        (
            (
                '<bpmn:intermediateThrowEvent id="sig"><bpmn:signalEventDefinition/>'
                "</bpmn:intermediateThrowEvent>"
            ),
            "Signal intermediate throw events are not supported by the dev engine",
        ),
        (
            (
                '<bpmn:businessRuleTask id="rules"><bpmn:extensionElements>'
                '<zeebe:calledDecision decisionId="d" resultVariable="r" bindingType="versionTag"'
                ' versionTag="v1"/></bpmn:extensionElements></bpmn:businessRuleTask>'
            ),
            "bindingType 'versionTag' is not supported by the dev engine",
        ),
    ],
)
def test_elements_outside_the_subset_are_refused_naming_the_element(
    element: str, expected: str
) -> None:
    message = refusal(bpmn.one_task_process("p", "t", extra=[element]))
    assert expected in message
    assert "Element:" in message


def test_loops_and_multi_instance_without_a_collection_are_refused() -> None:
    standard = bpmn.one_task_process("p", "t").replace(
        "</bpmn:extensionElements></bpmn:serviceTask>",
        "</bpmn:extensionElements><bpmn:standardLoopCharacteristics/></bpmn:serviceTask>",
    )
    assert "standardLoopCharacteristics is not supported by the dev engine" in refusal(standard)
    bare = bpmn.one_task_process("p", "t").replace(
        "</bpmn:extensionElements></bpmn:serviceTask>",
        "</bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics/></bpmn:serviceTask>",
    )
    assert "needs an inputCollection expression" in refusal(bare)


def test_unknown_zeebe_behaviour_is_refused_but_foreign_extensions_are_ignored() -> None:
    listeners = bpmn.one_task_process("p", "t").replace(
        "</bpmn:extensionElements>",
        "<zeebe:executionListeners/></bpmn:extensionElements>",
    )
    assert "zeebe:executionListeners is not supported" in refusal(listeners)
    foreign = bpmn.one_task_process("p", "t").replace(
        "</bpmn:extensionElements>",
        '<acme:note xmlns:acme="urn:acme">ignored</acme:note>'
        '<zeebe:properties><zeebe:property name="a" value="b"/></zeebe:properties>'
        "</bpmn:extensionElements>",
    )
    assert parse(foreign)[0].id == "p"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            [
                bpmn.exclusive_gateway("g"),
                bpmn.flow("g1", "g", "end", condition="= x in [1, 2"),
                bpmn.flow("g2", "g", "end", condition="= x > 1"),
                bpmn.flow("t-g", "task", "g"),
            ],
            "expected ']'",
        ),
        (
            [
                bpmn.exclusive_gateway("g"),
                bpmn.flow("g1", "g", "end", condition="x > 1"),
                bpmn.flow("t-g", "task", "g"),
            ],
            "must be a FEEL expression starting with '='",
        ),
        (
            [
                bpmn.exclusive_gateway("g"),
                bpmn.flow("g1", "g", "end", condition="= x > 1"),
                bpmn.flow("g2", "g", "end"),
                bpmn.flow("t-g", "task", "g"),
            ],
            "Must have a condition or be the default flow",
        ),
        (
            [
                bpmn.exclusive_gateway("g", default="task-to-end"),
                bpmn.flow("g1", "g", "end"),
                bpmn.flow("t-g", "task", "g"),
            ],
            "The default flow 'task-to-end' must leave this gateway",
        ),
        ([bpmn.flow("cond", "task", "end", condition="= true")], "Conditions are only supported"),
        (
            [bpmn.error_boundary_event("b", "start", error_ref=None)],
            "can only be attached to activities",
        ),
        ([bpmn.timer_catch_event("t2", "R3/PT1M")], "not an ISO-8601 duration"),
        ([bpmn.timer_catch_event("t3", "P1M")], "years or months"),
        (
            [bpmn.flow("dup", "start", "end"), bpmn.flow("dup", "start", "end")],
            "used by more than one element",
        ),
        ([bpmn.start_event("second")], "Must have exactly one none start event"),
        ([bpmn.end_event("err-end", error_ref="missing")], "does not exist"),
        ([bpmn.flow("into-start", "end", "start")], "Must not have"),
    ],
)
def test_invalid_models_are_refused_with_the_reason(extra: list[str], expected: str) -> None:
    assert expected in refusal(bpmn.one_task_process("p", "t", extra=extra))


def test_service_task_needs_exactly_one_task_definition() -> None:
    xml = bpmn.definitions(
        bpmn.process("p", bpmn.start_event("s"), '<bpmn:serviceTask id="bare"/>')
    )
    assert "Must have exactly one 'zeebe:taskDefinition'" in refusal(xml)


def test_retries_must_be_a_number_or_an_expression() -> None:
    assert "must be a whole number" in refusal(
        bpmn.definitions(
            bpmn.process("p", bpmn.start_event("s"), bpmn.service_task("t", "x", retries="many"))
        )
    )
    [model] = parse(
        bpmn.definitions(
            bpmn.process("p", bpmn.start_event("s"), bpmn.service_task("t", "x", retries="=n"))
        )
    )
    task = model.nodes["t"]
    assert isinstance(task, ServiceTask)
    assert task.retries.expression is not None
    assert task.retries.expression.text == "n"


def test_non_interrupting_error_boundaries_and_duplicate_codes_are_refused() -> None:
    xml = bpmn.one_task_process(
        "p",
        "t",
        extra=[
            bpmn.error_boundary_event("a", "task", error_ref="e"),
            bpmn.error_boundary_event("b", "task", error_ref="e"),
        ],
    ).replace("</bpmn:definitions>", '<bpmn:error id="e" errorCode="X"/></bpmn:definitions>')
    assert "Multiple error boundary events on 'task' with error code 'X'" in refusal(xml)
    timer_only = bpmn.timer_boundary_event("t", "task", "PT1S", interrupting=False)
    error_xml = timer_only.replace(
        "<bpmn:timerEventDefinition>", "<bpmn:errorEventDefinition/><!--"
    ).replace("</bpmn:timerEventDefinition>", "-->")
    assert "Error boundary events must be interrupting" in refusal(
        bpmn.one_task_process("p", "t", extra=[error_xml])
    )


def test_all_problems_are_reported_together_in_zeebes_format() -> None:
    message = refusal(
        bpmn.one_task_process(
            "p", "t", extra=['<bpmn:callActivity id="u1"/>', '<bpmn:scriptTask id="s1"/>']
        )
    )
    assert message.startswith(
        "Expected to deploy new resources, but encountered the following errors:\n'model.bpmn':"
    )
    assert "- Element: u1\n    - ERROR:" in message
    assert "- Element: s1\n    - ERROR:" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "not well-formed"),
        (b"<bpmn:definitions", "not well-formed"),
        (b"<root/>", "expected a BPMN 2.0 'definitions' root element"),
        (b"\xff\xfe\x00garbage", "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]><x>&a;</x>',
            "DOCTYPE",
        ),
        (f"<bpmn:definitions {BPMN_NS}/>".encode(), "at least one executable process"),
    ],
)
def test_broken_documents_are_refused_with_one_line_reasons(content: bytes, expected: str) -> None:
    with pytest.raises(InvalidArgumentError, match=expected):
        parse_bpmn("broken.bpmn", content)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_dtd_is_refused_in_any_encoding_not_only_utf_8(encoding: str) -> None:
    # A byte filter for '<!DOCTYPE' misses UTF-16: its bytes are '<\0!\0D\0...'. The parser
    # refuses the DTD after decoding, so the entity never expands.
    declared = encoding.split("-le", maxsplit=1)[0].upper()
    model = identity_like().replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    document = (
        f'<?xml version="1.0" encoding="{declared}"?>'
        '<!DOCTYPE bpmn:definitions [<!ENTITY boom "boomboomboomboom">]>' + model
    ).encode(encoding)
    with pytest.raises(InvalidArgumentError, match="DOCTYPE or entity declarations"):
        parse_bpmn("encoded.bpmn", document)
    plain = (f'<?xml version="1.0" encoding="{declared}"?>' + model).encode(encoding)
    assert parse_bpmn("encoded.bpmn", plain)


VALID = identity_like().encode()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_parser(content: bytes) -> None:
    with contextlib.suppress(InvalidArgumentError):
        parse_bpmn("fuzz.bpmn", content)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(VALID) - 1),
            st.integers(min_value=0, max_value=40),
            st.sampled_from(
                [b"", b"<", b">", b'"', b"=", b"/", b"x", b"bpmn:", b"&", b"\x00", b"\xe9"]
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_valid_models_parse_or_are_refused_never_crash(
    mutations: list[tuple[int, int, bytes]],
) -> None:
    content = VALID
    for position, length, replacement in mutations:
        content = content[:position] + replacement + content[position + length :]
    try:
        models = parse_bpmn("fuzz.bpmn", content)
    except InvalidArgumentError as exc:
        message = str(exc)
        models = []
    else:
        message = "parsed"
    assert message
    assert all(model.id for model in models)
