"""Runtime records: definitions, process instances, element instances, jobs, incidents.

Plain mutable records owned by the engine (`engine.Engine`); nothing here has behaviour
beyond small helpers. State names are Zeebe's and Operate's.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from zeebe_devengine.bpmn.model import FlowNode, Process
from zeebe_devengine.core.scheduler import Cancellable

DEFAULT_TENANT = "<default>"


class InstanceState(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


class JobState(StrEnum):
    ACTIVATABLE = "ACTIVATABLE"
    ACTIVATED = "ACTIVATED"
    #: Failed: waiting for its retry backoff, or (retries <= 0) for its incident's resolution.
    FAILED = "FAILED"
    #: ThrowError was not caught: waiting for the incident's resolution.
    ERROR_THROWN = "ERROR_THROWN"


class IncidentState(StrEnum):
    ACTIVE = "ACTIVE"
    RESOLVED = "RESOLVED"


class ErrorType(StrEnum):
    JOB_NO_RETRIES = "JOB_NO_RETRIES"
    UNHANDLED_ERROR_EVENT = "UNHANDLED_ERROR_EVENT"
    CONDITION_ERROR = "CONDITION_ERROR"
    EXTRACT_VALUE_ERROR = "EXTRACT_VALUE_ERROR"
    IO_MAPPING_ERROR = "IO_MAPPING_ERROR"
    CALLED_ELEMENT_ERROR = "CALLED_ELEMENT_ERROR"
    CALLED_DECISION_ERROR = "CALLED_DECISION_ERROR"
    DECISION_EVALUATION_ERROR = "DECISION_EVALUATION_ERROR"


@dataclass(eq=False, slots=True)
class ArchivedCounts:
    """Element statistics of finished instances that were pruned from memory."""

    instances: int = 0
    completed: Counter[str] = field(default_factory=Counter)
    canceled: Counter[str] = field(default_factory=Counter)


@dataclass(eq=False, slots=True)
class ProcessDefinition:
    key: int
    bpmn_process_id: str
    version: int
    resource_name: str
    process: Process
    resource: bytes
    deployment_key: int
    tenant_id: str = DEFAULT_TENANT
    #: Retained instances of this definition (live and finished), by key.
    instances: dict[int, "ProcessInstance"] = field(default_factory=dict)
    #: Pruned instances folded into counters, by end state (see `history`).
    archived: dict[InstanceState, ArchivedCounts] = field(default_factory=dict)
    #: Same, per root variable name and JSON value, for variables with few small values.
    archived_by_variable: dict[str, dict[str, dict[InstanceState, ArchivedCounts]]] = field(
        default_factory=dict
    )
    #: Variables with too many (or too long) values to keep counters for.
    untracked_variables: set[str] = field(default_factory=set)
    #: Finished instances share their element-id sets (most instances take the same path).
    interned: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        return self.process.name

    @property
    def version_tag(self) -> str | None:
        return self.process.version_tag


@dataclass(eq=False, slots=True)
class Scope:
    """A variable scope: the process instance's (root) or an element instance's (local)."""

    key: int
    parent: "Scope | None"
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class ElementInstance:
    key: int
    node: FlowNode
    instance: "ProcessInstance"
    state: InstanceState = InstanceState.ACTIVE
    #: Local scope, created when the element gets local variables.
    scope: Scope | None = None
    job: "Job | None" = None
    incident: "Incident | None" = None
    #: Timers and message subscriptions owned by this element (its own, its boundary
    #: events', and for a sub-process its event sub-processes').
    timers: list[Cancellable] = field(default_factory=list)
    #: The sub-process element this element runs in (None: directly in the process).
    parent: "ElementInstance | None" = None
    #: Sub-processes: their active children, activations not run yet, and join tokens.
    children: dict[int, "ElementInstance"] = field(default_factory=dict)
    pending: int = 0
    join_tokens: dict[str, Counter[str]] = field(default_factory=dict)
    #: Sub-processes: subscriptions of their event sub-processes (closed when they end, or
    #: when an interrupting one starts).
    event_subscriptions: list[Cancellable] = field(default_factory=list)
    #: A call activity's child instance, while it runs.
    child_instance: "ProcessInstance | None" = None
    #: Multi-instance: True for an inner instance (its body is `parent`), with its index;
    #: a body keeps its input items and how many inner instances it started.
    inner: bool = False
    loop_index: int = 0
    loop_items: list[Any] = field(default_factory=list)
    loop_started: int = 0
    #: A Camunda user task waiting on this element.
    user_task: "UserTask | None" = None
    #: When the element was entered (epoch ms; the REST element-instance search shows it).
    start_ms: int = 0

    @property
    def variable_scope(self) -> Scope:
        """Where lookups from this element start."""
        if self.scope is not None:
            return self.scope
        return self.parent.variable_scope if self.parent is not None else self.instance.root


@dataclass(eq=False, slots=True)
class ProcessInstance:
    key: int
    definition: ProcessDefinition
    root: Scope
    start_ms: int
    state: InstanceState = InstanceState.ACTIVE
    end_ms: int | None = None
    #: Active element instances, by key.
    active: dict[int, ElementInstance] = field(default_factory=dict)
    #: Ids of elements with at least one completed / terminated instance (for statistics).
    completed_ids: set[str] | frozenset[str] = field(default_factory=set)
    terminated_ids: set[str] | frozenset[str] = field(default_factory=set)
    #: Tokens waiting at parallel joins: gateway id -> incoming flow id -> count.
    join_tokens: dict[str, Counter[str]] = field(default_factory=dict)
    #: Element activations scheduled on the agenda but not run yet.
    pending_activations: int = 0
    incidents: list["Incident"] = field(default_factory=list)
    active_incidents: int = 0
    #: The call activity that started this instance (None for a root instance).
    parent_element: ElementInstance | None = None
    #: Set when a message start event created the instance with a correlation key.
    start_message: tuple[str, str] | None = None
    #: Subscriptions of the process scope's event sub-processes (closed when it ends).
    scope_timers: list[Cancellable] = field(default_factory=list)
    #: Called once when the instance completes (CreateProcessInstanceWithResult).
    on_completed: list[Callable[["ProcessInstance"], None]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state is not InstanceState.ACTIVE

    def pending_tokens(self) -> int:
        return sum(sum(counter.values()) for counter in self.join_tokens.values())


@dataclass(eq=False, slots=True)
class Job:
    key: int
    type: str
    element: ElementInstance
    retries: int
    state: JobState = JobState.ACTIVATABLE
    worker: str = ""
    deadline_ms: int = -1
    error_message: str = ""
    error_code: str = ""
    #: Bumped at each activation, so a stale deadline timer recognises itself.
    activation: int = 0
    timer: Cancellable | None = None


@dataclass(eq=False, slots=True)
class Incident:
    key: int
    error_type: ErrorType
    message: str
    element: ElementInstance
    created_ms: int
    job: Job | None = None
    state: IncidentState = IncidentState.ACTIVE
    #: What resolving retries when the incident is not about a job.
    retry: Callable[[], None] | None = None


class UserTaskState(StrEnum):
    CREATED = "CREATED"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


@dataclass(eq=False, slots=True)
class UserTask:
    """A Camunda user task (``zeebe:userTask``), as the REST API's user-task search shows it."""

    key: int
    element: ElementInstance
    created_ms: int
    assignee: str | None = None
    candidate_groups: list[str] = field(default_factory=list)
    candidate_users: list[str] = field(default_factory=list)
    state: UserTaskState = UserTaskState.CREATED
    completed_ms: int | None = None


@dataclass(frozen=True, slots=True)
class JobActivation:
    """A job as handed to a worker (the engine's view of ``ActivatedJob``)."""

    key: int
    type: str
    process_instance_key: int
    bpmn_process_id: str
    process_definition_version: int
    process_definition_key: int
    element_id: str
    element_instance_key: int
    custom_headers: str
    worker: str
    retries: int
    deadline: int
    variables: str
    tenant_id: str
