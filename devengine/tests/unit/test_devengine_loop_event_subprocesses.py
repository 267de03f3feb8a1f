"""Message event sub-processes inside a sequential multi-instance sub-process, as Zeebe runs
them (Camunda 8.9 docs, "Event subprocess" and "Messages"):

- the start event's subscription opens when its containing scope is activated, so each
  iteration (an inner instance of the loop) has its own, and none is open outside the loop;
- a non-interrupting one can be triggered many times, and its scope does not complete until
  the triggered instance has;
- an interrupting one terminates everything else in its scope; when it ends, the scope (this
  iteration) completes, and the loop's completion condition decides whether another begins;
- output mappings merge into the scopes above (the root when no scope holds the variable),
  like every variable merged into a process instance;
- a message with a time to live of 0 correlates only to a subscription open when it arrives.
"""

from typing import Any

import bpmn_parts as bpmn
import pytest
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.core.state import InstanceState, JobActivation, ProcessInstance


@pytest.fixture
def engine() -> Engine:
    return Engine(ManualScheduler())


def outputs(**mappings: str) -> str:
    body = "".join(f'<zeebe:output source="{s}" target="{t}"/>' for t, s in mappings.items())
    mapping = f"<zeebe:ioMapping>{body}</zeebe:ioMapping>"
    return f"<bpmn:extensionElements>{mapping}</bpmn:extensionElements>"


def message_start(element_id: str, message_id: str, mapping: str, *, interrupting: bool) -> str:
    flag = "" if interrupting else ' isInterrupting="false"'
    return (
        f'<bpmn:startEvent id="{element_id}"{flag}>{mapping}{bpmn.message_ref(message_id)}'
        "</bpmn:startEvent>"
    )


LOOP = (
    '<bpmn:multiInstanceLoopCharacteristics isSequential="true"><bpmn:extensionElements>'
    '<zeebe:loopCharacteristics inputCollection="= items" inputElement="item"/>'
    "</bpmn:extensionElements>"
    '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">= done</bpmn:completionCondition>'
    "</bpmn:multiInstanceLoopCharacteristics>"
)


@pytest.fixture
def instance(engine: Engine) -> ProcessInstance:
    """s -> loop over items (each: a `work` job; a `note` event sub-process that sets `noted`
    and runs a `noting` job; an interrupting `skip` one that sets `done`) -> `after` -> e."""
    note = bpmn.sub_process(
        "on-note",
        message_start("noted", "note", outputs(noted="= true"), interrupting=False),
        bpmn.service_task("noting", "noting"),
        bpmn.end_event("note-end"),
        *bpmn.chain("noted", "noting", "note-end"),
        event=True,
    )
    skip = bpmn.sub_process(
        "on-skip",
        message_start("skipped", "skip", outputs(done="= true"), interrupting=True),
        bpmn.end_event("skip-end"),
        *bpmn.chain("skipped", "skip-end"),
        event=True,
    )
    loop = (
        '<bpmn:subProcess id="loop">'
        + LOOP
        + bpmn.start_event("ls")
        + bpmn.service_task("work", "work")
        + bpmn.end_event("le")
        + "".join(bpmn.chain("ls", "work", "le"))
        + note
        + skip
        + "</bpmn:subProcess>"
    )
    engine.deploy(
        [
            (
                "p.bpmn",
                bpmn.model(
                    bpmn.start_event("s"),
                    loop,
                    bpmn.service_task("after", "after"),
                    bpmn.end_event("e"),
                    *bpmn.chain("s", "loop", "after", "e"),
                    declarations=(
                        bpmn.message("note", "note", key="= id"),
                        bpmn.message("skip", "skip", key="= id"),
                    ),
                ),
            )
        ]
    )
    return engine.create_instance(
        bpmn_process_id="p", variables={"items": [1, 2, 3], "id": "a", "done": False}
    )


def jobs(engine: Engine, job_type: str) -> list[JobActivation]:
    return engine.activate_jobs(job_type, worker="w", timeout_ms=60_000, max_jobs=10, fetch=[])


def publish(engine: Engine, name: str, **variables: Any) -> None:
    engine.publish_message(
        name, correlation_key="a", time_to_live_ms=0, message_id="", variables=variables
    )


def test_each_iteration_opens_the_subscription_and_its_scope_waits_for_the_triggered_one(
    engine: Engine, instance: ProcessInstance
) -> None:
    [first] = jobs(engine, "work")
    engine.complete_job(first.key, {})
    [second] = jobs(engine, "work")
    assert '"item":2' in second.variables

    publish(engine, "note")  # in the second iteration: its own subscription takes it
    assert instance.root.variables["noted"] is True  # merged up to the root, not kept below
    [noting] = jobs(engine, "noting")
    engine.complete_job(second.key, {})
    assert jobs(engine, "work") == []  # the iteration waits for its event sub-process
    engine.complete_job(noting.key, {})
    [third] = jobs(engine, "work")
    assert '"item":3' in third.variables

    publish(engine, "note")  # non-interrupting: taken again, by the third iteration
    assert len(jobs(engine, "noting")) == 1


def test_an_interrupting_one_ends_the_iteration_and_the_completion_condition_the_loop(
    engine: Engine, instance: ProcessInstance
) -> None:
    assert len(jobs(engine, "work")) == 1
    publish(engine, "skip")

    assert instance.root.variables["done"] is True
    assert "work" in instance.terminated_ids
    assert engine.jobs.activatable_count("work") == 0
    assert {"skip-end", "loop"} <= instance.completed_ids
    [after] = jobs(engine, "after")  # no second iteration: `done` ended the loop
    publish(engine, "note")  # the loop is over: no subscription, and TTL 0 keeps nothing
    assert jobs(engine, "noting") == []
    engine.complete_job(after.key, {})
    assert instance.state is InstanceState.COMPLETED
