"""What each element does when it is entered: tasks, gateways, events, sub-processes.

The token moves themselves (activation, completion, termination, joins, incidents) are in
`tokens`; the waiting on timers and messages, boundary events, event sub-processes and
errors are in `events`. This module starts and cancels instances and dispatches each entered
element to its behaviour.
"""

from collections.abc import Callable
from typing import Any

from zeebe_devengine.bpmn.model import (
    BoundaryEvent,
    BusinessRuleTask,
    CallActivity,
    EndEvent,
    EventBasedGateway,
    ExclusiveGateway,
    FlowNode,
    InclusiveGateway,
    IntermediateCatchEvent,
    ParallelGateway,
    PassThroughTask,
    ReceiveTask,
    ScriptTask,
    SequenceFlow,
    ServiceTask,
    StartEvent,
    SubProcess,
    TriggerKind,
    UserTask,
)
from zeebe_devengine.core.events import Events
from zeebe_devengine.core.loops import Loops
from zeebe_devengine.core.state import (
    ElementInstance,
    ErrorType,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
    Scope,
)
from zeebe_devengine.core.tokens import StepFailed
from zeebe_devengine.core.variables import lookup, set_local, visible
from zeebe_devengine.errors import NotFoundError
from zeebe_devengine.feel.evaluate import evaluate, type_name

NO_CONDITION_MATCHED = (
    "Expected at least one condition to evaluate to true, or to have a default flow"
)
_ACTIVITIES = (
    ServiceTask,
    BusinessRuleTask,
    UserTask,
    ReceiveTask,
    ScriptTask,
    PassThroughTask,
    SubProcess,
    CallActivity,
)


class Flow(Loops, Events):
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
        self.open_event_subprocesses(instance, None)
        for node in start_nodes:
            self.schedule_activation(instance, node, None)
        return instance

    def _scope_done(self, instance: ProcessInstance, scope: ElementInstance) -> None:
        del instance
        self.complete(scope)

    # -- entering an element --------------------------------------------------------------------

    def _enter(self, element: ElementInstance, variables: dict[str, Any] | None) -> None:
        node = element.node
        if node.loop is not None and not element.inner:
            self.enter_body(element)
        elif isinstance(node, _ACTIVITIES):
            self._enter_activity(element)
        elif isinstance(node, ExclusiveGateway | InclusiveGateway):
            self._route(element)
        elif isinstance(node, EventBasedGateway):
            self.await_events(element)
        elif isinstance(node, IntermediateCatchEvent):
            self.await_catch(element)
        elif isinstance(node, EndEvent) and node.trigger.kind is TriggerKind.ERROR:
            self.throw_error(element, node.error_code or "", "", {})
        elif isinstance(node, EndEvent) and node.trigger.kind is TriggerKind.TERMINATE:
            self._terminate_scope(element)
        elif isinstance(node, StartEvent | EndEvent | ParallelGateway | BoundaryEvent):
            self.complete(element, variables)
        else:  # pragma: no cover - the parser builds only the types above
            msg = f"unsupported element {node.id}"
            raise TypeError(msg)

    def _enter_activity(self, element: ElementInstance) -> None:
        node = element.node
        try:
            inputs = self.evaluate_mappings(node.inputs, element.variable_scope, element)
            if inputs or isinstance(node, SubProcess):
                set_local(self.local_scope(element), inputs)
            work = self._prepare(element)
            if not element.inner:
                self.open_boundaries(element)
        except StepFailed as failure:
            for timer in element.timers:
                timer.cancel()
            element.timers.clear()
            self.fail_step(element, failure)
            return
        work()

    def _prepare(self, element: ElementInstance) -> Callable[[], None]:  # noqa: PLR0911 - per kind
        """Evaluate what the activity needs (may fail), and return what it then does."""
        node = element.node
        scope = element.variable_scope
        if isinstance(node, ServiceTask):
            job_type = str(self.expect(node.job_type, scope, "STRING"))
            retries = int(self.expect(node.retries, scope, "NUMBER"))
            return lambda: self._create_job(element, job_type, retries)
        if isinstance(node, UserTask):
            assignee = self._optional_text(node.assignee, scope)
            groups = self._text_list(node.candidate_groups, scope)
            users = self._text_list(node.candidate_users, scope)
            return lambda: self._create_user_task(element, assignee, groups, users)
        if isinstance(node, ScriptTask):
            assert node.expression is not None  # noqa: S101 - the parser requires one
            result = evaluate(node.expression, lambda name: lookup(scope, name), self._clock)
            return lambda: self.complete(element, {node.result_variable: result.value})
        if isinstance(node, BusinessRuleTask):
            output = self._decide(node, scope)
            return lambda: self.complete(element, {node.result_variable: output})
        if isinstance(node, ReceiveTask):
            return lambda: self.await_message(element, node.trigger)
        if isinstance(node, SubProcess):
            return lambda: self._enter_sub_process(element, node)
        if isinstance(node, CallActivity):
            return self._prepare_call(element, node, scope)
        return lambda: self.complete(element)

    def _prepare_call(
        self, element: ElementInstance, node: CallActivity, scope: Scope
    ) -> Callable[[], None]:
        process_id = str(self.expect(node.process_id, scope, "STRING"))
        definition = self._host.latest(process_id)
        if definition is None:
            message = (
                f"Expected process with BPMN process id '{process_id}' to be deployed, "
                "but not found."
            )
            raise StepFailed(ErrorType.CALLED_ELEMENT_ERROR, message)
        start = definition.process.none_start
        if start is None:
            message = (
                f"Expected process with BPMN process id '{process_id}' to have a none start "
                "event, but not found."
            )
            raise StepFailed(ErrorType.CALLED_ELEMENT_ERROR, message)

        def call() -> None:
            local = element.scope.variables if element.scope is not None else {}
            variables = visible(scope) if node.propagate_all_parent_variables else dict(local)
            child = self.start_instance(definition, variables, [start])
            child.parent_element = element
            element.child_instance = child

        return call

    def _decide(self, node: BusinessRuleTask, scope: Scope) -> Any:
        """The output of the task's decision against every variable the task sees; a missing
        decision or a failed evaluation is Zeebe's incident (resolving it evaluates again)."""
        decision_id = str(self.expect(node.decision_id, scope, "STRING"))
        try:
            result = self._host.decisions.evaluate_by_id(decision_id, visible(scope))
        except NotFoundError as exc:
            raise StepFailed(ErrorType.CALLED_DECISION_ERROR, str(exc)) from None
        if result.failed:
            raise StepFailed(ErrorType.DECISION_EVALUATION_ERROR, result.evaluation.failure)
        return result.evaluation.output

    def _child_completed(self, caller: ElementInstance, child: ProcessInstance) -> None:
        if caller.state is not InstanceState.ACTIVE or caller.child_instance is not child:
            return
        caller.child_instance = None
        node = caller.node
        assert isinstance(node, CallActivity)  # noqa: S101 - only call activities have children
        keep = node.propagate_all_child_variables or bool(node.outputs)
        self.complete(caller, dict(child.root.variables) if keep else {})

    def _create_job(self, element: ElementInstance, job_type: str, retries: int) -> None:
        self._host.jobs.create(element, job_type, retries)

    def _create_user_task(
        self,
        element: ElementInstance,
        assignee: str | None,
        groups: list[str],
        users: list[str],
    ) -> None:
        self._host.user_tasks.create(
            element, assignee=assignee, candidate_groups=groups, candidate_users=users
        )

    def _optional_text(self, value: Any, scope: Scope) -> str | None:
        if value is None:
            return None
        result = self.expect(value, scope, "STRING", "NULL")
        return None if result is None else str(result)

    def _text_list(self, value: Any, scope: Scope) -> list[str]:
        if value is None:
            return []
        if value.expression is None:
            return [item.strip() for item in str(value.static).split(",") if item.strip()]
        result = self.expect(value, scope, "ARRAY", "STRING")
        return [str(item) for item in result] if isinstance(result, list) else [str(result)]

    def _enter_sub_process(self, element: ElementInstance, node: SubProcess) -> None:
        start = node.body.none_start
        self.open_event_subprocesses(element.instance, element)
        if start is not None:
            self.schedule_activation(element.instance, start, element)

    def _route(self, element: ElementInstance) -> None:
        """Exclusive: the first true condition; inclusive: every true one; else the default."""
        node = element.node
        assert isinstance(node, ExclusiveGateway | InclusiveGateway)  # noqa: S101 - narrowing
        if len(node.outgoing) == 1 and node.outgoing[0].condition is None:
            self.complete(element, taking=[node.outgoing[0]])
            return
        chosen: list[SequenceFlow] = []
        scope = element.variable_scope
        for flow in node.outgoing:
            if flow is node.default_flow or flow.condition is None:
                continue
            result = evaluate(flow.condition, lambda name: lookup(scope, name), self._clock)
            if result.value is True:
                chosen.append(flow)
                if isinstance(node, ExclusiveGateway):
                    break
            elif result.value is not False:
                message = (
                    f"Expected result of the expression '{flow.condition.text}' to be "
                    f"'BOOLEAN', but was '{type_name(result.value)}'."
                )
                if result.warnings:
                    message += " " + result.describe_warnings()
                self.fail_step(element, StepFailed(ErrorType.EXTRACT_VALUE_ERROR, message))
                return
        if not chosen and node.default_flow is not None:
            chosen = [node.default_flow]
        if not chosen and node.outgoing:
            self.fail_step(element, StepFailed(ErrorType.CONDITION_ERROR, NO_CONDITION_MATCHED))
            return
        self.complete(element, taking=chosen)

    def _terminate_scope(self, element: ElementInstance) -> None:
        """A terminate end event: end everything else in its scope, then the scope."""
        instance = element.instance
        scope = element.parent
        self.leave(element, InstanceState.COMPLETED)
        siblings = scope.children if scope is not None else instance.active
        for sibling in list(siblings.values()):
            if sibling.parent is scope:
                self.leave(sibling, InstanceState.TERMINATED)
        if scope is None:
            instance.join_tokens.clear()
            self._finish(instance, InstanceState.COMPLETED)
        else:
            scope.join_tokens.clear()
            self.complete(scope)
