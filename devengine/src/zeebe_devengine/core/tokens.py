"""Token movement shared by every element: activation, completion, termination, scopes, joins.

Element lifecycle as in Zeebe: an element instance is created ACTIVE inside a flow scope (the
process instance, or a sub-process element instance), does its work and becomes COMPLETED,
taking its outgoing sequence flows, or TERMINATED (cancelled, or interrupted by an event). A
scope completes when nothing is active or waiting in it. A failure that needs a person
becomes an incident on the element; resolving the incident retries the step that failed.

Variables: job and event variables without output mappings propagate from the element's
scope (so an input-mapped local variable of the same name shadows them, as in Zeebe); output
mappings are evaluated against the element's variables and written from its flow scope.
"""

from collections import Counter
from collections.abc import Callable
from typing import Any

from zeebe_devengine.bpmn.model import (
    FlowNode,
    InclusiveGateway,
    Mapping,
    ParallelGateway,
    SequenceFlow,
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
    ProcessInstance,
    Scope,
)
from zeebe_devengine.core.variables import lookup, propagate, set_local, with_path
from zeebe_devengine.feel.evaluate import epoch_clock, evaluate, type_name


class StepFailed(Exception):  # noqa: N818 - internal signal, never leaves the flow
    def __init__(self, error_type: ErrorType, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class Tokens:
    def __init__(self, host: FlowHost) -> None:
        self._host = host
        #: now() and today() in FEEL read the engine's clock (pinned or not).
        self._clock = epoch_clock(host.scheduler.now_ms)

    def _enter(self, element: ElementInstance, variables: dict[str, Any] | None) -> None:
        raise NotImplementedError  # pragma: no cover - Flow implements it

    def _scope_done(self, instance: ProcessInstance, scope: ElementInstance) -> None:
        raise NotImplementedError  # pragma: no cover - Flow implements it

    def _child_completed(self, caller: ElementInstance, child: ProcessInstance) -> None:
        raise NotImplementedError  # pragma: no cover - Flow implements it

    def open_boundaries(self, element: ElementInstance) -> None:
        raise NotImplementedError  # pragma: no cover - Events implements it

    # -- instances ------------------------------------------------------------------------------

    def cancel_instance(self, instance: ProcessInstance) -> None:
        for element in list(instance.active.values()):
            if element.parent is None:
                self.leave(element, InstanceState.TERMINATED)
        instance.join_tokens.clear()
        self._finish(instance, InstanceState.TERMINATED)

    def _finish(self, instance: ProcessInstance, state: InstanceState) -> None:
        caller = instance.parent_element
        if caller is not None and state is InstanceState.COMPLETED:
            self._host.schedule(lambda: self._child_completed(caller, instance))
        instance.state = state
        instance.end_ms = self._host.scheduler.now_ms()
        for timer in instance.scope_timers:
            timer.cancel()
        instance.scope_timers.clear()
        self._host.instance_finished(instance)

    def _maybe_complete(self, instance: ProcessInstance, scope: ElementInstance | None) -> None:
        """Complete the scope (sub-process or instance) when nothing in it is left to do."""
        if scope is not None:
            if (
                scope.state is InstanceState.ACTIVE
                and not scope.children
                and scope.pending == 0
                and not scope.join_tokens
                and scope.incident is None
            ):
                self._scope_done(instance, scope)
            return
        if (
            instance.state is InstanceState.ACTIVE
            and not instance.active
            and instance.pending_activations == 0
            and instance.pending_tokens() == 0
        ):
            self._finish(instance, InstanceState.COMPLETED)

    # -- activation -----------------------------------------------------------------------------

    def schedule_activation(
        self,
        instance: ProcessInstance,
        node: FlowNode,
        parent: ElementInstance | None,
        variables: dict[str, Any] | None = None,
        *,
        then: Callable[[ElementInstance], None] | None = None,
    ) -> None:
        """Activate `node` in scope `parent` on the agenda; `then` replaces its behaviour."""
        if parent is None:
            instance.pending_activations += 1
        else:
            parent.pending += 1

        def activate() -> None:
            if parent is None:
                instance.pending_activations -= 1
            else:
                parent.pending -= 1
            if instance.finished or (
                parent is not None and parent.state is not InstanceState.ACTIVE
            ):
                return
            element = ElementInstance(
                self._host.keys.next(),
                node,
                instance,
                parent=parent,
                start_ms=self._host.scheduler.now_ms(),
            )
            instance.active[element.key] = element
            if parent is not None:
                parent.children[element.key] = element
            self._host.element_instances[element.key] = element
            if then is not None:
                then(element)
            else:
                self._enter(element, variables)
            if parent.join_tokens if parent is not None else instance.join_tokens:
                self._check_inclusive_joins(instance, parent)

        self._host.schedule(activate)

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
        is_body = node.loop is not None and not element.inner
        if is_body:
            self._collect_output(element)
        elif node.outputs:
            if variables:
                set_local(self.local_scope(element), variables)
            try:
                results = self.evaluate_mappings(node.outputs, element.variable_scope, element)
            except StepFailed as failure:
                self.raise_incident(
                    element,
                    failure.error_type,
                    failure.message,
                    retry=lambda: self.complete(element, taking=taking),
                )
                return
            propagate(self.flow_scope(element), results)
        elif variables:
            propagate(element.variable_scope, variables)
        parent = element.parent
        if element.inner and parent is not None:
            self._inner_completed(parent, element)
            return
        self.leave(element, InstanceState.COMPLETED)
        for flow in node.outgoing if taking is None else taking:
            self._take(instance, parent, flow)
        if parent.join_tokens if parent is not None else instance.join_tokens:
            self._check_inclusive_joins(instance, parent)
        self._maybe_complete(instance, parent)

    def _collect_output(self, body: ElementInstance) -> None:
        raise NotImplementedError  # pragma: no cover - Flow implements it

    def _inner_completed(self, body: ElementInstance, inner: ElementInstance) -> None:
        raise NotImplementedError  # pragma: no cover - Flow implements it

    def flow_scope(self, element: ElementInstance) -> Scope:
        parent = element.parent
        return parent.variable_scope if parent is not None else element.instance.root

    def _tokens(
        self, instance: ProcessInstance, scope: ElementInstance | None
    ) -> dict[str, Counter[str]]:
        return scope.join_tokens if scope is not None else instance.join_tokens

    def _take(
        self, instance: ProcessInstance, scope: ElementInstance | None, flow: SequenceFlow
    ) -> None:
        target = flow.target
        joining = isinstance(target, ParallelGateway | InclusiveGateway)
        if not joining or len(target.incoming) < 2:
            self.schedule_activation(instance, target, scope)
            return
        tokens = self._tokens(instance, scope).setdefault(target.id, Counter())
        tokens[flow.id] += 1
        if isinstance(target, ParallelGateway) and all(
            tokens[incoming.id] > 0 for incoming in target.incoming
        ):
            self._join(instance, scope, target)
        # An inclusive join is checked once the activations queued now have run.

    def _join(
        self, instance: ProcessInstance, scope: ElementInstance | None, gateway: FlowNode
    ) -> None:
        all_tokens = self._tokens(instance, scope)
        tokens = all_tokens[gateway.id]
        for incoming in gateway.incoming:
            if tokens[incoming.id] > 0:
                tokens[incoming.id] -= 1
        tokens += Counter()  # drop zero counts
        if tokens:
            all_tokens[gateway.id] = tokens
        else:
            del all_tokens[gateway.id]
        self.schedule_activation(instance, gateway, scope)

    def _check_inclusive_joins(
        self, instance: ProcessInstance, scope: ElementInstance | None
    ) -> None:
        """Fire inclusive joins no active element of the scope can still reach."""
        all_tokens = self._tokens(instance, scope)
        pending = scope.pending if scope is not None else instance.pending_activations
        if not all_tokens or pending > 0:
            return
        active = scope.children if scope is not None else instance.active
        for gateway_id in list(all_tokens):
            gateway = instance.definition.process.nodes[gateway_id]
            if not isinstance(gateway, InclusiveGateway):
                continue
            reachable = any(
                element.node.id in gateway.upstream
                for element in active.values()
                if element.parent is scope
            )
            if not reachable:
                self._join(instance, scope, gateway)

    def leave(self, element: ElementInstance, state: InstanceState) -> None:
        """End the element (and, terminated, everything inside it)."""
        instance = element.instance
        if element.children:
            for child in list(element.children.values()):
                self.leave(child, InstanceState.TERMINATED)
            element.join_tokens.clear()
        element.state = state
        instance.active.pop(element.key, None)
        if element.parent is not None:
            element.parent.children.pop(element.key, None)
        self._host.element_instances.pop(element.key, None)
        self._release(element)
        element.scope = None
        ids = (
            instance.completed_ids if state is InstanceState.COMPLETED else instance.terminated_ids
        )
        if isinstance(ids, set):
            ids.add(element.node.id)
        if state is InstanceState.TERMINATED:
            self._check_inclusive_joins(instance, element.parent)

    def _release(self, element: ElementInstance) -> None:
        """Close what the element waits on: timers, subscriptions, its job, task, child."""
        if element.timers:
            for timer in element.timers:
                timer.cancel()
            element.timers.clear()
        if element.event_subscriptions:
            for subscription in element.event_subscriptions:
                subscription.cancel()
            element.event_subscriptions.clear()
        if element.job is not None:
            self._host.jobs.discard(element.job)
            element.job = None
        called = element.child_instance
        if called is not None:
            element.child_instance = None
            if not called.finished:
                self.cancel_instance(called)
        if element.user_task is not None:
            self._host.user_tasks.ended(element.user_task)
            element.user_task = None
        if element.incident is not None:
            self._close_incident(element.incident)

    # -- incidents ------------------------------------------------------------------------------

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

    def fail_step(self, element: ElementInstance, failure: StepFailed) -> None:
        """An incident whose resolution re-enters the element."""
        self.raise_incident(
            element, failure.error_type, failure.message, retry=lambda: self._enter(element, None)
        )

    # -- expressions, mappings, scopes ---------------------------------------------------------

    def local_scope(self, element: ElementInstance) -> Scope:
        if element.scope is None:
            element.scope = Scope(element.key, self.flow_scope(element))
        return element.scope

    def expect(self, value: Value, scope: Scope, *kinds: str) -> Any:
        """The value, evaluated in `scope` if an expression; an incident unless of `kinds`."""
        if value.expression is None:
            return value.static
        result = evaluate(value.expression, lambda name: lookup(scope, name), self._clock)
        if type_name(result.value) not in kinds:
            message = (
                f"Expected result of the expression '{value.expression.text}' to be "
                f"'{kinds[0]}', but was '{type_name(result.value)}'."
            )
            if result.warnings:
                message += " " + result.describe_warnings()
            raise StepFailed(ErrorType.EXTRACT_VALUE_ERROR, message)
        return result.value

    def evaluate_mappings(
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
                value = evaluate(mapping.source.expression, find, self._clock).value
            head = mapping.target[0]
            try:
                results[head] = with_path(find(head)[1], mapping.target[1:], value)
            except ValueError as exc:
                message = (
                    f"Failed to apply the mapping to '{'.'.join(mapping.target)}' "
                    f"of element '{element.node.id}': {exc}"
                )
                raise StepFailed(ErrorType.IO_MAPPING_ERROR, message) from None
        return results
