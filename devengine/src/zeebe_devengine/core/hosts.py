"""What each part of the engine may ask of the engine: small protocols, not the whole `Engine`.

The books (jobs, messages, history) and the flow live inside one `Engine`, which builds them
and hands itself over; each sees it only through the protocol below that names the few calls
it makes. So no module here imports `engine`, and a book can be built in a test around a
small fake. Direction: engine -> flow, books -> hosts -> state.
"""

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from zeebe_devengine.bpmn.model import FlowNode
from zeebe_devengine.core.decisions import DecisionResult
from zeebe_devengine.core.keys import KeyGenerator
from zeebe_devengine.core.scheduler import Cancellable, Scheduler
from zeebe_devengine.core.state import (
    ElementInstance,
    ErrorType,
    Incident,
    Job,
    ProcessDefinition,
    ProcessInstance,
    Scope,
    UserTask,
)


class Clock(Protocol):
    """Keys, the time, and actions later: what every part of the engine needs."""

    @property
    def keys(self) -> KeyGenerator: ...

    @property
    def scheduler(self) -> Scheduler: ...

    def call_later(self, delay_ms: int, action: Callable[[], None]) -> Cancellable:
        """Run `action` as its own engine step after `delay_ms`."""
        ...


class JobOutcomes(Protocol):
    """The token moves a job's outcome causes (implemented by `Flow`)."""

    def complete(self, element: ElementInstance, variables: dict[str, Any] | None = None) -> None:
        """Leave `element` with `variables` merged into its scope."""
        ...

    def throw_error(
        self,
        element: ElementInstance,
        code: str,
        message: str,
        variables: dict[str, Any],
        *,
        job: Job | None = None,
    ) -> None:
        """Catch the error at a boundary event of `element`, else raise an incident."""
        ...

    def raise_incident(
        self,
        element: ElementInstance,
        error_type: ErrorType,
        message: str,
        *,
        job: Job | None = None,
        retry: Callable[[], None] | None = None,
    ) -> Incident:
        """Stop `element` on an incident until it is resolved."""
        ...

    def local_scope(self, element: ElementInstance) -> Scope:
        """The element's own variable scope (created on first use)."""
        ...


class JobHost(Clock, Protocol):
    """What the job book asks of the engine."""

    @property
    def flow(self) -> JobOutcomes: ...

    def job_available(self, job_type: str) -> None:
        """Announce, at the end of the step, that jobs of this type can be activated."""
        ...


class InstanceStarter(Protocol):
    """Starting an instance (implemented by `Flow`)."""

    def start_instance(
        self,
        definition: ProcessDefinition,
        variables: dict[str, Any],
        start_nodes: list[FlowNode],
        *,
        start_message: tuple[str, str] | None = None,
    ) -> ProcessInstance:
        """Create an instance of `definition` and enter `start_nodes`."""
        ...


class MessageHost(Clock, Protocol):
    """What the message book asks of the engine."""

    def schedule(self, action: Callable[[], None]) -> None:
        """Queue a token move within the current step."""
        ...

    @property
    def flow(self) -> InstanceStarter: ...

    @property
    def versions(self) -> dict[str, list[ProcessDefinition]]: ...

    def latest(self, bpmn_process_id: str) -> ProcessDefinition | None:
        """The newest deployed version of a process, if any."""
        ...


class Retained(Protocol):
    """The engine's retained entities, from which history prunes finished instances."""

    @property
    def instances(self) -> dict[int, ProcessInstance]: ...

    @property
    def incidents(self) -> dict[int, Incident]: ...

    def forget_instance(self, instance_key: int) -> None:
        """A finished instance was pruned: drop what else refers to it (its user tasks)."""
        ...


class JobLifecycle(Protocol):
    """The job book's calls the flow makes (implemented by `JobBook`)."""

    def create(self, element: ElementInstance, job_type: str, retries: int) -> Job:
        """A new job for a service task's element."""
        ...

    def discard(self, job: Job) -> None:
        """The job's element was left: the job no longer exists."""
        ...

    def incident_resolved(self, job: Job) -> None:
        """The job's incident was resolved: activatable again if it has retries."""
        ...


class Subscriptions(Protocol):
    """Message subscriptions (implemented by `MessageBook`)."""

    def subscribe(
        self,
        process_id: str,
        name: str,
        correlation_key: str,
        on_message: Callable[[dict[str, Any]], None],
        *,
        repeat: bool = False,
        instance_key: int = 0,
    ) -> Cancellable:
        """Open a subscription; a buffered matching message is correlated at once."""
        ...


class UserTaskCreation(Protocol):
    """Creating user tasks (implemented by `UserTaskBook`)."""

    def create(
        self,
        element: ElementInstance,
        *,
        assignee: str | None,
        candidate_groups: list[str],
        candidate_users: list[str],
    ) -> UserTask:
        """A new user task waiting on `element`."""
        ...

    def ended(self, task: UserTask) -> None:
        """The task's element was left."""
        ...


class Decisions(Protocol):
    """Evaluating deployed decisions (implemented by `DecisionBook`)."""

    def evaluate_by_id(self, decision_id: str, variables: Mapping[str, Any]) -> DecisionResult:
        """The latest version of the decision, evaluated (NotFoundError when none)."""
        ...


class FlowHost(Clock, Retained, Protocol):
    """What the flow (the token interpreter) asks of the engine."""

    @property
    def element_instances(self) -> dict[int, ElementInstance]: ...

    @property
    def jobs(self) -> JobLifecycle: ...

    @property
    def messages(self) -> Subscriptions: ...

    @property
    def user_tasks(self) -> UserTaskCreation: ...

    @property
    def decisions(self) -> Decisions: ...

    def latest(self, bpmn_process_id: str) -> ProcessDefinition | None:
        """The newest deployed version of a process (call activities bind to it)."""
        ...

    def schedule(self, action: Callable[[], None]) -> None:
        """Queue a token move within the current step."""
        ...

    def instance_finished(self, instance: ProcessInstance) -> None:
        """Record a finished instance (history, message buffers, result waiters)."""
        ...
