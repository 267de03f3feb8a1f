"""The executable model the parser builds from BPMN XML: flow nodes, sequence flows, mappings.

Only what the engine executes is kept; diagram information and modeler attributes are dropped
by the parser. Every expression is parsed at deploy time, so a model that reaches the engine
can no longer fail to parse.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from zeebe_devengine.feel.parser import Expression


class ElementType(StrEnum):
    """BPMN element types, spelled as Zeebe records them (``bpmnElementType``)."""

    START_EVENT = "START_EVENT"
    END_EVENT = "END_EVENT"
    SERVICE_TASK = "SERVICE_TASK"
    EXCLUSIVE_GATEWAY = "EXCLUSIVE_GATEWAY"
    PARALLEL_GATEWAY = "PARALLEL_GATEWAY"
    INTERMEDIATE_CATCH_EVENT = "INTERMEDIATE_CATCH_EVENT"
    BOUNDARY_EVENT = "BOUNDARY_EVENT"


@dataclass(frozen=True, slots=True)
class Value:
    """An attribute that is either static or a FEEL expression evaluated at run time."""

    static: Any = None
    expression: Expression | None = None


@dataclass(frozen=True, slots=True)
class Mapping:
    """One ``zeebe:input``/``zeebe:output``: evaluate `source`, store it under `target`."""

    source: Value
    #: The target variable, split on dots (``a.b`` writes entry b of context a).
    target: tuple[str, ...]


@dataclass(eq=False, slots=True)
class SequenceFlow:
    id: str
    source: "FlowNode"
    target: "FlowNode"
    condition: Expression | None = None


@dataclass(eq=False, slots=True)
class FlowNode:
    id: str
    name: str | None
    type: ElementType
    incoming: list[SequenceFlow] = field(default_factory=list)
    outgoing: list[SequenceFlow] = field(default_factory=list)
    #: Output mappings (tasks and catch events): applied when the element completes.
    outputs: tuple[Mapping, ...] = ()


@dataclass(eq=False, slots=True)
class StartEvent(FlowNode):
    #: Name of the message that starts an instance here; None for the none start event.
    message_name: str | None = None


@dataclass(eq=False, slots=True)
class EndEvent(FlowNode):
    #: Error code thrown by an error end event; None for the none end event.
    error_code: str | None = None


@dataclass(eq=False, slots=True)
class ServiceTask(FlowNode):
    job_type: Value = field(default_factory=Value)
    retries: Value = field(default_factory=lambda: Value(static=3))
    #: ``zeebe:taskHeaders`` serialized once, as the ActivatedJob carries them.
    headers_json: str = "{}"
    inputs: tuple[Mapping, ...] = ()
    boundary_events: list["BoundaryEvent"] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class ExclusiveGateway(FlowNode):
    default_flow: SequenceFlow | None = None


@dataclass(eq=False, slots=True)
class ParallelGateway(FlowNode):
    pass


@dataclass(eq=False, slots=True)
class TimerCatchEvent(FlowNode):
    duration: Value = field(default_factory=Value)


@dataclass(eq=False, slots=True)
class BoundaryEvent(FlowNode):
    attached_to: ServiceTask | None = None
    interrupting: bool = True
    #: Error boundary: the code it catches; None with `catches_errors` means catch-all.
    catches_errors: bool = False
    error_code: str | None = None
    #: Timer boundary: its duration.
    timer: Value | None = None


@dataclass(eq=False, slots=True)
class Process:
    id: str
    name: str | None
    version_tag: str | None
    nodes: dict[str, FlowNode]
    flows: dict[str, SequenceFlow]
    none_start: StartEvent | None
    message_starts: dict[str, StartEvent]
