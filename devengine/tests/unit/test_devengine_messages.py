"""Messages to running instances, as Zeebe correlates them (Camunda 8.9 "Messages").

Subscriptions open on entry with the name and the correlation key evaluated then; a message
correlates to one matching subscription per process (BPMN process id); with a TTL it waits in
the buffer for subscriptions opened later, with TTL 0 it is dropped; a message id is unique
while buffered; event-based gateways take the first event and close the others.
"""

from typing import Any

import bpmn_parts as bpmn
import pytest
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import ManualScheduler
from zeebe_devengine.core.state import (
    ErrorType,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
)
from zeebe_devengine.errors import AlreadyExistsError, NotFoundError

PAID = bpmn.message("paid", "order-paid", key="= orderId")


@pytest.fixture
def clock() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def engine(clock: ManualScheduler) -> Engine:
    return Engine(clock)


def deploy(
    engine: Engine, *elements: str, declarations: tuple[str, ...] = (PAID,)
) -> ProcessDefinition:
    return engine.deploy(
        [("p.bpmn", bpmn.model(*elements, declarations=declarations))]
    ).definitions[0]


def publish(
    engine: Engine,
    name: str = "order-paid",
    key: str = "o-1",
    ttl: int = 0,
    message_id: str = "",
    **variables: Any,
) -> int:
    return engine.publish_message(
        name, correlation_key=key, time_to_live_ms=ttl, message_id=message_id, variables=variables
    )


def waiting_for_payment(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.catch("wait", bpmn.message_ref("paid")),
        bpmn.end_event("e"),
        *bpmn.chain("s", "wait", "e"),
    )


def test_a_catch_event_takes_the_message_with_its_key_and_its_variables(engine: Engine) -> None:
    waiting_for_payment(engine)
    mine = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})
    other = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-2"})
    publish(engine, amount=5)
    assert mine.state is InstanceState.COMPLETED
    assert mine.root.variables == {"orderId": "o-1", "amount": 5}
    assert other.state is InstanceState.ACTIVE


def test_a_number_correlation_key_matches_its_text(engine: Engine) -> None:
    waiting_for_payment(engine)
    instance = engine.create_instance(bpmn_process_id="p", variables={"orderId": 42})
    publish(engine, key="42")
    assert instance.state is InstanceState.COMPLETED


def test_a_buffered_message_is_taken_on_entry_and_a_ttl_zero_one_is_dropped(
    engine: Engine, clock: ManualScheduler
) -> None:
    waiting_for_payment(engine)
    publish(engine, key="late", ttl=0)
    publish(engine, key="early", ttl=60_000)
    dropped = engine.create_instance(bpmn_process_id="p", variables={"orderId": "late"})
    buffered = engine.create_instance(bpmn_process_id="p", variables={"orderId": "early"})
    assert dropped.state is InstanceState.ACTIVE
    assert buffered.state is InstanceState.COMPLETED
    publish(engine, key="gone", ttl=1_000)
    clock.advance(1_000)
    expired = engine.create_instance(bpmn_process_id="p", variables={"orderId": "gone"})
    assert expired.state is InstanceState.ACTIVE


def test_a_message_correlates_once_per_process_even_within_one_instance(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.parallel_gateway("fork"),
        bpmn.catch("a", bpmn.message_ref("paid")),
        bpmn.catch("b", bpmn.message_ref("paid")),
        bpmn.end_event("ea"),
        bpmn.end_event("eb"),
        *bpmn.chain("s", "fork", "a", "ea"),
        *bpmn.chain("fork", "b", "eb"),
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})
    publish(engine)
    assert instance.state is InstanceState.ACTIVE
    assert len(instance.completed_ids & {"a", "b"}) == 1
    publish(engine)
    assert instance.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above


def test_a_message_correlates_to_only_one_of_two_instances_waiting_with_its_key(
    engine: Engine,
) -> None:
    # Zeebe's "message cardinality": once per BPMN process id, across its instances.
    waiting_for_payment(engine)
    first = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})
    second = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})
    publish(engine)
    assert [first.state, second.state] == [InstanceState.COMPLETED, InstanceState.ACTIVE]
    publish(engine)
    assert second.state is InstanceState.COMPLETED


def test_a_duplicate_message_id_is_refused_while_buffered(engine: Engine) -> None:
    publish(engine, ttl=10_000, message_id="m-1")
    with pytest.raises(AlreadyExistsError):
        publish(engine, ttl=10_000, message_id="m-1")


def test_a_null_correlation_key_is_an_extract_value_incident(engine: Engine) -> None:
    waiting_for_payment(engine)
    instance = engine.create_instance(bpmn_process_id="p")
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.EXTRACT_VALUE_ERROR
    assert incident.message == (
        "Failed to extract the correlation key for 'orderId': "
        "The value must be either a string or a number, but was 'NULL'."
    )
    engine.set_variables(instance.key, {"orderId": "o-1"}, local=False)
    engine.resolve_incident(incident.key)
    publish(engine)
    assert instance.state is InstanceState.COMPLETED


def task_with_message_boundary(engine: Engine, *, interrupting: bool) -> ProcessInstance:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("task", "work"),
        bpmn.boundary("cancel", "task", bpmn.message_ref("paid"), interrupting=interrupting),
        bpmn.service_task("after", "after"),
        bpmn.end_event("e"),
        bpmn.end_event("boundary-end"),
        *bpmn.chain("s", "task", "e"),
        *bpmn.chain("cancel", "after", "boundary-end"),
    )
    return engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})


def test_an_interrupting_message_boundary_cancels_the_task_and_its_job(engine: Engine) -> None:
    instance = task_with_message_boundary(engine, interrupting=True)
    [job] = engine.activate_jobs("work", worker="w", timeout_ms=1_000, max_jobs=1, fetch=[])
    publish(engine)
    assert "task" in instance.terminated_ids
    with pytest.raises(NotFoundError):
        engine.complete_job(job.key, {})
    assert engine.jobs.activatable_count("after") == 1


def test_a_non_interrupting_message_boundary_fires_each_time_and_keeps_the_task(
    engine: Engine,
) -> None:
    instance = task_with_message_boundary(engine, interrupting=False)
    publish(engine)
    publish(engine)  # each message correlates once: two messages, two boundary paths
    assert engine.jobs.activatable_count("after") == 2
    assert engine.jobs.activatable_count("work") == 1
    assert instance.state is InstanceState.ACTIVE


def test_a_receive_task_waits_for_its_message(engine: Engine) -> None:
    receive = '<bpmn:receiveTask id="wait" messageRef="paid"/>'
    deploy(
        engine, bpmn.start_event("s"), receive, bpmn.end_event("e"), *bpmn.chain("s", "wait", "e")
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})
    assert instance.state is InstanceState.ACTIVE
    publish(engine, paid=True)
    assert instance.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above
    assert instance.root.variables["paid"] is True


def event_gateway(engine: Engine) -> ProcessInstance:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.element("eventBasedGateway", "g"),
        bpmn.catch("paid-event", bpmn.message_ref("paid")),
        bpmn.catch("timeout", bpmn.timer("timeDuration", "PT1H")),
        bpmn.end_event("paid-end"),
        bpmn.end_event("timeout-end"),
        *bpmn.chain("s", "g", "paid-event", "paid-end"),
        *bpmn.chain("g", "timeout", "timeout-end"),
    )
    return engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})


def test_an_event_based_gateway_takes_the_message_and_cancels_the_timer(
    engine: Engine, clock: ManualScheduler
) -> None:
    instance = event_gateway(engine)
    publish(engine)
    clock.advance(2 * 3_600_000)
    assert instance.state is InstanceState.COMPLETED
    assert "paid-end" in instance.completed_ids
    assert "timeout" not in instance.completed_ids


def test_an_event_based_gateway_takes_the_timer_and_closes_the_subscription(
    engine: Engine, clock: ManualScheduler
) -> None:
    instance = event_gateway(engine)
    engine.advance_clock(3_600_000)
    assert instance.state is InstanceState.COMPLETED
    assert "timeout-end" in instance.completed_ids
    publish(engine)  # nobody subscribed any more: dropped
    assert "paid-event" not in instance.completed_ids


def started_by_go(engine: Engine) -> None:
    """A message start event (message "go") -> a "work" task -> end."""
    deploy(
        engine,
        bpmn.start("s", bpmn.message_ref("go")),
        bpmn.service_task("task", "work"),
        bpmn.end_event("e"),
        *bpmn.chain("s", "task", "e"),
        declarations=(bpmn.message("go", "go"),),
    )


def test_a_message_start_with_ttl_zero_is_dropped_while_an_instance_of_its_key_runs(
    engine: Engine,
) -> None:
    started_by_go(engine)
    publish(engine, name="go", key="k")
    publish(engine, name="go", key="k")  # TTL 0: one instance per key, the second is dropped
    [job] = engine.activate_jobs("work", worker="w", timeout_ms=1_000, max_jobs=5, fetch=[])
    engine.complete_job(job.key, {})
    assert len(engine.instances) == 1


def test_correlating_names_the_instance_it_reached_and_never_buffers(engine: Engine) -> None:
    waiting_for_payment(engine)
    instance = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-1"})
    message_key, reached = engine.correlate_message(
        "order-paid", correlation_key="o-1", variables={"amount": 3}
    )
    assert reached == instance.key
    assert message_key != instance.key
    assert instance.root.variables["amount"] == 3
    with pytest.raises(NotFoundError):
        engine.correlate_message("order-paid", correlation_key="o-2", variables={})
    later = engine.create_instance(bpmn_process_id="p", variables={"orderId": "o-2"})
    assert later.state is InstanceState.ACTIVE  # the refused message was not buffered


def test_correlating_to_a_message_start_event_names_the_started_instance(
    engine: Engine,
) -> None:
    started_by_go(engine)
    _, started = engine.correlate_message("go", correlation_key="", variables={"n": 1})
    assert engine.instances[started].root.variables == {"n": 1}
