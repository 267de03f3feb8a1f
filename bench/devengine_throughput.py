"""Issue 3 benchmark: process instances per second through the dev engine and pyzeebe workers.

    .venv/bin/python bench/devengine_throughput.py [--instances 2000] [--in-flight 64]

Two models: start -> one service task -> end with a no-op pyzeebe worker, and our
identity-verification process (bpmn/identity-verification.bpmn) with no-op workers for its
three job types (choose-version alternates v1/v2). Each runs twice: the engine as
`canary dev-engine` in its own process (the workers' process is the client), and the engine
in the same event loop as the workers (as the offline demo runs it).

`--in-flight` instances run at a time (CreateProcessInstanceWithResult: a slot frees when
its instance completes), so the engine works at a steady state; the clock runs from the
first creation to the last completion. Workers activate 32 jobs per call and may run 128.
Two client-side limits shape this design: pyzeebe sleeps 5 s (`poll_retry_delay`) whenever
its running jobs reach `max_running_jobs` (32 by default, so one full batch stalls a task
type), and grpcio's asyncio stack cancels calls beyond ~2000 in flight on one channel.
"""

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from pyzeebe import ZeebeClient, ZeebeWorker, create_insecure_channel
from zeebe_devengine import DevEngine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import count_completed, engine_process
from zeebe_devengine.bpmn.builder import one_task_process

IDENTITY_BPMN = Path(__file__).resolve().parents[1] / "bpmn" / "identity-verification.bpmn"


@contextlib.asynccontextmanager
async def engine_in_loop(retain: int) -> AsyncIterator[tuple[str, str]]:
    async with DevEngine(port=0, rest_port=0, retained_finished=retain) as engine:
        yield engine.grpc_address, engine.rest_url or ""


#: Headroom above a full batch, so pyzeebe's poller never hits its 5 s `poll_retry_delay`.
TASK_LIMITS = {"max_jobs_to_activate": 32, "max_running_jobs": 128}


def register_noop_workers(worker: ZeebeWorker, model: str) -> None:
    if model == "one-task":

        @worker.task("bench-noop", **TASK_LIMITS)
        async def noop() -> dict[str, object]:
            return {}

        return
    counter = {"n": 0}

    @worker.task("choose-version", **TASK_LIMITS)
    async def choose() -> dict[str, object]:
        counter["n"] += 1
        return {"useVersion": 1 + counter["n"] % 2}

    @worker.task("verify-identity-v1", **TASK_LIMITS)
    async def verify_v1() -> dict[str, object]:
        return {}

    @worker.task("verify-identity-v2", **TASK_LIMITS)
    async def verify_v2() -> dict[str, object]:
        return {}


async def measure(model: str, *, in_process: bool, instances: int, in_flight: int) -> float:
    serve = engine_in_loop if in_process else engine_process
    async with serve(instances * 2) as (address, rest_url):
        channel = create_insecure_channel(grpc_address=address)
        client = ZeebeClient(channel)
        with tempfile.TemporaryDirectory() as folder:
            if model == "one-task":
                path = Path(folder) / "bench.bpmn"
                path.write_text(one_task_process("bench-one-task", "bench-noop"))
                process_id = "bench-one-task"
            else:
                path = IDENTITY_BPMN
                process_id = "identity-verification"
            await client.deploy_resource(str(path))
        worker = ZeebeWorker(channel, name="bench")
        register_noop_workers(worker, model)
        working = asyncio.create_task(worker.work())
        slots = asyncio.Semaphore(in_flight)

        async def run(i: int) -> None:
            async with slots:
                await client.run_process_with_result(
                    process_id, {"applicantId": f"a{i}"}, timeout=60_000
                )

        start = time.perf_counter()
        await asyncio.gather(*(run(i) for i in range(instances)))
        elapsed = time.perf_counter() - start
        assert await count_completed(rest_url, process_id) == instances
        await worker.stop()
        await working
        await channel.close()
    return instances / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=64)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.instances} instances")
    for model in ("one-task", "identity-verification"):
        for in_process in (False, True):
            rate = await measure(
                model, in_process=in_process, instances=args.instances, in_flight=args.in_flight
            )
            where = (
                "engine in the workers' event loop" if in_process else "engine in its own process"
            )
            print(f"{model:>22}, {where:<34} {rate:7.0f} instances/s")


if __name__ == "__main__":
    asyncio.run(main())
