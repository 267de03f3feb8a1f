"""Multi-instance activities, as Zeebe runs them: a body element with one inner instance per
item of the input collection, all at once (parallel) or one after the other (sequential).

The body evaluates ``inputCollection`` on entry (not a list: incident EXTRACT_VALUE_ERROR),
owns the boundary events and a local ``outputCollection`` (one null per item). Each inner
instance gets ``loopCounter`` (from 1) and the ``inputElement`` as local variables, runs the
activity with its own input/output mappings, and on completion writes ``outputElement`` to
its slot of the output collection. After each completion ``completionCondition`` is checked:
true ends the remaining inner instances. When the body completes, the output collection
propagates to the body's flow scope.
"""

from typing import Any

from zeebe_devengine.bpmn.model import MultiInstance
from zeebe_devengine.core.state import ElementInstance, ErrorType, InstanceState
from zeebe_devengine.core.tokens import StepFailed, Tokens
from zeebe_devengine.core.variables import lookup, propagate
from zeebe_devengine.feel.evaluate import evaluate, type_name


class Loops(Tokens):
    def enter_body(self, body: ElementInstance) -> None:
        loop = body.node.loop
        assert loop is not None  # noqa: S101 - only multi-instance elements have a body
        scope = body.variable_scope
        result = evaluate(loop.input_collection, lambda name: lookup(scope, name), self._clock)
        if not isinstance(result.value, list):
            message = (
                f"Expected result of the expression '{loop.input_collection.text}' to be "
                f"'ARRAY', but was '{type_name(result.value)}'."
            )
            self.fail_step(body, StepFailed(ErrorType.EXTRACT_VALUE_ERROR, message))
            return
        try:
            self.open_boundaries(body)
        except StepFailed as failure:
            for timer in body.timers:
                timer.cancel()
            body.timers.clear()
            self.fail_step(body, failure)
            return
        body.loop_items = list(result.value)
        local = self.local_scope(body)
        if loop.output_collection is not None:
            local.variables[loop.output_collection] = [None] * len(body.loop_items)
        if not body.loop_items:
            self.complete(body)
            return
        for _ in range(1 if loop.sequential else len(body.loop_items)):
            self._start_inner(body, loop)

    def _start_inner(self, body: ElementInstance, loop: MultiInstance) -> None:
        index = body.loop_started
        body.loop_started += 1
        item = body.loop_items[index]

        def enter(inner: ElementInstance) -> None:
            inner.inner = True
            inner.loop_index = index
            local = self.local_scope(inner)
            local.variables["loopCounter"] = index + 1
            if loop.input_element is not None:
                local.variables[loop.input_element] = item
            self._enter(inner, None)

        self.schedule_activation(body.instance, body.node, body, then=enter)

    def _inner_completed(self, body: ElementInstance, inner: ElementInstance) -> None:
        loop = body.node.loop
        assert loop is not None  # noqa: S101 - inner instances belong to a body
        scope = inner.variable_scope
        if loop.output_element is not None and loop.output_collection is not None:
            value = evaluate(
                loop.output_element, lambda name: lookup(scope, name), self._clock
            ).value
            collection = self.local_scope(body).variables.get(loop.output_collection)
            if isinstance(collection, list) and inner.loop_index < len(collection):
                collection[inner.loop_index] = value
        done = False
        if loop.completion_condition is not None:
            outcome = evaluate(
                loop.completion_condition, lambda name: lookup(scope, name), self._clock
            )
            done = outcome.value is True
        self.leave(inner, InstanceState.COMPLETED)
        if done:
            for sibling in list(body.children.values()):
                self.leave(sibling, InstanceState.TERMINATED)
            self.complete(body)
            return
        if loop.sequential and body.loop_started < len(body.loop_items):
            self._start_inner(body, loop)
            return
        self._maybe_complete(body.instance, body)

    def _collect_output(self, body: ElementInstance) -> None:
        loop = body.node.loop
        if loop is None or loop.output_collection is None:
            return
        local = self.local_scope(body).variables
        output: dict[str, Any] = {loop.output_collection: local.get(loop.output_collection)}
        propagate(self.flow_scope(body), output)
