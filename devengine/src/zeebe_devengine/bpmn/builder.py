"""Write small BPMN models in code (tests, benchmarks): the engine's subset, valid for Zeebe too.

    xml = definitions(
        process(
            "order",
            start_event("start"),
            service_task("pay", "payment"),
            end_event("end"),
            *chain("start", "pay", "end"),
        )
    )

Each helper returns an XML fragment; `definitions` wraps processes with the namespaces and
the ``bpmn:error``/``bpmn:message`` declarations. Models without diagram information deploy
on Zeebe as they do here.
"""

import itertools
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

_NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
    'modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.9.0"'
)


def _attrs(**values: object) -> str:
    return "".join(
        f" {name}={quoteattr(str(value))}" for name, value in values.items() if value is not None
    )


def definitions(
    *processes: str,
    errors: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
) -> str:
    """`errors`: error id -> errorCode (empty: no code); `messages`: message id -> name."""
    declarations = [
        f"<bpmn:error{_attrs(id=error_id, errorCode=code or None)}/>"
        for error_id, code in (errors or {}).items()
    ]
    declarations += [
        f"<bpmn:message{_attrs(id=message_id, name=name)}/>"
        for message_id, name in (messages or {}).items()
    ]
    body = "\n".join([*processes, *declarations])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions {_NAMESPACES} id="definitions" '
        f'targetNamespace="http://bpmn.io/schema/bpmn">\n{body}\n</bpmn:definitions>\n'
    )


def process(process_id: str, *elements: str, name: str | None = None) -> str:
    inner = "\n".join(elements)
    return (
        f'<bpmn:process{_attrs(id=process_id, name=name)} isExecutable="true">\n'
        f"{inner}\n</bpmn:process>"
    )


def start_event(element_id: str, *, message_ref: str | None = None) -> str:
    if message_ref is None:
        return f"<bpmn:startEvent{_attrs(id=element_id)}/>"
    return (
        f"<bpmn:startEvent{_attrs(id=element_id)}>"
        f"<bpmn:messageEventDefinition{_attrs(messageRef=message_ref)}/></bpmn:startEvent>"
    )


def end_event(element_id: str, *, error_ref: str | None = None) -> str:
    if error_ref is None:
        return f"<bpmn:endEvent{_attrs(id=element_id)}/>"
    return (
        f"<bpmn:endEvent{_attrs(id=element_id)}>"
        f"<bpmn:errorEventDefinition{_attrs(errorRef=error_ref)}/></bpmn:endEvent>"
    )


def _io_mapping(inputs: Mapping[str, str], outputs: Mapping[str, str]) -> str:
    if not inputs and not outputs:
        return ""
    mappings = [
        f"<zeebe:input{_attrs(source=source, target=target)}/>" for target, source in inputs.items()
    ] + [
        f"<zeebe:output{_attrs(source=source, target=target)}/>"
        for target, source in outputs.items()
    ]
    return "<zeebe:ioMapping>" + "".join(mappings) + "</zeebe:ioMapping>"


def service_task(
    element_id: str,
    job_type: str,
    *,
    retries: int | str | None = None,
    headers: Mapping[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
    outputs: Mapping[str, str] | None = None,
) -> str:
    """`inputs`/`outputs` map target variable -> source (``"=expression"`` or a static value)."""
    extensions = f"<zeebe:taskDefinition{_attrs(type=job_type, retries=retries)}/>"
    if headers:
        extensions += (
            "<zeebe:taskHeaders>"
            + "".join(
                f"<zeebe:header{_attrs(key=key, value=value)}/>" for key, value in headers.items()
            )
            + "</zeebe:taskHeaders>"
        )
    extensions += _io_mapping(inputs or {}, outputs or {})
    return (
        f"<bpmn:serviceTask{_attrs(id=element_id)}><bpmn:extensionElements>{extensions}"
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def business_rule_task(
    element_id: str,
    decision_id: str,
    result_variable: str,
    *,
    binding: str | None = None,
    inputs: Mapping[str, str] | None = None,
    outputs: Mapping[str, str] | None = None,
) -> str:
    """A business-rule task calling a decision (``zeebe:calledDecision``); `decision_id` may
    be an expression (``"=..."``). `binding` is Zeebe's bindingType (latest when omitted)."""
    called = _attrs(decisionId=decision_id, resultVariable=result_variable, bindingType=binding)
    extensions = f"<zeebe:calledDecision{called}/>" + _io_mapping(inputs or {}, outputs or {})
    return (
        f"<bpmn:businessRuleTask{_attrs(id=element_id)}><bpmn:extensionElements>{extensions}"
        "</bpmn:extensionElements></bpmn:businessRuleTask>"
    )


def exclusive_gateway(element_id: str, *, default: str | None = None) -> str:
    return f"<bpmn:exclusiveGateway{_attrs(id=element_id, default=default)}/>"


def parallel_gateway(element_id: str) -> str:
    return f"<bpmn:parallelGateway{_attrs(id=element_id)}/>"


def _timer(duration: str) -> str:
    return (
        "<bpmn:timerEventDefinition>"
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(duration)}'
        "</bpmn:timeDuration></bpmn:timerEventDefinition>"
    )


def timer_catch_event(element_id: str, duration: str) -> str:
    return (
        f"<bpmn:intermediateCatchEvent{_attrs(id=element_id)}>{_timer(duration)}"
        "</bpmn:intermediateCatchEvent>"
    )


def error_boundary_event(element_id: str, attached_to: str, *, error_ref: str | None) -> str:
    """An interrupting error boundary; `error_ref` None catches every error."""
    return (
        f"<bpmn:boundaryEvent{_attrs(id=element_id, attachedToRef=attached_to)}>"
        f"<bpmn:errorEventDefinition{_attrs(errorRef=error_ref)}/></bpmn:boundaryEvent>"
    )


def timer_boundary_event(
    element_id: str, attached_to: str, duration: str, *, interrupting: bool = True
) -> str:
    attributes = _attrs(
        id=element_id,
        attachedToRef=attached_to,
        cancelActivity=None if interrupting else "false",
    )
    return f"<bpmn:boundaryEvent{attributes}>{_timer(duration)}</bpmn:boundaryEvent>"


def flow(flow_id: str, source: str, target: str, *, condition: str | None = None) -> str:
    if condition is None:
        return f"<bpmn:sequenceFlow{_attrs(id=flow_id, sourceRef=source, targetRef=target)}/>"
    return (
        f"<bpmn:sequenceFlow{_attrs(id=flow_id, sourceRef=source, targetRef=target)}>"
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def chain(*element_ids: str) -> list[str]:
    """Sequence flows joining the elements in order (ids ``a-to-b``)."""
    return [flow(f"{a}-to-{b}", a, b) for a, b in itertools.pairwise(element_ids)]


def one_task_process(process_id: str, job_type: str, *, extra: Iterable[str] = ()) -> str:
    """start -> one service task -> end: the smallest useful model."""
    return definitions(
        process(
            process_id,
            start_event("start"),
            service_task("task", job_type),
            end_event("end"),
            *chain("start", "task", "end"),
            *extra,
        )
    )
