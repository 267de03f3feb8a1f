"""The breadth added for real models, driven through pyzeebe as a user's project would:
messages to running instances, an event-based gateway, pyzeebe's default error status (an
empty error code) caught by a catch-all, and a call activity waited on with a result."""

import asyncio
from collections.abc import Callable

import pytest
from engine_harness import Harness
from pyzeebe import Job, ZeebeWorker
from pyzeebe.job.job import JobController
from zeebe_devengine.bpmn.builder import (
    chain,
    definitions,
    end_event,
    error_boundary_event,
    process,
    service_task,
    start_event,
)
from zeebe_devengine.bpmn.snippets import catch, element, message, message_ref, timer

pytestmark = pytest.mark.engine


async def test_a_published_message_reaches_the_waiting_instance_by_key(zb: Harness) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("s"),
                element("eventBasedGateway", "g"),
                catch("paid", message_ref("m")),
                catch("late", timer("timeDuration", "PT1H")),
                end_event("paid-end"),
                end_event("late-end"),
                *chain("s", "g", "paid", "paid-end"),
                *chain("g", "late", "late-end"),
            ),
            message("m", zb.name("paid"), key="= orderId"),
        )
    )
    waiting = asyncio.ensure_future(
        zb.client.run_process_with_result(zb.name("p"), {"orderId": "o-7"}, timeout=20_000)
    )
    other = await zb.client.run_process(zb.name("p"), {"orderId": "o-8"})
    # Published with a TTL, so it waits for the subscription however the calls interleave.
    await zb.client.publish_message(
        zb.name("paid"), "o-7", {"amount": 12}, time_to_live_in_milliseconds=60_000
    )
    response = await waiting
    assert response.variables["amount"] == 12
    assert other.process_instance_key != response.process_instance_key


async def test_pyzeebe_set_error_status_is_caught_by_a_catch_all_boundary(
    zb: Harness, worker: ZeebeWorker, start_worker: Callable[[], None]
) -> None:
    await zb.deploy(
        definitions(
            process(
                zb.name("p"),
                start_event("s"),
                service_task("work", zb.name("work")),
                error_boundary_event("any", "work", error_ref=None),
                end_event("e"),
                end_event("caught"),
                *chain("s", "work", "e"),
                *chain("any", "caught"),
            )
        )
    )

    async def handler(exc: Exception, job: Job, controller: JobController) -> None:
        await controller.set_error_status(f"failed: {exc}")  # empty error code

    @worker.task(zb.name("work"), exception_handler=handler)  # type: ignore[arg-type]
    async def work() -> dict[str, object]:
        raise RuntimeError("boom")

    start_worker()
    response = await zb.client.run_process_with_result(zb.name("p"), {}, timeout=20_000)
    assert response.process_instance_key > 0


async def test_a_call_activity_returns_the_childs_variables(
    zb: Harness, worker: ZeebeWorker, start_worker: Callable[[], None]
) -> None:
    child = process(
        zb.name("child"),
        start_event("cs"),
        service_task("child-work", zb.name("child-work")),
        end_event("ce"),
        *chain("cs", "child-work", "ce"),
    )
    call = element(
        "callActivity",
        "call",
        "<bpmn:extensionElements>"
        f'<zeebe:calledElement processId="{zb.name("child")}"/>'
        "</bpmn:extensionElements>",
    )
    parent = process(
        zb.name("parent"), start_event("s"), call, end_event("e"), *chain("s", "call", "e")
    )
    await zb.deploy(definitions(child), definitions(parent))

    @worker.task(zb.name("child-work"))  # type: ignore[arg-type]
    async def child_work(n: int) -> dict[str, object]:
        return {"doubled": n * 2}

    start_worker()
    response = await zb.client.run_process_with_result(zb.name("parent"), {"n": 21}, timeout=20_000)
    assert response.variables["doubled"] == 42
