"""Timers on the engine clock: dates, durations, cycles, cron, timer start events, pinning.

Each test pins a Zeebe behaviour (Camunda 8.9 "Timer events"): a date in the past fires at
once; a pinned clock fires what is due by then; a cycle repeats its count; a timer start event
starts an instance per tick and a new version cancels the old version's timers.
"""

import asyncio

import bpmn_parts as bpmn
import pytest
from zeebe_devengine.bpmn.timers import parse_date_ms
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import AsyncioScheduler, ManualScheduler
from zeebe_devengine.core.state import (
    ErrorType,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
)
from zeebe_devengine.errors import InvalidArgumentError

NOW = parse_date_ms("2026-06-01T12:00:00Z")


@pytest.fixture
def clock() -> ManualScheduler:
    return ManualScheduler(start_ms=NOW)


@pytest.fixture
def engine(clock: ManualScheduler) -> Engine:
    return Engine(clock)


def deploy(engine: Engine, *elements: str) -> ProcessDefinition:
    return engine.deploy([("p.bpmn", bpmn.model(*elements))]).definitions[0]


def wait_on(engine: Engine, definition_xml: str) -> ProcessInstance:
    deploy(
        engine,
        bpmn.start_event("s"),
        definition_xml,
        bpmn.end_event("e"),
        *bpmn.chain("s", "wait", "e"),
    )
    return engine.create_instance(bpmn_process_id="p")


def test_a_time_date_in_the_past_fires_at_once(engine: Engine, clock: ManualScheduler) -> None:
    instance = wait_on(engine, bpmn.catch("wait", bpmn.timer("timeDate", "2020-01-01T00:00:00Z")))
    clock.advance(0)  # the next turn of the loop, without the clock moving
    assert instance.state is InstanceState.COMPLETED


def test_a_time_date_fires_when_the_clock_reaches_it(
    engine: Engine, clock: ManualScheduler
) -> None:
    instance = wait_on(
        engine, bpmn.catch("wait", bpmn.timer("timeDate", "2026-06-01T13:00:00+01:00"))
    )
    clock.advance(0)
    assert instance.state is InstanceState.COMPLETED  # 13:00+01:00 is 12:00Z: due now
    later = wait_on(engine, bpmn.catch("wait", bpmn.timer("timeDate", "2026-06-02T00:00:00Z")))
    engine.pin_clock(parse_date_ms("2026-06-01T23:59:59Z"))
    assert later.state is InstanceState.ACTIVE
    engine.advance_clock(1_000)
    assert later.state is InstanceState.COMPLETED  # type: ignore[comparison-overlap]  # changed by the call above


def test_pinning_the_clock_fires_every_timer_due_by_then_in_order(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.catch("wait", bpmn.timer("timeDuration", "PT1H")),
        bpmn.end_event("e"),
        *bpmn.chain("s", "wait", "e"),
    )
    first = engine.create_instance(bpmn_process_id="p")
    engine.advance_clock(30 * 60_000)
    second = engine.create_instance(bpmn_process_id="p")
    engine.pin_clock(NOW + 60 * 60_000)
    assert (first.state, second.state) == (InstanceState.COMPLETED, InstanceState.ACTIVE)
    assert engine.clock_ms() == NOW + 60 * 60_000


def test_the_clock_cannot_be_pinned_before_the_epoch_or_advanced_backwards(engine: Engine) -> None:
    with pytest.raises(InvalidArgumentError):
        engine.pin_clock(-1)
    with pytest.raises(InvalidArgumentError):
        engine.advance_clock(-5)


def test_a_non_interrupting_cycle_boundary_fires_its_count_then_stops(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.service_task("task", "work"),
        bpmn.boundary("remind", "task", bpmn.timer("timeCycle", "R2/PT1M"), interrupting=False),
        bpmn.service_task("notify", "notify"),
        bpmn.end_event("e"),
        bpmn.end_event("reminded"),
        *bpmn.chain("s", "task", "e"),
        *bpmn.chain("remind", "notify", "reminded"),
    )
    instance = engine.create_instance(bpmn_process_id="p")
    for _ in range(5):
        engine.advance_clock(60_000)
    assert instance.state is InstanceState.ACTIVE
    assert engine.jobs.activatable_count("notify") == 2
    assert engine.jobs.activatable_count("work") == 1


def test_a_timer_start_event_starts_an_instance_per_cycle_and_a_new_version_cancels_it(
    engine: Engine,
) -> None:
    deploy(
        engine,
        bpmn.start("tick", bpmn.timer("timeCycle", "R/PT1H")),
        bpmn.end_event("e"),
        *bpmn.chain("tick", "e"),
    )
    engine.advance_clock(3 * 3_600_000)
    assert len(engine.instances) == 3
    deploy(engine, bpmn.start_event("s"), bpmn.end_event("e"), *bpmn.chain("s", "e"))
    engine.advance_clock(3 * 3_600_000)
    assert len(engine.instances) == 3


def test_a_cron_cycle_fires_on_the_matching_seconds(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start("daily", bpmn.timer("timeCycle", "0 0 9 * * *")),
        bpmn.end_event("e"),
        *bpmn.chain("daily", "e"),
    )
    engine.pin_clock(parse_date_ms("2026-06-02T08:59:59Z"))
    assert len(engine.instances) == 0
    engine.pin_clock(parse_date_ms("2026-06-03T09:00:00Z"))
    assert len(engine.instances) == 2


def test_a_timer_expression_that_is_not_a_duration_is_an_incident(engine: Engine) -> None:
    deploy(
        engine,
        bpmn.start_event("s"),
        bpmn.catch("wait", bpmn.timer("timeDuration", "= delay")),
        bpmn.end_event("e"),
        *bpmn.chain("s", "wait", "e"),
    )
    instance = engine.create_instance(bpmn_process_id="p", variables={"delay": "soon"})
    [incident] = instance.incidents
    assert incident.error_type is ErrorType.EXTRACT_VALUE_ERROR
    assert "'soon'" in incident.message


@pytest.mark.parametrize(
    ("definition", "reason"),
    [
        (
            bpmn.catch("wait", bpmn.timer("timeCycle", "R3/PT1M")),
            "needs a timeDuration or timeDate",
        ),
        (
            bpmn.catch("wait", bpmn.timer("timeDate", "2026-01-01T00:00:00")),
            "no offset or time zone",
        ),
        (bpmn.start("tick", bpmn.timer("timeDuration", "PT1M")), "needs a timeDate or timeCycle"),
        (bpmn.start("tick", bpmn.timer("timeCycle", "0 0 25 * * *")), "out of range"),
    ],
)
def test_invalid_timers_are_refused_at_deploy(engine: Engine, definition: str, reason: str) -> None:
    with pytest.raises(InvalidArgumentError, match=reason):
        deploy(
            engine, bpmn.start_event("s"), definition, bpmn.end_event("e"), *bpmn.chain("s", "e")
        )


async def test_the_loop_scheduler_runs_what_a_pin_makes_due_and_holds_the_rest() -> None:
    loop = asyncio.get_running_loop()
    scheduler = AsyncioScheduler(loop)
    fired: list[str] = []
    scheduler.call_later(3_600_000, lambda: fired.append("hour"))
    scheduler.call_later(7_200_000, lambda: fired.append("two hours"))
    cancelled = scheduler.call_later(3_600_000, lambda: fired.append("cancelled"))
    cancelled.cancel()
    scheduler.pin(scheduler.now_ms() + 3_600_000)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert fired == ["hour"]
    frozen = scheduler.now_ms()
    await asyncio.sleep(0.01)
    assert scheduler.now_ms() == frozen  # a pinned clock stands still
    scheduler.reset()
    assert fired == ["hour"]  # two hours from the start are not due on the system clock


def test_deleting_the_latest_version_arms_the_timer_start_of_the_previous_one(
    engine: Engine,
) -> None:
    deploy(
        engine,
        bpmn.start("tick", bpmn.timer("timeCycle", "R/PT1H")),
        bpmn.end_event("e"),
        *bpmn.chain("tick", "e"),
    )
    latest = deploy(engine, bpmn.start_event("s"), bpmn.end_event("e"), *bpmn.chain("s", "e"))
    engine.advance_clock(2 * 3_600_000)
    assert not engine.instances
    engine.delete_resource(latest.key)
    engine.advance_clock(2 * 3_600_000)
    assert len(engine.instances) == 2
