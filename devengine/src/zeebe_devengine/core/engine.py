"""The engine: one in-memory partition that deploys processes and runs their instances.

Every command is synchronous and atomic: it validates first (raising a DevEngineError and
changing nothing), then applies its effects and runs the instance forward until every token
waits (for a job, a timer, a join, an incident) or ends. Tokens move through an agenda rather
than by recursion, and after `STEP_BUDGET` steps the rest is continued on the next turn of
the event loop, so a model that loops through gateways forever cannot freeze the server
(Zeebe behaves the same way: such a loop keeps the partition busy but other commands pass).

Time comes from a `Scheduler` (deadlines, backoffs, timers); jobs that become activatable are
announced through `on_job_available`, which the gateway's long polling listens to.
"""

import contextlib
import hashlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from zeebe_devengine.bpmn.model import BoundaryEvent, FlowNode, Process
from zeebe_devengine.bpmn.parser import parse_bpmn
from zeebe_devengine.bpmn.xml import deploy_error
from zeebe_devengine.core.commands import RuntimeCommands
from zeebe_devengine.core.decisions import DecisionBook, DeployedDecision, DeployedGraph, is_dmn
from zeebe_devengine.core.flow import Flow
from zeebe_devengine.core.forms import DeployedForm, FormBook, is_form
from zeebe_devengine.core.history import History
from zeebe_devengine.core.jobs import JobBook
from zeebe_devengine.core.keys import KeyGenerator
from zeebe_devengine.core.messages import MessageBook
from zeebe_devengine.core.scheduler import Cancellable, Scheduler
from zeebe_devengine.core.state import (
    ElementInstance,
    Incident,
    IncidentState,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
    Scope,
)
from zeebe_devengine.core.usertasks import UserTaskBook
from zeebe_devengine.core.variables import propagate, set_local, visible
from zeebe_devengine.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from zeebe_devengine.feel.evaluate import epoch_clock

log = structlog.get_logger(__name__)

#: Agenda steps per command before the rest is continued on the next loop turn.
STEP_BUDGET = 20_000
#: Finished instances kept in full (for search and statistics) before older ones are pruned.
DEFAULT_RETAINED_FINISHED = 10_000
_RESOURCE_SUFFIXES = (".bpmn", ".xml")


@dataclass(frozen=True, slots=True)
class Deployment:
    key: int
    definitions: list[ProcessDefinition]
    decisions: list[DeployedDecision] = field(default_factory=list)
    requirements: list[DeployedGraph] = field(default_factory=list)
    forms: list[DeployedForm] = field(default_factory=list)


def _parse_processes(
    resources: Sequence[tuple[str, bytes]],
) -> list[tuple[str, bytes, list[Process]]]:
    """Each BPMN resource with its processes; a deploy error on the first problem."""
    parsed = []
    owners: dict[str, str] = {}
    for name, content in resources:
        if not name.lower().endswith(_RESOURCE_SUFFIXES):
            raise deploy_error(
                f"'{name}': Expected to deploy BPMN (.bpmn or .xml), DMN (.dmn) or form "
                "(.form) resources; the dev engine deploys these only"
            )
        processes = parse_bpmn(name, content)
        for process in processes:
            if process.id in owners:
                raise deploy_error(
                    f"Duplicated process id in resources '{owners[process.id]}' and '{name}'"
                )
            owners[process.id] = name
        parsed.append((name, content, processes))
    return parsed


class Engine(RuntimeCommands):
    def __init__(
        self, scheduler: Scheduler, *, retained_finished: int = DEFAULT_RETAINED_FINISHED
    ) -> None:
        if retained_finished < 0:
            msg = "retained_finished must not be negative"
            raise ValueError(msg)
        self.scheduler = scheduler
        self.keys = KeyGenerator()
        self.definitions: dict[int, ProcessDefinition] = {}
        self.versions: dict[str, list[ProcessDefinition]] = {}
        #: The last version each process id was given: Zeebe never reuses a version number,
        #: not even after the definition was deleted.
        self._last_version: dict[str, int] = {}
        #: Retained process instances (active and recently finished), by key.
        self.instances: dict[int, ProcessInstance] = {}
        #: Active element instances, by key.
        self.element_instances: dict[int, ElementInstance] = {}
        #: Retained incidents (active and resolved), by key.
        self.incidents: dict[int, Incident] = {}
        #: Called with a job type after a command made jobs of that type activatable.
        self.on_job_available: Callable[[str], None] | None = None
        self.jobs = JobBook(self)
        self.flow = Flow(self)
        self.history = History(self, retained_finished)
        self.messages = MessageBook(self)
        self.user_tasks = UserTaskBook(self)
        self.decisions = DecisionBook(self.keys, clock=epoch_clock(scheduler.now_ms))
        self.forms = FormBook(self.keys)
        #: Armed timer start events, per BPMN process id (of its latest version).
        self._start_timers: dict[str, list[Cancellable]] = {}
        self._agenda: deque[Callable[[], None]] = deque()
        self._available: set[str] = set()
        self._in_step = False
        self._continuation_scheduled = False
        self._closed = False

    # -- the transaction every command and callback runs in -----------------------------------

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        """Apply a command's effects, then run tokens forward and announce new jobs."""
        if self._in_step:
            yield
            return
        self._in_step = True
        try:
            yield
            self._drain()
        finally:
            self._in_step = False
        self._announce()

    def schedule(self, action: Callable[[], None]) -> None:
        """Queue a token move; runs within the current step."""
        self._agenda.append(action)

    def call_later(self, delay_ms: int, action: Callable[[], None]) -> Cancellable:
        """Run `action` as its own step after `delay_ms` (timers, deadlines, backoffs)."""

        def fire() -> None:
            if self._closed:
                return
            try:
                with self.step():
                    action()
            except Exception:
                log.exception("dev engine: a scheduled action failed")

        return self.scheduler.call_later(delay_ms, fire)

    def job_available(self, job_type: str) -> None:
        self._available.add(job_type)

    def _drain(self) -> None:
        budget = STEP_BUDGET
        while self._agenda:
            if budget == 0:
                if not self._continuation_scheduled:
                    self._continuation_scheduled = True
                    self.scheduler.call_later(0, self._continue)
                return
            budget -= 1
            self._agenda.popleft()()

    def _continue(self) -> None:
        self._continuation_scheduled = False
        if self._closed:
            return
        with self.step():
            pass

    def _announce(self) -> None:
        if not self._available:
            return
        available, self._available = self._available, set()
        listener = self.on_job_available
        if listener is not None:
            for job_type in sorted(available):
                listener(job_type)

    def close(self) -> None:
        """Stop running scheduled actions (the server is shutting down)."""
        self._closed = True
        self._agenda.clear()

    # -- deployment ---------------------------------------------------------------------------

    def deploy(self, resources: Sequence[tuple[str, bytes]]) -> Deployment:
        """Deploy BPMN, DMN and form resources atomically: all, or none (InvalidArgumentError)."""
        if not resources:
            msg = "Expected to deploy at least one resource, but none given"
            raise InvalidArgumentError(msg)
        graphs = self.decisions.parse([(n, c) for n, c in resources if is_dmn(n)])
        forms = self.forms.parse([(n, c) for n, c in resources if is_form(n)])
        parsed = _parse_processes([(n, c) for n, c in resources if not (is_dmn(n) or is_form(n))])
        deployment_key = self.keys.next()
        deployed: list[ProcessDefinition] = []
        for name, content, processes in parsed:
            checksum = hashlib.sha256(content).digest()
            for process in processes:
                versions = self.versions.setdefault(process.id, [])
                latest = versions[-1] if versions else None
                if latest is not None and hashlib.sha256(latest.resource).digest() == checksum:
                    deployed.append(latest)  # unchanged: Zeebe keeps the existing version
                    continue
                version = self._last_version.get(process.id, 0) + 1
                self._last_version[process.id] = version
                definition = ProcessDefinition(
                    key=self.keys.next(),
                    bpmn_process_id=process.id,
                    version=version,
                    resource_name=name,
                    process=process,
                    resource=content,
                    deployment_key=deployment_key,
                )
                versions.append(definition)
                self.definitions[definition.key] = definition
                deployed.append(definition)
                self._arm_start_timers(definition)
                log.info(
                    "process deployed",
                    bpmn_process_id=process.id,
                    version=definition.version,
                    process_definition_key=definition.key,
                )
        deployment = Deployment(deployment_key, deployed)
        for name, content, graph in graphs:
            requirements, decisions = self.decisions.store(name, content, graph, deployment_key)
            deployment.requirements.append(requirements)
            deployment.decisions.extend(decisions)
        for name, content, form_id in forms:
            deployment.forms.append(self.forms.store(name, content, form_id, deployment_key))
        return deployment

    def _arm_start_timers(self, definition: ProcessDefinition) -> None:
        """Timer start events of the new version; those of the previous one are cancelled."""
        for timer in self._start_timers.pop(definition.bpmn_process_id, []):
            timer.cancel()
        owner: list[Cancellable] = []
        for start in definition.process.timer_starts:
            assert start.trigger.timer is not None  # noqa: S101 - timer starts have one

            def fire(_variables: dict[str, Any], start: FlowNode = start) -> bool:
                self.flow.start_instance(definition, {}, [start])
                return True

            with self.step():
                self.flow.arm_timer(owner, start.trigger.timer, Scope(0, None), fire)
        if owner:
            self._start_timers[definition.bpmn_process_id] = owner

    def latest(self, bpmn_process_id: str) -> ProcessDefinition | None:
        versions = self.versions.get(bpmn_process_id)
        return versions[-1] if versions else None

    def find_definition(
        self, *, definition_key: int = 0, bpmn_process_id: str = "", version: int = -1
    ) -> ProcessDefinition:
        """Zeebe's lookup: the id wins over the key; version -1 is the latest, >= 0 exact."""
        if bpmn_process_id:
            versions = self.versions.get(bpmn_process_id, [])
            if version < 0:
                if not versions:
                    msg = (
                        f"Expected to find process definition with process ID "
                        f"'{bpmn_process_id}', but none found"
                    )
                    raise NotFoundError(msg)
                return versions[-1]
            found = next((d for d in versions if d.version == version), None)
            if found is None:
                msg = (
                    f"Expected to find process definition with process ID '{bpmn_process_id}' "
                    f"and version '{version}', but none found"
                )
                raise NotFoundError(msg)
            return found
        if definition_key < 0:
            msg = "Expected at least a bpmnProcessId or a key greater than -1, but none given"
            raise InvalidArgumentError(msg)
        definition = self.definitions.get(definition_key)
        if definition is None:
            msg = f"Expected to find process definition with key '{definition_key}', but none found"
            raise NotFoundError(msg)
        return definition

    def delete_resource(self, key: int) -> None:
        """Delete a process definition or a decision requirements graph by its key.

        As in Camunda 8.9: no new instances of a deleted definition (NOT_FOUND), its running
        instances drain; when the latest version goes, the previous one becomes the latest
        (its timer start events are armed again); versions are never reused.
        """
        definition = self.definitions.get(key)
        if definition is None:
            if self.decisions.delete_requirements(key):
                return
            msg = f"Expected to delete resource with key '{key}', but no such resource was found"
            raise NotFoundError(msg)
        process_id = definition.bpmn_process_id
        versions = self.versions[process_id]
        was_latest = versions[-1] is definition
        versions.remove(definition)
        del self.definitions[key]
        if was_latest:
            for timer in self._start_timers.pop(process_id, []):
                timer.cancel()
            if versions:
                self._arm_start_timers(versions[-1])

    # -- process instances --------------------------------------------------------------------

    def create_instance(
        self,
        *,
        definition_key: int = 0,
        bpmn_process_id: str = "",
        version: int = -1,
        variables: dict[str, Any] | None = None,
        start_element_ids: Sequence[str] = (),
        on_completed: Callable[[ProcessInstance], None] | None = None,
    ) -> ProcessInstance:
        definition = self.find_definition(
            definition_key=definition_key, bpmn_process_id=bpmn_process_id, version=version
        )
        process = definition.process
        start_nodes: list[FlowNode] = []
        for element_id in start_element_ids:
            node = process.nodes.get(element_id)
            if node is None or isinstance(node, BoundaryEvent) or node.container is not None:
                msg = (
                    "Expected to create instance of process with start instructions but the "
                    f"element with id '{element_id}' cannot be started "
                    "(not found, a boundary event, or inside a sub-process)"
                )
                raise InvalidArgumentError(msg)
            start_nodes.append(node)
        if not start_nodes:
            if process.none_start is None:
                msg = (
                    "Expected to create instance of process with none start event, "
                    "but there is no such event"
                )
                raise FailedPreconditionError(msg)
            start_nodes.append(process.none_start)
        with self.step():
            return self.flow.start_instance(
                definition, variables or {}, start_nodes, on_completed=on_completed
            )

    def cancel_instance(self, key: int) -> None:
        instance = self.instances.get(key)
        if instance is None or instance.finished:
            msg = (
                f"Expected to cancel a process instance with key '{key}', "
                "but no such process was found"
            )
            raise NotFoundError(msg)
        if instance.parent_element is not None:
            root = instance
            while root.parent_element is not None:
                root = root.parent_element.instance
            msg = (
                f"Expected to cancel a process instance with key '{key}', but it is created by "
                f"a parent process instance. Cancel the root process instance '{root.key}' "
                "instead."
            )
            raise FailedPreconditionError(msg)
        with self.step():
            self.flow.cancel_instance(instance)

    def set_variables(
        self, element_instance_key: int, variables: dict[str, Any], *, local: bool
    ) -> int:
        scope = self._scope_for(element_instance_key, local=local)
        with self.step():
            if local:
                set_local(scope, variables)
            else:
                propagate(scope, variables)
        return self.keys.next()

    def _scope_for(self, key: int, *, local: bool) -> Scope:
        instance = self.instances.get(key)
        if instance is not None and not instance.finished:
            return instance.root
        element = self.element_instances.get(key)
        if element is None:
            msg = (
                f"Expected to update variables for element with key '{key}', "
                "but no such element was found"
            )
            raise NotFoundError(msg)
        if local:
            return self.flow.local_scope(element)
        return element.variable_scope

    def result_variables(self, instance: ProcessInstance, names: Sequence[str]) -> dict[str, Any]:
        return visible(instance.root, names)

    # -- incidents ------------------------------------------------------------------------------

    def resolve_incident(self, key: int) -> None:
        incident = self.incidents.get(key)
        if incident is None or incident.state is not IncidentState.ACTIVE:
            msg = f"Expected to resolve incident with key '{key}', but no such incident was found"
            raise NotFoundError(msg)
        with self.step():
            self.flow.resolve_incident(incident)

    # -- bookkeeping used by flow/jobs/history ------------------------------------------------

    def forget_instance(self, instance_key: int) -> None:
        self.user_tasks.forget_instance(instance_key)

    def instance_finished(self, instance: ProcessInstance) -> None:
        self.messages.instance_finished(instance)
        if instance.state is InstanceState.COMPLETED:
            for callback in instance.on_completed:
                callback(instance)
        instance.on_completed.clear()
        self.history.instance_finished(instance)
