"""Camunda's clock API over REST and the plugin's `zeebe_clock` fixture: timer paths tested
without waiting. ``PUT /v2/clock`` pins the engine clock (204) and timers due by then fire at
once; ``POST /v2/clock/reset`` returns to system time (204). Against a real cluster the clock
must be controllable (``zeebe.clock.controlled: true``)."""

import time

import pytest
from engine_harness import Harness
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import chain, definitions, end_event, process, start_event
from zeebe_devengine.bpmn.snippets import catch, timer
from zeebe_devengine.fixtures import ZeebeClock

pytestmark = pytest.mark.engine


def hour_timer_process(process_id: str) -> str:
    return definitions(
        process(
            process_id,
            start_event("s"),
            catch("wait", timer("timeDuration", "PT1H")),
            end_event("e"),
            *chain("s", "wait", "e"),
        )
    )


async def instance_state(zb: Harness, key: int) -> str | None:
    response = await zb.rest.get(f"/v2/process-instances/{key}")
    return response.json().get("state") if response.status_code == 200 else None


async def test_pinning_the_clock_over_rest_fires_a_due_timer_and_reset_answers_204(
    zb: Harness,
) -> None:
    await zb.deploy(hour_timer_process(zb.name("p")))
    created = await zb.stub.CreateProcessInstance(
        pb.CreateProcessInstanceRequest(bpmnProcessId=zb.name("p"), version=-1)
    )
    later = int(time.time() * 1000) + 2 * 3_600_000
    pinned = await zb.rest.put("/v2/clock", json={"timestamp": later})
    assert pinned.status_code == 204

    async def completed() -> bool:
        return await instance_state(zb, created.processInstanceKey) == "COMPLETED"

    await zb.eventually(completed)
    reset = await zb.rest.post("/v2/clock/reset")
    assert reset.status_code == 204


async def test_a_clock_pin_without_a_timestamp_is_a_bad_request(zb: Harness) -> None:
    response = await zb.rest.put("/v2/clock", json={"when": 1})
    assert response.status_code == 400


async def test_the_zeebe_clock_fixture_advances_past_a_timer(
    zb: Harness, zeebe_clock: ZeebeClock
) -> None:
    await zb.deploy(hour_timer_process(zb.name("p")))
    created = await zb.stub.CreateProcessInstance(
        pb.CreateProcessInstanceRequest(bpmnProcessId=zb.name("p"), version=-1)
    )
    await zeebe_clock.advance(30 * 60_000)
    assert await instance_state(zb, created.processInstanceKey) == "ACTIVE"
    await zeebe_clock.advance(30 * 60_000)

    async def completed() -> bool:
        return await instance_state(zb, created.processInstanceKey) == "COMPLETED"

    await zb.eventually(completed)
