"""The executable model the parser builds from BPMN XML: flow nodes, sequence flows, mappings.

Only what the engine executes is kept; diagram information and modeler attributes are dropped
by the parser. Every expression is parsed at deploy time, so a model that reaches the engine
can no longer fail to parse.

Flow nodes live in a container: the process, or an (event) sub-process. Events carry an
`EventTrigger` (none, timer, message, error, terminate); activities may carry boundary events.
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
    SEND_TASK = "SEND_TASK"
    SCRIPT_TASK = "SCRIPT_TASK"
    BUSINESS_RULE_TASK = "BUSINESS_RULE_TASK"
    USER_TASK = "USER_TASK"
    RECEIVE_TASK = "RECEIVE_TASK"
    MANUAL_TASK = "MANUAL_TASK"
    TASK = "TASK"
    SUB_PROCESS = "SUB_PROCESS"
    CALL_ACTIVITY = "CALL_ACTIVITY"
    EVENT_SUB_PROCESS = "EVENT_SUB_PROCESS"
    EXCLUSIVE_GATEWAY = "EXCLUSIVE_GATEWAY"
    PARALLEL_GATEWAY = "PARALLEL_GATEWAY"
    INCLUSIVE_GATEWAY = "INCLUSIVE_GATEWAY"
    EVENT_BASED_GATEWAY = "EVENT_BASED_GATEWAY"
    INTERMEDIATE_CATCH_EVENT = "INTERMEDIATE_CATCH_EVENT"
    INTERMEDIATE_THROW_EVENT = "INTERMEDIATE_THROW_EVENT"
    BOUNDARY_EVENT = "BOUNDARY_EVENT"


class TriggerKind(StrEnum):
    NONE = "none"
    TIMER = "timer"
    MESSAGE = "message"
    ERROR = "error"
    TERMINATE = "terminate"


class TimerKind(StrEnum):
    DURATION = "timeDuration"
    DATE = "timeDate"
    CYCLE = "timeCycle"


@dataclass(frozen=True, slots=True)
class Value:
    """An attribute that is either static or a FEEL expression evaluated at run time."""

    static: Any = None
    expression: Expression | None = None


@dataclass(frozen=True, slots=True)
class Timer:
    kind: TimerKind
    #: The text (a date, duration or cycle), static or from an expression.
    value: Value


@dataclass(frozen=True, slots=True)
class EventTrigger:
    kind: TriggerKind = TriggerKind.NONE
    timer: Timer | None = None
    #: Message events: the message name and the subscription's correlation key.
    message_name: Value | None = None
    correlation_key: Value | None = None
    #: Error events: the code (None on a catch event: catch-all).
    error_code: str | None = None


NONE_TRIGGER = EventTrigger()


@dataclass(frozen=True, slots=True)
class Mapping:
    """One ``zeebe:input``/``zeebe:output``: evaluate `source`, store it under `target`."""

    source: Value
    #: The target variable, split on dots (``a.b`` writes entry b of context a).
    target: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MultiInstance:
    """``multiInstanceLoopCharacteristics`` with ``zeebe:loopCharacteristics``."""

    sequential: bool
    input_collection: Expression
    input_element: str | None = None
    output_collection: str | None = None
    output_element: Expression | None = None
    completion_condition: Expression | None = None


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
    #: Input mappings (activities): evaluated on entry into the element's local scope.
    inputs: tuple[Mapping, ...] = ()
    #: Output mappings (activities and catch events): applied when the element completes.
    outputs: tuple[Mapping, ...] = ()
    boundary_events: list["BoundaryEvent"] = field(default_factory=list)
    #: The sub-process this node sits in (None: directly in the process).
    container: "SubProcess | None" = None
    #: Activities with a multi-instance marker.
    loop: MultiInstance | None = None


@dataclass(eq=False, slots=True)
class StartEvent(FlowNode):
    trigger: EventTrigger = NONE_TRIGGER
    #: Start events of event sub-processes: whether they interrupt their scope.
    interrupting: bool = True

    @property
    def message_name(self) -> str | None:
        """The static message name of a message start event of the process."""
        name = self.trigger.message_name
        return None if name is None else str(name.static)


@dataclass(eq=False, slots=True)
class EndEvent(FlowNode):
    trigger: EventTrigger = NONE_TRIGGER

    @property
    def error_code(self) -> str | None:
        return self.trigger.error_code if self.trigger.kind is TriggerKind.ERROR else None


@dataclass(eq=False, slots=True)
class IntermediateCatchEvent(FlowNode):
    trigger: EventTrigger = NONE_TRIGGER


@dataclass(eq=False, slots=True)
class IntermediateThrowEvent(FlowNode):
    pass


@dataclass(eq=False, slots=True)
class ServiceTask(FlowNode):
    """A job-worker task: service, send, script or business-rule task with a job type."""

    job_type: Value = field(default_factory=Value)
    retries: Value = field(default_factory=lambda: Value(static=3))
    #: ``zeebe:taskHeaders`` serialized once, as the ActivatedJob carries them.
    headers_json: str = "{}"


@dataclass(eq=False, slots=True)
class UserTask(FlowNode):
    """A Camunda user task (``zeebe:userTask``): waits for completion through the engine."""

    assignee: Value | None = None
    candidate_groups: Value | None = None
    candidate_users: Value | None = None


@dataclass(eq=False, slots=True)
class ReceiveTask(FlowNode):
    trigger: EventTrigger = NONE_TRIGGER


@dataclass(eq=False, slots=True)
class ScriptTask(FlowNode):
    """A ``zeebe:script`` task: a FEEL expression whose result is stored in a variable."""

    expression: Expression | None = None
    result_variable: str = ""


@dataclass(eq=False, slots=True)
class BusinessRuleTask(FlowNode):
    """A ``zeebe:calledDecision`` task: the latest version of a decision, evaluated on entry."""

    decision_id: Value = field(default_factory=Value)
    result_variable: str = ""


@dataclass(eq=False, slots=True)
class PassThroughTask(FlowNode):
    """Undefined and manual tasks, none intermediate throw events: completed at once."""


@dataclass(eq=False, slots=True)
class CallActivity(FlowNode):
    """``zeebe:calledElement``: an instance of the latest version of another process."""

    process_id: Value = field(default_factory=Value)
    propagate_all_child_variables: bool = True
    propagate_all_parent_variables: bool = True


@dataclass(eq=False, slots=True)
class ExclusiveGateway(FlowNode):
    default_flow: SequenceFlow | None = None


@dataclass(eq=False, slots=True)
class InclusiveGateway(FlowNode):
    default_flow: SequenceFlow | None = None
    #: Ids of the nodes (in the same container) from which this gateway can be reached.
    upstream: frozenset[str] = frozenset()


@dataclass(eq=False, slots=True)
class ParallelGateway(FlowNode):
    pass


@dataclass(eq=False, slots=True)
class EventBasedGateway(FlowNode):
    pass


@dataclass(eq=False, slots=True)
class BoundaryEvent(FlowNode):
    attached_to: FlowNode | None = None
    interrupting: bool = True
    trigger: EventTrigger = NONE_TRIGGER

    @property
    def catches_errors(self) -> bool:
        return self.trigger.kind is TriggerKind.ERROR

    @property
    def error_code(self) -> str | None:
        return self.trigger.error_code


@dataclass(eq=False, slots=True)
class Container:
    """What a process and a sub-process share: their nodes, start and event sub-processes."""

    nodes: dict[str, FlowNode] = field(default_factory=dict)
    none_start: StartEvent | None = None
    event_subprocesses: list["SubProcess"] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class SubProcess(FlowNode):
    body: Container = field(default_factory=Container)
    #: An event sub-process: started by its start event's trigger, never by a flow.
    triggered_by_event: bool = False

    @property
    def start(self) -> StartEvent | None:
        starts = [n for n in self.body.nodes.values() if isinstance(n, StartEvent)]
        return starts[0] if starts else None


@dataclass(eq=False, slots=True)
class Process:
    id: str
    name: str | None
    version_tag: str | None
    #: Every flow node of the process, nested ones included, by id.
    nodes: dict[str, FlowNode]
    flows: dict[str, SequenceFlow]
    none_start: StartEvent | None
    message_starts: dict[str, StartEvent]
    #: The top-level container (nodes directly in the process, its event sub-processes).
    body: Container = field(default_factory=Container)
    timer_starts: list[StartEvent] = field(default_factory=list)
