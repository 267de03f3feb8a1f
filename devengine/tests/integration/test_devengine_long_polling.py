"""ActivateJobs long polling and StreamActivatedJobs: jobs reach waiting workers at once."""

import asyncio
from typing import Any

import grpc
import pytest
from engine_harness import ExpectError, Harness
from pyzeebe import ZeebeWorker
from pyzeebe.proto import gateway_pb2 as pb
from zeebe_devengine.bpmn.builder import one_task_process

pytestmark = pytest.mark.engine


def poll_request(
    job_type: str,
    *,
    request_timeout: int,
    max_jobs: int = 5,
    timeout: int = 10_000,
    worker: str = "poller",
) -> Any:
    return pb.ActivateJobsRequest(
        type=job_type,
        worker=worker,
        timeout=timeout,
        maxJobsToActivate=max_jobs,
        requestTimeout=request_timeout,
    )


async def collect(call: Any) -> list[Any]:
    return [job async for response in call for job in response.jobs]


async def poll_is_waiting(zb: Harness) -> None:
    """Until the poll is parked (dev engine), or a moment for a real cluster to register it."""
    if zb.target.engine is None:
        await asyncio.sleep(1)
        return
    async with asyncio.timeout(10):
        while zb.target.engine.waiting_polls == 0:
            await asyncio.sleep(0.005)


async def test_an_open_long_poll_receives_a_job_created_after_it_started(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    poll = asyncio.create_task(
        collect(zb.stub.ActivateJobs(poll_request(zb.name("t"), request_timeout=30_000)))
    )
    await poll_is_waiting(zb)
    assert not poll.done()
    created = await zb.client.run_process(zb.name("p"))
    jobs = await asyncio.wait_for(poll, timeout=30)
    assert [job.processInstanceKey for job in jobs] == [created.process_instance_key]


async def test_one_poll_collects_jobs_created_together(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    for _ in range(3):
        await zb.client.run_process(zb.name("p"))
    jobs = await collect(zb.stub.ActivateJobs(poll_request(zb.name("t"), request_timeout=10_000)))
    assert len(jobs) == 3
    assert len({job.key for job in jobs}) == 3


async def test_a_negative_request_timeout_answers_at_once_even_when_empty(zb: Harness) -> None:
    jobs = await collect(zb.stub.ActivateJobs(poll_request(zb.name("none"), request_timeout=-1)))
    assert jobs == []


async def test_a_long_poll_without_jobs_ends_empty_at_its_request_timeout(zb: Harness) -> None:
    jobs = await collect(zb.stub.ActivateJobs(poll_request(zb.name("none"), request_timeout=200)))
    assert jobs == []


@pytest.mark.parametrize(
    "request_fields",
    [
        {"type": "", "worker": "w", "timeout": 1000, "maxJobsToActivate": 1},
        {"type": "t", "worker": "w", "timeout": 0, "maxJobsToActivate": 1},
        {"type": "t", "worker": "w", "timeout": 1000, "maxJobsToActivate": 0},
    ],
)
async def test_malformed_activation_requests_are_invalid_argument(
    zb: Harness, expect_error: ExpectError, request_fields: dict[str, Any]
) -> None:
    request = pb.ActivateJobsRequest(requestTimeout=-1, **request_fields)
    await expect_error(grpc.StatusCode.INVALID_ARGUMENT, collect(zb.stub.ActivateJobs(request)))


async def test_absurd_numbers_are_handled_without_errors(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    await zb.client.run_process(zb.name("p"))
    request = poll_request(zb.name("t"), request_timeout=2**62, max_jobs=2**31 - 1, timeout=2**62)
    jobs = await collect(zb.stub.ActivateJobs(request))
    assert len(jobs) == 1


async def test_a_job_stream_receives_jobs_as_they_are_created(zb: Harness) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    stream = zb.stub.StreamActivatedJobs(
        pb.StreamActivatedJobsRequest(type=zb.name("t"), worker="streamer", timeout=10_000)
    )
    received = []

    async def read_two() -> None:
        async for job in stream:
            received.append(job)
            if len(received) == 2:
                return

    reader = asyncio.create_task(read_two())
    created: list[int] = []
    async with asyncio.timeout(30):
        while len(received) < 2:
            if len(created) < 2:
                created.append((await zb.client.run_process(zb.name("p"))).process_instance_key)
            await asyncio.sleep(0.05)
    await reader
    stream.cancel()
    assert sorted(job.processInstanceKey for job in received) == sorted(created)
    assert {job.worker for job in received} == {"streamer"}


async def test_a_streaming_pyzeebe_worker_runs_processes(
    zb: Harness, zeebe_channel: grpc.aio.Channel
) -> None:
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    worker = ZeebeWorker(zeebe_channel, name="streaming", stream_enabled=True)

    @worker.task(zb.name("t"))  # type: ignore[arg-type]  # pyzeebe's Function union
    async def work(n: int) -> dict[str, Any]:
        return {"doubled": n * 2}

    running = asyncio.create_task(worker.work())
    try:
        results = [
            await zb.client.run_process_with_result(zb.name("p"), {"n": n}, timeout=20_000)
            for n in range(5)
        ]
    finally:
        await worker.stop()
        await running
    assert [r.variables["doubled"] for r in results] == [0, 2, 4, 6, 8]


async def test_a_poll_cancelled_by_its_client_is_forgotten(zb: Harness) -> None:
    engine = zb.target.require_dev_engine("counts parked polls to cancel one deterministically")
    await zb.deploy(one_task_process(zb.name("p"), zb.name("t")))
    call = zb.stub.ActivateJobs(poll_request(zb.name("t"), request_timeout=30_000))
    poll = asyncio.create_task(collect(call))
    await poll_is_waiting(zb)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await poll
    async with asyncio.timeout(10):
        while engine.waiting_polls:
            await asyncio.sleep(0.005)
    await zb.client.run_process(zb.name("p"))
    [job] = await zb.activate(zb.name("t"))
    assert job.bpmnProcessId == zb.name("p")
