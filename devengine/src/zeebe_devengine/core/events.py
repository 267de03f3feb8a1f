"""Waiting for events: timers, messages, boundary events, event sub-processes, and errors.

Timers are armed on the engine clock (`scheduler`): a due date in the past fires at once, a
cycle re-arms after each firing while its repetitions last. Message subscriptions are opened
with the name and correlation key evaluated on entry (`messages`). Everything an element
waits for is closed when it is left, and a scope's event sub-processes when the scope is.
Errors are caught by the nearest catch, searching outward: the element's own error boundary
events, then the event sub-processes of its scope, then that scope's boundary events, and so
on; a matching code wins over a catch-all at the same level. Uncaught: an incident.
"""

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from zeebe_devengine.bpmn.durations import parse_duration_ms
from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    Container,
    EventTrigger,
    IntermediateCatchEvent,
    StartEvent,
    SubProcess,
    Timer,
    TimerKind,
    TriggerKind,
)
from zeebe_devengine.bpmn.timers import Cycle, parse_cycle, parse_date_ms
from zeebe_devengine.core.scheduler import Cancellable
from zeebe_devengine.core.state import (
    ElementInstance,
    ErrorType,
    InstanceState,
    Job,
    JobState,
    ProcessInstance,
    Scope,
)
from zeebe_devengine.core.tokens import StepFailed, Tokens
from zeebe_devengine.core.variables import lookup
from zeebe_devengine.errors import InvalidArgumentError
from zeebe_devengine.feel.evaluate import evaluate, type_name

log = logging.getLogger(__name__)
#: Fires a timer or message; True keeps a repeating trigger armed.
Fire = Callable[[dict[str, Any]], bool]


class Events(Tokens):
    # -- timers ---------------------------------------------------------------------------------

    def _timer_schedule(self, timer: Timer, scope: Scope) -> tuple[int, Cycle | None]:
        text = str(self.expect(timer.value, scope, "STRING"))
        now = self._host.scheduler.now_ms()
        try:
            if timer.kind is TimerKind.DURATION:
                return now + parse_duration_ms(text), None
            if timer.kind is TimerKind.DATE:
                return parse_date_ms(text), None
            cycle = parse_cycle(text)
        except InvalidArgumentError as exc:
            where = timer.value.expression.text if timer.value.expression else text
            message = (
                f"Expected a valid {timer.kind.value} from '{where}', but it was '{text}': {exc}"
            )
            raise StepFailed(ErrorType.EXTRACT_VALUE_ERROR, message) from None
        return cycle.first_due(now), cycle

    def arm_timer(self, owner: list[Cancellable], timer: Timer, scope: Scope, fire: Fire) -> None:
        due, cycle = self._timer_schedule(timer, scope)
        repetitions = cycle.repetitions if cycle is not None else 1
        if repetitions == 0:
            return
        self._arm_at(owner, due, cycle, repetitions, fire)

    def _arm_at(
        self,
        owner: list[Cancellable],
        due: int,
        cycle: Cycle | None,
        remaining: int,
        fire: Fire,
    ) -> None:
        def fired() -> None:
            again = fire({})
            if again and cycle is not None and remaining != 1:
                left = remaining - 1 if remaining > 0 else -1
                self._arm_at(owner, cycle.next_due(due), cycle, left, fire)

        now = self._host.scheduler.now_ms()
        owner.append(self._host.call_later(due - now, fired))

    # -- messages -------------------------------------------------------------------------------

    def subscribe(
        self,
        owner: list[Cancellable],
        instance: ProcessInstance,
        trigger: EventTrigger,
        scope: Scope,
        fire: Fire,
        *,
        repeat: bool = False,
    ) -> None:
        assert trigger.message_name is not None  # noqa: S101 - the parser requires one
        name = str(self.expect(trigger.message_name, scope, "STRING"))
        key = ""
        if trigger.correlation_key is not None:
            key = self._correlation_key(trigger, scope)

        def on_message(variables: dict[str, Any]) -> None:
            fire(variables)

        owner.append(
            self._host.messages.subscribe(
                instance.definition.bpmn_process_id,
                name,
                key,
                on_message,
                repeat=repeat,
                instance_key=instance.key,
            )
        )

    def _correlation_key(self, trigger: EventTrigger, scope: Scope) -> str:
        value = trigger.correlation_key
        assert value is not None  # noqa: S101 - checked by the caller
        if value.expression is None:
            return str(value.static)
        result = evaluate(value.expression, lambda name: lookup(scope, name), self._clock).value
        if type_name(result) not in {"STRING", "NUMBER"}:
            message = (
                f"Failed to extract the correlation key for '{value.expression.text}': "
                f"The value must be either a string or a number, but was "
                f"'{type_name(result)}'."
            )
            raise StepFailed(ErrorType.EXTRACT_VALUE_ERROR, message)
        if isinstance(result, float | Decimal) and result == int(result):
            result = int(result)
        return str(result)

    def _wait_for(
        self,
        element: ElementInstance,
        owner: list[Cancellable],
        trigger: EventTrigger,
        fire: Fire,
        *,
        repeat: bool = False,
    ) -> None:
        """Arm the timer or open the subscription of `trigger` on behalf of `element`."""
        scope = element.variable_scope
        if trigger.kind is TriggerKind.TIMER:
            assert trigger.timer is not None  # noqa: S101 - timer triggers have one
            self.arm_timer(owner, trigger.timer, scope, fire)
        elif trigger.kind is TriggerKind.MESSAGE:
            self.subscribe(owner, element.instance, trigger, scope, fire, repeat=repeat)

    def await_catch(self, element: ElementInstance) -> None:
        node = element.node
        assert isinstance(node, IntermediateCatchEvent)  # noqa: S101 - narrowing
        self.await_message(element, node.trigger)

    def await_message(self, element: ElementInstance, trigger: EventTrigger) -> None:
        """Wait for the catch event's (or receive task's) trigger, then complete."""

        def fire(variables: dict[str, Any]) -> bool:
            if element.state is InstanceState.ACTIVE:
                self.complete(element, variables)
            return False

        try:
            self._wait_for(element, element.timers, trigger, fire)
        except StepFailed as failure:
            self.fail_step(element, failure)

    def await_events(self, element: ElementInstance) -> None:
        """An event-based gateway: the first of its events to occur wins."""
        instance = element.instance

        def winner(target: IntermediateCatchEvent) -> Fire:
            def fire(variables: dict[str, Any]) -> bool:
                if element.state is not InstanceState.ACTIVE:
                    return False
                parent = element.parent
                self.leave(element, InstanceState.COMPLETED)
                self.schedule_activation(
                    instance, target, parent, then=lambda event: self.complete(event, variables)
                )
                return False

            return fire

        try:
            for flow in element.node.outgoing:
                target = flow.target
                assert isinstance(target, IntermediateCatchEvent)  # noqa: S101 - checked at deploy
                self._wait_for(element, element.timers, target.trigger, winner(target))
        except StepFailed as failure:
            for timer in element.timers:
                timer.cancel()
            element.timers.clear()
            self.fail_step(element, failure)

    # -- boundary events ------------------------------------------------------------------------

    def open_boundaries(self, element: ElementInstance) -> None:
        for boundary in element.node.boundary_events:
            if boundary.trigger.kind in {TriggerKind.TIMER, TriggerKind.MESSAGE}:
                self._wait_for(
                    element,
                    element.timers,
                    boundary.trigger,
                    self._boundary_fire(element, boundary),
                    repeat=not boundary.interrupting,
                )

    def _boundary_fire(self, element: ElementInstance, boundary: BoundaryEvent) -> Fire:
        def fire(variables: dict[str, Any]) -> bool:
            if element.state is not InstanceState.ACTIVE:
                return False
            self._trigger_boundary(element, boundary, variables)
            return not boundary.interrupting

        return fire

    def _trigger_boundary(
        self, element: ElementInstance, boundary: BoundaryEvent, variables: dict[str, Any]
    ) -> None:
        parent = element.parent
        if boundary.interrupting:
            self.leave(element, InstanceState.TERMINATED)
        self.schedule_activation(element.instance, boundary, parent, variables)

    # -- event sub-processes --------------------------------------------------------------------

    def open_event_subprocesses(
        self, instance: ProcessInstance, scope: ElementInstance | None
    ) -> None:
        """Arm the timer and message starts of the event sub-processes of a scope."""
        container = self._container(instance, scope)
        owner = scope.event_subscriptions if scope is not None else instance.scope_timers
        variables = scope.variable_scope if scope is not None else instance.root
        for sub in container.event_subprocesses:
            start = sub.start
            if start is None or start.trigger.kind is TriggerKind.ERROR:
                continue
            fire = self._event_subprocess_fire(instance, scope, sub, start)
            try:
                if start.trigger.kind is TriggerKind.TIMER:
                    assert start.trigger.timer is not None  # noqa: S101 - timer triggers have one
                    self.arm_timer(owner, start.trigger.timer, variables, fire)
                else:
                    self.subscribe(
                        owner,
                        instance,
                        start.trigger,
                        variables,
                        fire,
                        repeat=not start.interrupting,
                    )
            except StepFailed as failure:
                if scope is not None:
                    self.fail_step(scope, failure)
                    return
                log.warning("event sub-process %s not armed: %s", sub.id, failure.message)

    @staticmethod
    def _container(instance: ProcessInstance, scope: ElementInstance | None) -> Container:
        if scope is not None and isinstance(scope.node, SubProcess):
            return scope.node.body
        return instance.definition.process.body

    def _event_subprocess_fire(
        self,
        instance: ProcessInstance,
        scope: ElementInstance | None,
        sub: SubProcess,
        start: StartEvent,
    ) -> Fire:
        def fire(variables: dict[str, Any]) -> bool:
            if instance.finished or (scope is not None and scope.state is not InstanceState.ACTIVE):
                return False
            self._start_event_subprocess(instance, scope, sub, start, variables)
            return not start.interrupting

        return fire

    def _start_event_subprocess(
        self,
        instance: ProcessInstance,
        scope: ElementInstance | None,
        sub: SubProcess,
        start: StartEvent,
        variables: dict[str, Any],
    ) -> None:
        if start.interrupting:
            siblings = scope.children if scope is not None else instance.active
            for sibling in list(siblings.values()):
                if sibling.parent is scope:
                    self.leave(sibling, InstanceState.TERMINATED)
            owner = scope.event_subscriptions if scope is not None else instance.scope_timers
            for subscription in owner:
                subscription.cancel()
            owner.clear()
            (scope.join_tokens if scope is not None else instance.join_tokens).clear()

        def enter(element: ElementInstance) -> None:
            self.local_scope(element)
            self.schedule_activation(instance, start, element, variables)

        self.schedule_activation(instance, sub, scope, then=enter)

    # -- errors ---------------------------------------------------------------------------------

    def throw_error(
        self,
        element: ElementInstance,
        code: str,
        message: str,
        variables: dict[str, Any],
        *,
        job: Job | None = None,
    ) -> None:
        """Catch the error at the nearest matching catch event, else raise an incident."""
        codes: list[str] = []
        current: ElementInstance | None = element
        while current is not None:
            boundaries = (
                []
                if current.inner
                else [b for b in current.node.boundary_events if b.catches_errors]
            )
            codes += [b.error_code for b in boundaries if b.error_code is not None]
            boundary = _best(boundaries, code, lambda b: b.error_code)
            if boundary is not None:
                self._trigger_boundary(current, boundary, variables)
                return
            instance = current.instance
            scope = current.parent
            starts = [
                (sub, sub.start)
                for sub in self._container(instance, scope).event_subprocesses
                if sub.start is not None and sub.start.trigger.kind is TriggerKind.ERROR
            ]
            codes += [s.trigger.error_code for _, s in starts if s.trigger.error_code is not None]
            found = _best(starts, code, lambda pair: pair[1].trigger.error_code)
            if found is not None:
                self._start_event_subprocess(instance, scope, found[0], found[1], variables)
                return
            # Past the process scope, an error travels on to the calling call activity.
            current = scope if scope is not None else instance.parent_element
        with_message = f" with message '{message}'" if message else ""
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
            self.fail_step(element, StepFailed(ErrorType.UNHANDLED_ERROR_EVENT, text))


T = TypeVar("T")


def _best(candidates: list[T], code: str, code_of: Callable[[T], str | None]) -> T | None:
    """The catch with exactly this code, else the catch-all (no code)."""
    exact = next((c for c in candidates if code_of(c) == code), None)
    return exact or next((c for c in candidates if code_of(c) is None), None)
