"""A background task that stops by itself is never silent."""

import asyncio

from structlog.testing import capture_logs

from workers.runtime.task_watch import TaskWatch


async def test_a_task_that_raises_sets_died_with_its_reason():
    watch = TaskWatch()

    async def broken() -> None:
        msg = "cannot go on\nsecond line"
        raise RuntimeError(msg)

    with capture_logs() as logs:
        watch.watch(asyncio.create_task(broken()), "outcome recorder")
        await asyncio.wait_for(watch.died.wait(), 5)
    assert watch.problem() == "outcome recorder stopped (RuntimeError: cannot go on)"
    assert [e["task"] for e in logs] == ["outcome recorder"]


async def test_a_task_that_returns_is_a_death_too():
    watch = TaskWatch()

    async def quits() -> None:
        return None

    watch.watch(asyncio.create_task(quits()), "job loop")
    await asyncio.wait_for(watch.died.wait(), 5)
    assert watch.problem() == "job loop stopped (returned)"


async def test_tasks_ending_after_stopping_are_expected():
    watch = TaskWatch()
    task = asyncio.create_task(asyncio.sleep(3600))
    watch.watch(task, "rollout cache")
    watch.stopping()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)
    assert not watch.died.is_set()
    assert watch.problem() is None
