"""Structural rules of a parsed process: what Zeebe refuses at deploy time, checked here too.

Start events take no incoming flows and end events no outgoing ones; conditions belong on
flows leaving exclusive gateways, whose other flows need one unless they are the default;
boundary events attach to service tasks, with at most one catch per error code.
"""

from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    EndEvent,
    ExclusiveGateway,
    FlowNode,
    ServiceTask,
    StartEvent,
)
from zeebe_devengine.bpmn.xml import Problems


def start_events(
    process_id: str, nodes: dict[str, FlowNode], problems: Problems
) -> tuple[StartEvent | None, dict[str, StartEvent]]:
    """The none start event (at most one) and the message start events by message name."""
    none_starts = [
        node
        for node in nodes.values()
        if isinstance(node, StartEvent) and node.message_name is None
    ]
    message_starts: dict[str, StartEvent] = {}
    for node in nodes.values():
        if isinstance(node, StartEvent) and node.message_name is not None:
            if node.message_name in message_starts:
                problems.add(
                    node.id,
                    f"Multiple message start events with the same name "
                    f"'{node.message_name}' are not allowed",
                )
            message_starts[node.message_name] = node
    if not none_starts and not message_starts:
        problems.add(process_id, "Must have at least one start event")
    if len(none_starts) > 1:
        problems.add(process_id, "Must have exactly one none start event")
    return (none_starts[0] if none_starts else None), message_starts


def link_boundaries(
    nodes: dict[str, FlowNode], targets: dict[str, str], problems: Problems
) -> None:
    """Attach each boundary event to its service task (nothing else can carry one)."""
    for boundary_id, attached_id in targets.items():
        boundary = nodes[boundary_id]
        task = nodes.get(attached_id)
        if not isinstance(boundary, BoundaryEvent):  # pragma: no cover - built together
            continue
        if not isinstance(task, ServiceTask):
            what = "an unknown element" if task is None else f"'{attached_id}'"
            problems.add(
                boundary_id,
                f"Boundary events can only be attached to service tasks, not to {what}",
            )
            continue
        boundary.attached_to = task
        task.boundary_events.append(boundary)


def check_structure(
    nodes: dict[str, FlowNode], defaults: dict[str, str], problems: Problems
) -> None:
    """Flow rules: no flows into starts, none out of ends, conditions only on gateways."""
    for node in nodes.values():
        if isinstance(node, StartEvent | BoundaryEvent) and node.incoming:
            problems.add(node.id, "Must not have incoming sequence flows")
        if isinstance(node, EndEvent) and node.outgoing:
            problems.add(node.id, "Must not have outgoing sequence flows")
        if not isinstance(node, ExclusiveGateway):
            for flow in node.outgoing:
                if flow.condition is not None:
                    problems.add(
                        flow.id,
                        "Conditions are only supported on flows leaving an exclusive gateway",
                    )
        else:
            _check_exclusive_gateway(node, defaults, problems)
        if isinstance(node, ServiceTask):
            _check_error_boundaries(node, problems)


def _check_exclusive_gateway(
    gateway: ExclusiveGateway, defaults: dict[str, str], problems: Problems
) -> None:
    default_id = defaults.get(gateway.id)
    if default_id is not None:
        default = next((f for f in gateway.outgoing if f.id == default_id), None)
        if default is None:
            problems.add(gateway.id, f"The default flow '{default_id}' must leave this gateway")
        elif default.condition is not None:
            problems.add(default.id, "A default flow must not have a condition")
        gateway.default_flow = default
    if len(gateway.outgoing) > 1:
        for flow in gateway.outgoing:
            if flow is not gateway.default_flow and flow.condition is None:
                problems.add(flow.id, "Must have a condition or be the default flow of the gateway")


def _check_error_boundaries(task: ServiceTask, problems: Problems) -> None:
    codes: set[str | None] = set()
    for boundary in task.boundary_events:
        if not boundary.catches_errors:
            continue
        if boundary.error_code in codes:
            what = (
                f"error code '{boundary.error_code}'"
                if boundary.error_code is not None
                else "no error code (catch-all)"
            )
            problems.add(boundary.id, f"Multiple error boundary events on '{task.id}' with {what}")
        codes.add(boundary.error_code)
