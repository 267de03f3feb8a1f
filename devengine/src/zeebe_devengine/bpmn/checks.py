"""Structural rules of a parsed process: what Zeebe refuses at deploy time, checked here too.

Start events take no incoming flows and end events no outgoing ones; conditions belong on
flows leaving exclusive and inclusive gateways, whose other flows need one unless they are
the default; boundary events attach to activities, with at most one catch per error code;
event-based gateways lead to message or timer catch events; an embedded sub-process has one
none start event, an event sub-process one start event with a trigger.
"""

from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    Container,
    ElementType,
    EndEvent,
    EventBasedGateway,
    ExclusiveGateway,
    FlowNode,
    InclusiveGateway,
    IntermediateCatchEvent,
    ParallelGateway,
    StartEvent,
    SubProcess,
    TriggerKind,
)
from zeebe_devengine.bpmn.xml import Problems

_NOT_ACTIVITIES = (
    StartEvent,
    EndEvent,
    BoundaryEvent,
    IntermediateCatchEvent,
    ExclusiveGateway,
    InclusiveGateway,
    ParallelGateway,
    EventBasedGateway,
)


def start_events(
    process_id: str, body: Container, problems: Problems
) -> tuple[StartEvent | None, dict[str, StartEvent], list[StartEvent]]:
    """The none start event (at most one), message start events by name, timer starts."""
    starts = [node for node in body.nodes.values() if isinstance(node, StartEvent)]
    none_starts = [node for node in starts if node.trigger.kind is TriggerKind.NONE]
    message_starts: dict[str, StartEvent] = {}
    for node in starts:
        name = node.message_name if node.trigger.kind is TriggerKind.MESSAGE else None
        if name is not None:
            if name in message_starts:
                problems.add(
                    node.id,
                    f"Multiple message start events with the same name '{name}' are not allowed",
                )
            message_starts[name] = node
    timer_starts = [node for node in starts if node.trigger.kind is TriggerKind.TIMER]
    if not starts:
        problems.add(process_id, "Must have at least one start event")
    if len(none_starts) > 1:
        problems.add(process_id, "Must have exactly one none start event")
    return (none_starts[0] if none_starts else None), message_starts, timer_starts


def link_boundaries(
    nodes: dict[str, FlowNode], targets: dict[str, str], problems: Problems
) -> None:
    """Attach each boundary event to its activity (in the same container)."""
    for boundary_id, attached_id in targets.items():
        boundary = nodes.get(boundary_id)
        activity = nodes.get(attached_id)
        if not isinstance(boundary, BoundaryEvent):  # pragma: no cover - built together
            continue
        if (
            activity is None
            or isinstance(activity, _NOT_ACTIVITIES)
            or (isinstance(activity, SubProcess) and activity.triggered_by_event)
            or activity.container is not boundary.container
        ):
            what = "an unknown element" if activity is None else f"'{attached_id}'"
            problems.add(
                boundary_id,
                f"Boundary events can only be attached to activities of the same scope, "
                f"not to {what}",
            )
            continue
        boundary.attached_to = activity
        activity.boundary_events.append(boundary)


def check_structure(
    nodes: dict[str, FlowNode], defaults: dict[str, str], problems: Problems
) -> None:
    """Flow rules: no flows into starts, none out of ends, conditions only on gateways."""
    for node in nodes.values():
        if isinstance(node, StartEvent | BoundaryEvent) and node.incoming:
            problems.add(node.id, "Must not have incoming sequence flows")
        if (isinstance(node, EndEvent) or node.type is ElementType.END_EVENT) and node.outgoing:
            problems.add(node.id, "Must not have outgoing sequence flows")
        if isinstance(node, ExclusiveGateway | InclusiveGateway):
            _check_conditional_gateway(node, defaults, problems)
        else:
            for flow in node.outgoing:
                if flow.condition is not None:
                    problems.add(
                        flow.id,
                        "Conditions are only supported on flows leaving an exclusive or "
                        "inclusive gateway",
                    )
        if isinstance(node, InclusiveGateway):
            node.upstream = _upstream(node)
        if isinstance(node, EventBasedGateway):
            _check_event_gateway(node, problems)
        if isinstance(node, SubProcess):
            _check_sub_process(node, problems)
        _check_error_boundaries(node, problems)


def _upstream(gateway: FlowNode) -> frozenset[str]:
    """Ids of the nodes from which a token can still reach `gateway` (for its join)."""
    seen: set[str] = set()
    stack = [flow.source for flow in gateway.incoming]
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        stack.extend(flow.source for flow in node.incoming)
        stack.extend(node.boundary_events)
        if isinstance(node, BoundaryEvent) and node.attached_to is not None:
            stack.append(node.attached_to)
    return frozenset(seen)


def _check_conditional_gateway(
    gateway: ExclusiveGateway | InclusiveGateway, defaults: dict[str, str], problems: Problems
) -> None:
    default_id = defaults.get(gateway.id)
    if default_id is not None:
        default = next((f for f in gateway.outgoing if f.id == default_id), None)
        if default is None:
            problems.add(gateway.id, f"The default flow '{default_id}' must leave this gateway")
        elif default.condition is not None:
            problems.add(default.id, "A default flow must not have a condition")
        gateway.default_flow = default
    if len(gateway.outgoing) > 1 or isinstance(gateway, InclusiveGateway):
        for flow in gateway.outgoing:
            if flow is not gateway.default_flow and flow.condition is None:
                if len(gateway.outgoing) == 1:
                    continue
                problems.add(flow.id, "Must have a condition or be the default flow of the gateway")


def _check_event_gateway(gateway: EventBasedGateway, problems: Problems) -> None:
    if len(gateway.outgoing) < 2:
        problems.add(gateway.id, "An event-based gateway must have at least 2 outgoing flows")
    for flow in gateway.outgoing:
        target = flow.target
        if not isinstance(target, IntermediateCatchEvent):
            problems.add(
                gateway.id,
                "An event-based gateway may only lead to message or timer intermediate "
                f"catch events, not to '{target.id}'",
            )
        elif len(target.incoming) > 1:
            problems.add(
                target.id, "A target of an event-based gateway must have one incoming flow"
            )


def _check_sub_process(node: SubProcess, problems: Problems) -> None:
    starts = [n for n in node.body.nodes.values() if isinstance(n, StartEvent)]
    if node.triggered_by_event:
        if node.incoming or node.outgoing:
            problems.add(node.id, "An event sub-process must not have sequence flows")
        if len(starts) != 1 or starts[0].trigger.kind is TriggerKind.NONE:
            problems.add(node.id, "An event sub-process needs one start event with a trigger")
        return
    if len(starts) != 1:
        problems.add(node.id, "An embedded sub-process must have exactly one none start event")
    else:
        node.body.none_start = starts[0]


def _check_error_boundaries(node: FlowNode, problems: Problems) -> None:
    codes: set[str | None] = set()
    for boundary in node.boundary_events:
        if not boundary.catches_errors:
            continue
        if boundary.error_code in codes:
            what = (
                f"error code '{boundary.error_code}'"
                if boundary.error_code is not None
                else "no error code (catch-all)"
            )
            problems.add(boundary.id, f"Multiple error boundary events on '{node.id}' with {what}")
        codes.add(boundary.error_code)
