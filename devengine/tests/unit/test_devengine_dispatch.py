"""Long-poll dispatch: jobs go to waiting polls at once, and are never lost to a dead one."""

import asyncio

from zeebe_devengine.bpmn.builder import one_task_process
from zeebe_devengine.core.engine import Engine
from zeebe_devengine.core.scheduler import AsyncioScheduler
from zeebe_devengine.core.state import JobActivation, JobState
from zeebe_devengine.gateway.dispatch import JobDispatcher


def setup_engine() -> tuple[Engine, JobDispatcher]:
    engine = Engine(AsyncioScheduler(asyncio.get_running_loop()))
    engine.deploy([("p.bpmn", one_task_process("p", "work").encode())])
    return engine, JobDispatcher(engine)


def poll(
    dispatcher: JobDispatcher, *, max_jobs: int = 10, request_timeout_ms: int = 30_000
) -> asyncio.Task[list[JobActivation]]:
    return asyncio.create_task(
        dispatcher.poll(
            "work",
            worker="w",
            timeout_ms=60_000,
            max_jobs=max_jobs,
            fetch=[],
            request_timeout_ms=request_timeout_ms,
        )
    )


async def parked(dispatcher: JobDispatcher, count: int = 1) -> None:
    while dispatcher.waiting < count:
        await asyncio.sleep(0)


async def test_a_job_created_during_a_poll_is_handed_over_in_the_same_turn() -> None:
    engine, dispatcher = setup_engine()
    waiting = poll(dispatcher)
    await parked(dispatcher)
    instance = engine.create_instance(bpmn_process_id="p")
    [job] = engine.jobs.jobs.values()
    assert job.state is JobState.ACTIVATED  # activated for the poll before create returned
    [delivered] = await waiting
    assert delivered.process_instance_key == instance.key


async def test_jobs_made_together_fill_one_poll_up_to_its_maximum() -> None:
    engine, dispatcher = setup_engine()
    first = poll(dispatcher, max_jobs=2)
    second = poll(dispatcher, max_jobs=2)
    await parked(dispatcher, 2)
    for _ in range(3):
        engine.create_instance(bpmn_process_id="p")
    assert (len(await first), len(await second)) == (2, 1)


async def test_jobs_handed_to_a_poll_whose_client_left_become_activatable_again() -> None:
    engine, dispatcher = setup_engine()
    waiting = poll(dispatcher)
    await parked(dispatcher)
    engine.create_instance(bpmn_process_id="p")  # handed over, not yet received...
    waiting.cancel()  # ...and the client goes away
    await asyncio.gather(waiting, return_exceptions=True)
    [job] = engine.jobs.jobs.values()
    assert job.state is JobState.ACTIVATABLE
    assert len(await poll(dispatcher)) == 1


async def test_closing_answers_waiting_polls_and_ends_streams() -> None:
    _, dispatcher = setup_engine()
    waiting = poll(dispatcher)
    await parked(dispatcher)
    stream = dispatcher.open_stream("work", worker="s", timeout_ms=1000, fetch=[])
    dispatcher.close()
    assert await waiting == []
    assert await stream.queue.get() is None


async def test_streams_get_new_jobs_before_polls() -> None:
    engine, dispatcher = setup_engine()
    waiting = poll(dispatcher)
    await parked(dispatcher)
    stream = dispatcher.open_stream("work", worker="s", timeout_ms=1000, fetch=[])
    engine.create_instance(bpmn_process_id="p")
    pushed = stream.queue.get_nowait()
    assert pushed is not None
    assert pushed.worker == "s"
    assert not waiting.done()
    dispatcher.close()
    await waiting
