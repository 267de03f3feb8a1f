"""Issue 3 benchmark: job delivery latency while a worker's long poll is open.

    .venv/bin/python bench/devengine_latency.py [--samples 1000]

Goal: p99 <= 5 ms from a job's creation to its arrival at the worker. One instance at a
time, each created only once the worker's poll is parked in the engine, so every job meets
an open long poll:

1. raw gateway stub: an ActivateJobs call (requestTimeout 30 s) waiting; latency from the
   engine creating the job (timestamped inside the engine) to the response arriving at the
   client, and from the client sending CreateProcessInstance to that arrival;
2. pyzeebe worker: from the engine creating the job to the task function starting.

The engine runs in the same process and event loop as the client (as in tests and the demo),
so every number includes the event loop's scheduling.
"""

import argparse
import asyncio
import statistics
import time
from typing import Any

from pyzeebe import Job, ZeebeClient, ZeebeWorker, create_insecure_channel
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub
from zeebe_devengine import DevEngine
from zeebe_devengine.bpmn.builder import one_task_process


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   max {ordered[-1]:6.3f} ms"


def timestamp_job_creation(dev: DevEngine) -> dict[int, float]:
    """Record when the engine creates each job (perf_counter, seconds)."""
    created: dict[int, float] = {}
    jobs = dev.engine.jobs
    original = jobs.create

    def create(*args: Any, **kwargs: Any) -> Any:
        job = original(*args, **kwargs)
        created[job.key] = time.perf_counter()
        return job

    jobs.create = create  # type: ignore[method-assign]
    return created


async def parked(dev: DevEngine) -> None:
    # A counter in the engine, not an event: yield to the loop until the poll is parked.
    while dev.waiting_polls == 0:
        await asyncio.sleep(0)


async def raw_stub(samples: int) -> None:
    async with DevEngine(port=0, rest_port=None) as dev:
        dev.engine.deploy([("p.bpmn", one_task_process("latency", "latency-job").encode())])
        created = timestamp_job_creation(dev)
        channel = create_insecure_channel(grpc_address=dev.grpc_address)
        stub = GatewayStub(channel)
        request = pb.ActivateJobsRequest(
            type="latency-job",
            worker="bench",
            timeout=60_000,
            maxJobsToActivate=1,
            requestTimeout=30_000,
        )
        from_creation: list[float] = []
        from_request: list[float] = []
        for _ in range(samples):

            async def poll() -> tuple[Any, float]:
                async for response in stub.ActivateJobs(request):
                    return response.jobs[0], time.perf_counter()
                msg = "the poll ended without a job"
                raise AssertionError(msg)

            waiting = asyncio.create_task(poll())
            await parked(dev)
            sent = time.perf_counter()
            await stub.CreateProcessInstance(
                pb.CreateProcessInstanceRequest(bpmnProcessId="latency", version=-1)
            )
            job, arrived = await waiting
            from_creation.append((arrived - created[job.key]) * 1000)
            from_request.append((arrived - sent) * 1000)
            await stub.CompleteJob(pb.CompleteJobRequest(jobKey=job.key))
        await channel.close()
    print(f"raw stub, job created -> response at the client:  {percentiles(from_creation)}")
    print(f"raw stub, create sent -> job at the client:       {percentiles(from_request)}")


async def pyzeebe_worker(samples: int) -> None:
    async with DevEngine(port=0, rest_port=None) as dev:
        dev.engine.deploy([("p.bpmn", one_task_process("latency", "latency-job").encode())])
        created = timestamp_job_creation(dev)
        channel = create_insecure_channel(grpc_address=dev.grpc_address)
        client = ZeebeClient(channel)
        worker = ZeebeWorker(channel, name="bench")
        latencies: list[float] = []
        done: asyncio.Queue[None] = asyncio.Queue()

        @worker.task("latency-job")
        async def measure(job: Job) -> dict[str, object]:
            latencies.append((time.perf_counter() - created[job.key]) * 1000)
            done.put_nowait(None)
            return {}

        running = asyncio.create_task(worker.work())
        for _ in range(samples):
            await parked(dev)
            await client.run_process("latency")
            await done.get()
        await worker.stop()
        await running
        await channel.close()
    print(f"pyzeebe worker, job created -> task function runs: {percentiles(latencies)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    print(f"{args.samples} jobs, each delivered to an open long poll")
    await raw_stub(args.samples)
    await pyzeebe_worker(args.samples)


if __name__ == "__main__":
    asyncio.run(main())
