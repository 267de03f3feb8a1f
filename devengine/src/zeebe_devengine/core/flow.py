"""Token flow: what each element does when it is activated, completed or terminated.

Element lifecycle as in Zeebe: an element instance is created ACTIVE, does its work (creates a
job, evaluates conditions, starts a timer...) and becomes COMPLETED, taking its outgoing
sequence flows, or TERMINATED (cancelled, or interrupted by a boundary event). A failure that
needs a person (a condition that is not boolean, an uncaught error, a job out of retries)
becomes an incident on the element; resolving the incident retries the step that failed.

Variables: job and event variables without output mappings propagate from the element's
scope (so an input-mapped local variable of the same name shadows them, as in Zeebe); output
mappings are evaluated against the element's variables and written from the flow scope.
"""

import functools
from collections import Counter
from collections.abc import Callable
from typing import Any

from zeebe_devengine.bpmn.durations import parse_duration_ms
from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    EndEvent,
    ExclusiveGateway,
    FlowNode,
    Mapping,
    ParallelGateway,
    SequenceFlow,
    ServiceTask,
    StartEvent,
    TimerCatchEvent,
    Value,
)
from zeebe_devengine.core.hosts import FlowHost
from zeebe_devengine.core.state import (
    ElementInstance,
    ErrorType,
    Incident,
    IncidentState,
    InstanceState,
    Job,
    JobState,
    ProcessDefinition,
    ProcessInstance,
    Scope,
)
from zeebe_devengine.core.variables import lookup, propagate, set_local, with_path
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.feel.evaluate import evaluate, type_name

NO_CONDITION_MATCHED = (
    "Expected at least one condition to evaluate to true, or to have a default flow"
)


class _StepFailed(Exception):  # noqa: N818 - internal signal, never leaves this module
    def __init__(self, error_type: ErrorType, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class Flow:
    def __init__(self, host: FlowHost) -> None:
        self._host = host

    # -- instances ------------------------------------------------------------------------------

    def start_instance(
        self,
        definition: ProcessDefinition,
        variables: dict[str, Any],
        start_nodes: list[FlowNode],
        *,
        on_completed: Callable[[ProcessInstance], None] | None = None,
        start_message: tuple[str, str] | None = None,
    ) -> ProcessInstance:
        host = self._host
        key = host.keys.next()
        instance = ProcessInstance(
            key=key,
            definition=definition,
            root=Scope(key, None, dict(variables)),
            start_ms=host.scheduler.now_ms(),
            start_message=start_message,
        )
        if on_completed is not None:
            instance.on_completed.append(on_completed)
        host.instances[key] = instance
        definition.instances[key] = instance
        for node in start_nodes:
            self._schedule_activation(instance, node)
        return instance

    def cancel_instance(self, instance: ProcessInstance) -> None:
        for element in list(instance.active.values()):
            self._leave(element, InstanceState.TERMINATED)
        instance.join_tokens.clear()
        self._finish(instance, InstanceState.TERMINATED)

    def _finish(self, instance: ProcessInstance, state: InstanceState) -> None:
        instance.state = state
        instance.end_ms = self._host.scheduler.now_ms()
        self._host.instance_finished(instance)

    def _maybe_complete(self, instance: ProcessInstance) -> None:
        if (
            instance.state is InstanceState.ACTIVE
            and not instance.active
            and instance.pending_activations == 0
            and instance.pending_tokens() == 0
        ):
            self._finish(instance, InstanceState.COMPLETED)

    # -- activation -----------------------------------------------------------------------------

    def _schedule_activation(
        self, instance: ProcessInstance, node: FlowNode, variables: dict[str, Any] | None = None
    ) -> None:
        instance.pending_activations += 1

        def activate() -> None:
            instance.pending_activations -= 1
            if instance.finished:
                return
            element = ElementInstance(self._host.keys.next(), node, instance)
            instance.active[element.key] = element
            self._host.element_instances[element.key] = element
            self._enter(element, variables)

        self._host.schedule(activate)

    def _enter(self, element: ElementInstance, variables: dict[str, Any] | None = None) -> None:
        node = element.node
        if isinstance(node, ServiceTask):
            self._activate_task(element)
        elif isinstance(node, ExclusiveGateway):
            self._route(element)
        elif isinstance(node, TimerCatchEvent):
            self._start_timer(element)
        elif isinstance(node, EndEvent) and node.error_code is not None:
            self.throw_error(element, node.error_code, "", {})
        elif isinstance(node, StartEvent | EndEvent | ParallelGateway | BoundaryEvent):
            self.complete(element, variables)
        else:  # pragma: no cover - the parser builds only the types above
            msg = f"unsupported element {node.id}"
            raise TypeError(msg)

    def _activate_task(self, element: ElementInstance) -> None:
        node = element.node
        assert isinstance(node, ServiceTask)  # noqa: S101 - narrowing for the type checker
        try:
            inputs = self._evaluate_mappings(node.inputs, element.variable_scope, element)
            job_type = self._expect(node.job_type, element, "STRING")
            retries = self._expect(node.retries, element, "NUMBER")
            timers = [
                (boundary, self._duration(boundary.timer, element))
                for boundary in node.boundary_events
                if boundary.timer is not None
            ]
        except _StepFailed as failure:
            self.raise_incident(
                element, failure.error_type, failure.message, retry=lambda: self._enter(element)
            )
            return
        if inputs:
            set_local(self.local_scope(element), inputs)
        for boundary, delay_ms in timers:
            element.timers.append(
                self._host.call_later(
                    delay_ms,
                    functools.partial(self._boundary_timer_fired, element, boundary),
                )
            )
        self._host.jobs.create(element, str(job_type), int(retries))

    def _route(self, element: ElementInstance) -> None:
        node = element.node
        assert isinstance(node, ExclusiveGateway)  # noqa: S101 - narrowing for the type checker
        chosen: SequenceFlow | None = None
        if len(node.outgoing) == 1 and node.outgoing[0].condition is None:
            chosen = node.outgoing[0]
        for flow in node.outgoing if chosen is None else ():
            if flow is node.default_flow or flow.condition is None:
                continue
            result = evaluate(flow.condition, lambda name: lookup(element.variable_scope, name))
            if result.value is True:
                chosen = flow
                break
            if result.value is not False:
                message = (
                    f"Expected result of the expression '{flow.condition.text}' to be 'BOOLEAN', "
                    f"but was '{type_name(result.value)}'."
                )
                if result.warnings:
                    message += " " + result.describe_warnings()
                self.raise_incident(
                    element,
                    ErrorType.EXTRACT_VALUE_ERROR,
                    message,
                    retry=lambda: self._enter(element),
                )
                return
        if chosen is None:
            chosen = node.default_flow
        if chosen is None and node.outgoing:
            self.raise_incident(
                element,
                ErrorType.CONDITION_ERROR,
                NO_CONDITION_MATCHED,
                retry=lambda: self._enter(element),
            )
            return
        self.complete(element, taking=[] if chosen is None else [chosen])

    def _start_timer(self, element: ElementInstance) -> None:
        node = element.node
        assert isinstance(node, TimerCatchEvent)  # noqa: S101 - narrowing for the type checker
        try:
            delay_ms = self._duration(node.duration, element)
        except _StepFailed as failure:
            self.raise_incident(
                element, failure.error_type, failure.message, retry=lambda: self._enter(element)
            )
            return
        element.timers.append(self._host.call_later(delay_ms, lambda: self._timer_fired(element)))

    def _timer_fired(self, element: ElementInstance) -> None:
        if element.state is InstanceState.ACTIVE:
            self.complete(element)

    def _boundary_timer_fired(self, element: ElementInstance, boundary: BoundaryEvent) -> None:
        if element.state is not InstanceState.ACTIVE:
            return
        if boundary.interrupting:
            self._interrupt(element, boundary, {})
        else:
            self._schedule_activation(element.instance, boundary, {})

    # -- completion and termination -------------------------------------------------------------

    def complete(
        self,
        element: ElementInstance,
        variables: dict[str, Any] | None = None,
        *,
        taking: list[SequenceFlow] | None = None,
    ) -> None:
        node = element.node
        instance = element.instance
        if node.outputs:
            if variables:
                set_local(self.local_scope(element), variables)
            try:
                results = self._evaluate_mappings(node.outputs, element.variable_scope, element)
            except _StepFailed as failure:
                self.raise_incident(
                    element,
                    failure.error_type,
                    failure.message,
                    retry=lambda: self.complete(element, taking=taking),
                )
                return
            propagate(instance.root, results)
        elif variables:
            propagate(element.variable_scope, variables)
        self._leave(element, InstanceState.COMPLETED)
        for flow in node.outgoing if taking is None else taking:
            self._take(instance, flow)
        self._maybe_complete(instance)

    def _take(self, instance: ProcessInstance, flow: SequenceFlow) -> None:
        target = flow.target
        if isinstance(target, ParallelGateway) and len(target.incoming) > 1:
            tokens = instance.join_tokens.setdefault(target.id, Counter())
            tokens[flow.id] += 1
            if all(tokens[incoming.id] > 0 for incoming in target.incoming):
                for incoming in target.incoming:
                    tokens[incoming.id] -= 1
                tokens += Counter()  # drop zero counts
                if not tokens:
                    del instance.join_tokens[target.id]
                else:
                    instance.join_tokens[target.id] = tokens
                self._schedule_activation(instance, target)
            return
        self._schedule_activation(instance, target)

    def _leave(self, element: ElementInstance, state: InstanceState) -> None:
        instance = element.instance
        element.state = state
        instance.active.pop(element.key, None)
        self._host.element_instances.pop(element.key, None)
        for timer in element.timers:
            timer.cancel()
        element.timers.clear()
        if element.job is not None:
            self._host.jobs.discard(element.job)
            element.job = None
        if element.incident is not None:
            self._close_incident(element.incident)
        element.scope = None
        ids = (
            instance.completed_ids if state is InstanceState.COMPLETED else instance.terminated_ids
        )
        if isinstance(ids, set):
            ids.add(element.node.id)

    def _interrupt(
        self, element: ElementInstance, boundary: BoundaryEvent, variables: dict[str, Any]
    ) -> None:
        self._leave(element, InstanceState.TERMINATED)
        self._schedule_activation(element.instance, boundary, variables)

    # -- errors and incidents -------------------------------------------------------------------

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
        node = element.node
        boundaries = [
            boundary
            for boundary in (node.boundary_events if isinstance(node, ServiceTask) else [])
            if boundary.catches_errors
        ]
        catch = next((b for b in boundaries if b.error_code == code), None) or next(
            (b for b in boundaries if b.error_code is None), None
        )
        if catch is not None:
            self._interrupt(element, catch, variables)
            return
        with_message = f" with message '{message}'" if message else ""
        codes = [b.error_code for b in boundaries if b.error_code is not None]
        available = (
            f"Available error events are [{', '.join(codes)}]"
            if codes
            else "No error events are available in the scope."
        )
        text = (
            f"Expected to throw an error event with the code '{code}'{with_message}, "
            f"but it was not caught. {available}"
        )
        if job is not None:
            job.state = JobState.ERROR_THROWN
            job.error_code = code
            job.error_message = message
            self.raise_incident(element, ErrorType.UNHANDLED_ERROR_EVENT, text, job=job)
        else:
            self.raise_incident(
                element,
                ErrorType.UNHANDLED_ERROR_EVENT,
                text,
                retry=lambda: self._enter(element),
            )

    def raise_incident(
        self,
        element: ElementInstance,
        error_type: ErrorType,
        message: str,
        *,
        job: Job | None = None,
        retry: Callable[[], None] | None = None,
    ) -> Incident:
        host = self._host
        incident = Incident(
            key=host.keys.next(),
            error_type=error_type,
            message=message,
            element=element,
            created_ms=host.scheduler.now_ms(),
            job=job,
            retry=retry,
        )
        element.incident = incident
        element.instance.incidents.append(incident)
        element.instance.active_incidents += 1
        host.incidents[incident.key] = incident
        return incident

    def _close_incident(self, incident: Incident) -> None:
        incident.state = IncidentState.RESOLVED
        incident.retry = None
        incident.element.incident = None
        incident.element.instance.active_incidents -= 1

    def resolve_incident(self, incident: Incident) -> None:
        retry = incident.retry
        self._close_incident(incident)
        if incident.job is not None:
            self._host.jobs.incident_resolved(incident.job)
        elif retry is not None:
            self._host.schedule(retry)

    # -- expressions, mappings, scopes ---------------------------------------------------------

    def local_scope(self, element: ElementInstance) -> Scope:
        if element.scope is None:
            element.scope = Scope(element.key, element.instance.root)
        return element.scope

    def _expect(self, value: Value, element: ElementInstance, kind: str) -> Any:
        if value.expression is None:
            return value.static
        result = evaluate(value.expression, lambda name: lookup(element.variable_scope, name))
        if type_name(result.value) != kind:
            message = (
                f"Expected result of the expression '{value.expression.text}' to be '{kind}', "
                f"but was '{type_name(result.value)}'."
            )
            if result.warnings:
                message += " " + result.describe_warnings()
            raise _StepFailed(ErrorType.EXTRACT_VALUE_ERROR, message)
        return result.value

    def _duration(self, value: Value | None, element: ElementInstance) -> int:
        if value is None:  # pragma: no cover - timers always have a duration
            return 0
        if value.expression is None:
            return int(value.static)
        text = self._expect(value, element, "STRING")
        try:
            return parse_duration_ms(str(text))
        except InvalidArgumentError as exc:
            message = (
                f"Expected result of the expression '{value.expression.text}' to be a "
                f"duration, but it was '{text}': {exc}"
            )
            raise _StepFailed(ErrorType.EXTRACT_VALUE_ERROR, message) from None

    def _evaluate_mappings(
        self, mappings: tuple[Mapping, ...], scope: Scope, element: ElementInstance
    ) -> dict[str, Any]:
        """Evaluate mappings in order; later ones see the targets of earlier ones."""
        results: dict[str, Any] = {}

        def find(name: str) -> tuple[bool, Any]:
            if name in results:
                return True, results[name]
            return lookup(scope, name)

        for mapping in mappings:
            if mapping.source.expression is None:
                value = mapping.source.static
            else:
                value = evaluate(mapping.source.expression, find).value
            head = mapping.target[0]
            try:
                results[head] = with_path(find(head)[1], mapping.target[1:], value)
            except ValueError as exc:
                message = (
                    f"Failed to apply the mapping to '{'.'.join(mapping.target)}' "
                    f"of element '{element.node.id}': {exc}"
                )
                raise _StepFailed(ErrorType.IO_MAPPING_ERROR, message) from None
        return results
