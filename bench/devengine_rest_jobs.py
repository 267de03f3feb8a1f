"""Issue 11 benchmark: job activation + completion over REST next to gRPC, on the same engine.

    .venv/bin/python bench/devengine_rest_jobs.py [--jobs 2000] [--rounds 3] [--in-flight 32]

One `canary dev-engine` process serves both protocols. Each round first creates `--jobs`
instances of start -> one service task -> end over gRPC (untimed), so the jobs wait; then a
client activates them in batches of 32 and completes each, `--in-flight` completions at a
time, until all are done: timed from the first activation to the last completion (jobs/s).
gRPC uses the gateway's own stubs (ActivateJobs, CompleteJob), as pyzeebe does. REST
(`POST /v2/jobs/activation`, `POST /v2/jobs/{jobKey}/completion`, keep-alive) runs twice:
through httpx, the client Camunda's Python SDK and its job worker use, and through aiohttp's
client, to show how much of the cost is the client's. The order rotates every round, so the
machine's load falls on all alike; each is reported as the median of its rounds and as a
ratio to gRPC's.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import httpx
from pyzeebe import ZeebeClient
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import engine_process
from zeebe_devengine.bpmn.builder import one_task_process

BATCH = 32
#: The REST API through httpx (what Camunda's Python SDK uses) and through aiohttp's client,
#: which shows how much of the REST cost is the client's.
PROTOCOLS = ["gRPC", "REST, httpx", "REST, aiohttp"]
PROCESS_ID = "bench-rest-jobs"
Drain = Callable[[str, int], Awaitable[None]]


async def create_waiting_jobs(client: ZeebeClient, count: int) -> None:
    slots = asyncio.Semaphore(64)

    async def one() -> None:
        async with slots:
            await client.run_process(PROCESS_ID, {"payload": "x" * 64})

    await asyncio.gather(*(one() for _ in range(count)))


def grpc_drain(stub: GatewayStub, in_flight: int) -> Drain:
    async def drain(job_type: str, count: int) -> None:
        slots = asyncio.Semaphore(in_flight)

        async def complete(key: int) -> None:
            async with slots:
                await stub.CompleteJob(pb.CompleteJobRequest(jobKey=key, variables='{"ok":true}'))

        done = 0
        while done < count:
            request = pb.ActivateJobsRequest(
                type=job_type,
                worker="bench",
                timeout=60_000,
                maxJobsToActivate=BATCH,
                requestTimeout=1_000,
            )
            keys = [
                job.key async for response in stub.ActivateJobs(request) for job in response.jobs
            ]
            await asyncio.gather(*(complete(key) for key in keys))
            done += len(keys)

    return drain


Post = Callable[[str, dict[str, Any]], Awaitable[tuple[int, Any]]]


def httpx_post(rest: httpx.AsyncClient) -> Post:
    async def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = await rest.post(path, json=body)
        return response.status_code, response.json() if response.content else None

    return post


def aiohttp_post(session: aiohttp.ClientSession, base_url: str) -> Post:
    async def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        async with session.post(base_url + path, json=body) as response:
            content = await response.read()
            return response.status, json.loads(content) if content else None

    return post


def rest_drain(post: Post, in_flight: int) -> Drain:
    async def drain(job_type: str, count: int) -> None:
        slots = asyncio.Semaphore(in_flight)

        async def complete(key: str) -> None:
            async with slots:
                status, _ = await post(f"/v2/jobs/{key}/completion", {"variables": {"ok": True}})
                assert status == 204, status

        done = 0
        while done < count:
            body = {
                "type": job_type,
                "worker": "bench",
                "timeout": 60_000,
                "maxJobsToActivate": BATCH,
                "requestTimeout": 1_000,
            }
            status, activated = await post("/v2/jobs/activation", body)
            assert status == 200, (status, activated)
            keys = [job["jobKey"] for job in activated["jobs"]]
            await asyncio.gather(*(complete(key) for key in keys))
            done += len(keys)

    return drain


async def timed_round(
    client: ZeebeClient, drain: Drain, jobs: int, folder: Path, tag: str
) -> float:
    job_type = f"bench-{tag}"
    path = folder / f"{tag}.bpmn"
    path.write_text(one_task_process(PROCESS_ID, job_type))
    await client.deploy_resource(str(path))
    await create_waiting_jobs(client, jobs)
    start = time.perf_counter()
    await drain(job_type, jobs)
    return jobs / (time.perf_counter() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=32)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} cores, load {load:.1f}, Python {sys.version.split()[0]}, "
        f"{args.jobs} jobs a round, {args.in_flight} completions in flight"
    )
    rates: dict[str, list[float]] = {name: [] for name in PROTOCOLS}
    async with engine_process(args.jobs * len(PROTOCOLS) * args.rounds) as (address, rest_url):
        channel = grpc.aio.insecure_channel(address)
        client = ZeebeClient(channel)
        limits = httpx.Limits(
            max_connections=args.in_flight, max_keepalive_connections=args.in_flight
        )
        async with (
            httpx.AsyncClient(base_url=rest_url, timeout=30, limits=limits) as rest,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.in_flight)) as session,
        ):
            drains = {
                "gRPC": grpc_drain(GatewayStub(channel), args.in_flight),
                "REST, httpx": rest_drain(httpx_post(rest), args.in_flight),
                "REST, aiohttp": rest_drain(aiohttp_post(session, rest_url), args.in_flight),
            }
            with tempfile.TemporaryDirectory() as folder:
                for round_number in range(args.rounds):
                    # Rotate which protocol goes first, so none always runs warmer.
                    shift = round_number % len(PROTOCOLS)
                    for name in PROTOCOLS[shift:] + PROTOCOLS[:shift]:
                        tag = f"{name.split()[0].strip(',').lower()}-{shift}-{len(rates[name])}"
                        rate = await timed_round(client, drains[name], args.jobs, Path(folder), tag)
                        rates[name].append(rate)
                    print(
                        f"round {round_number + 1}: "
                        + ", ".join(f"{name} {rates[name][-1]:5.0f} jobs/s" for name in PROTOCOLS)
                    )
        await channel.close()
    grpc_median = statistics.median(rates["gRPC"])
    for name in PROTOCOLS:
        median = statistics.median(rates[name])
        print(f"{name:<14} median {median:6.0f} jobs/s, /gRPC {median / grpc_median:.2f}")
    print(f"load average after the run {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
