"""Every helper the engine's tests build BPMN models with, in one namespace.

    import bpmn_parts as bpmn

    bpmn.model(bpmn.start("s"), bpmn.service_task("pay", "payment"), bpmn.end_event("e"),
               *bpmn.chain("s", "pay", "e"))

`zeebe_devengine.bpmn.builder` (Zeebe-valid models: tasks, gateways, flows) and
`zeebe_devengine.bpmn.snippets` (events and scopes) together, so a test module imports one
name instead of a dozen from two modules.
"""

from zeebe_devengine.bpmn.builder import (
    business_rule_task,
    chain,
    definitions,
    end_event,
    error_boundary_event,
    exclusive_gateway,
    flow,
    one_task_process,
    parallel_gateway,
    process,
    service_task,
    start_event,
    timer_boundary_event,
    timer_catch_event,
)
from zeebe_devengine.bpmn.snippets import (
    boundary,
    catch,
    element,
    message,
    message_ref,
    model,
    start,
    sub_process,
    timer,
)

__all__ = [
    "boundary",
    "business_rule_task",
    "catch",
    "chain",
    "definitions",
    "element",
    "end_event",
    "error_boundary_event",
    "exclusive_gateway",
    "flow",
    "message",
    "message_ref",
    "model",
    "one_task_process",
    "parallel_gateway",
    "process",
    "service_task",
    "start",
    "start_event",
    "sub_process",
    "timer",
    "timer_boundary_event",
    "timer_catch_event",
]
