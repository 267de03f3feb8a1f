"""Issue 5 benchmark: identity-verification instances per second with the three real workers.

    .venv/bin/python bench/end_to_end.py [--instances 3000] [--rate 0.5]

Every part in its own process, as in production: `canary dev-engine`, `canary
stub-verifymenow` (no faults, no latency), and `canary worker --tasks choose`, `--tasks v1`,
`--tasks v2` against a scratch Postgres database. The bench creates `--instances` instances
(64 creations in flight); the clock runs until the REST API reports all completed. Reported:
instances/s and each worker process's peak RSS (goal <= 100 MB).
"""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_support import (
    count_completed,
    engine_process,
    peak_rss_mb,
    report,
    scratch_database,
    start_server,
    start_worker,
)
from pyzeebe import ZeebeClient, create_insecure_channel

from workers.operate.load import synthetic_applicant
from workers.postgres import rollout_store

MODEL = Path(__file__).resolve().parents[1] / "bpmn" / "identity-verification.bpmn"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=0.5)
    args = parser.parse_args()
    import random  # noqa: PLC0415

    import psycopg  # noqa: PLC0415

    processes: dict[str, asyncio.subprocess.Process] = {}
    async with scratch_database() as database_url, engine_process(20_000) as (address, rest_url):
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await rollout_store.set_rate(
                conn, "verifymenow", rate=args.rate, actor="bench", reason="bench"
            )
        no_latency = ("--v1-latency-median", "0", "--v1-latency-p95", "0",
                      "--v2-latency-median", "0", "--v2-latency-p95", "0")  # fmt: skip
        processes["stub"], stub_port = await start_server(
            "stub-verifymenow", "--port", "0", *no_latency, env={}, probe="/health"
        )
        stub_url = f"http://127.0.0.1:{stub_port}"
        for task in ("choose", "v1", "v2"):
            processes[task] = await start_worker(
                "--tasks",
                task,
                env={
                    "ZEEBE_ADDRESS": address,
                    "DATABASE_URL": database_url,
                    "VERIFYMENOW_V1_URL": stub_url,
                    "VERIFYMENOW_V2_URL": stub_url,
                },
            )
        channel = create_insecure_channel(grpc_address=address)
        client = ZeebeClient(channel)
        await client.deploy_resource(str(MODEL))
        rng = random.Random(1)
        slots = asyncio.Semaphore(64)

        async def create(i: int) -> None:
            async with slots:
                await client.run_process(
                    "identity-verification", synthetic_applicant(rng, i, prefix="BENCH")
                )

        started = time.perf_counter()
        await asyncio.gather(*(create(i) for i in range(args.instances)))
        while await count_completed(rest_url, "identity-verification") < args.instances:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        rss = {name: peak_rss_mb(p.pid) for name, p in processes.items()}
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            await process.wait()
        await channel.close()
    print(f"{os.cpu_count()} cores; {args.instances} instances, rate {args.rate:.0%} to v2")
    report(
        "identity-verification instances/s (3 workers, stand-in)", f"{args.instances / elapsed:.0f}"
    )
    for name in ("choose", "v1", "v2"):
        report(f"worker --tasks {name}: peak RSS", f"{rss[name]:.1f} MB", "<= 100 MB")
    report("VerifyMeNow stand-in: peak RSS", f"{rss['stub']:.1f} MB")


if __name__ == "__main__":
    asyncio.run(main())
