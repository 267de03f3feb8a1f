"""Issue 5 benchmark: what the canary gate costs next to a bare pyzeebe worker.

    .venv/bin/python bench/worker_gate_cost.py [--jobs 4000] [--rounds 2]

The dev engine runs in its own process; so does each worker: our `canary worker --tasks
choose` (rollout cache, decision, per-job log line, metrics, the Postgres recorder) and
bench/noop_worker.py (pyzeebe answering a fixed variable). In one run, alternating (the
order flipped every round, a fresh engine each time), each serves `choose-version` jobs of a
one-task process: the worker is started and idle, the bench creates `--jobs` instances (64
creations in flight), and the clock and the worker's CPU time run until every instance is
completed. Reported: jobs/s and worker CPU seconds per 1000 jobs,
and the ratios ours/no-op. Goals: throughput ratio >= 0.95, CPU ratio <= 1.10.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_support import (
    count_completed,
    cpu_seconds,
    engine_process,
    report,
    scratch_database,
    start_worker,
)
from pyzeebe import ZeebeClient, create_insecure_channel
from zeebe_devengine.bpmn.builder import one_task_process

HERE = Path(__file__).resolve().parent


async def start_ours(address: str, database_url: str) -> asyncio.subprocess.Process:
    env = {
        "ZEEBE_ADDRESS": address,
        "DATABASE_URL": database_url,
        "CANARY_LOG_FORMAT": "json",  # production defaults: JSON, one info line per job
        "CANARY_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "info"),
    }
    return await start_worker("--tasks", "choose", env=env)


async def start_noop(address: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "noop_worker.py"),
        address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    assert (await process.stdout.readline()).strip() == b"ready"
    return process


async def one_round(
    variant: str, *, address: str, rest_url: str, database_url: str, jobs: int, round_no: int
) -> tuple[float, float]:
    process_id = f"gate-{variant}-{round_no}"
    channel = create_insecure_channel(grpc_address=address)
    client = ZeebeClient(channel)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{process_id}.bpmn"
        path.write_text(one_task_process(process_id, "choose-version"))
        await client.deploy_resource(str(path))
    worker = await (start_ours(address, database_url) if variant == "ours" else start_noop(address))
    await asyncio.sleep(1.0)  # let start-up work settle before the CPU clock starts
    cpu_before = cpu_seconds(worker.pid)
    slots = asyncio.Semaphore(64)

    async def create(i: int) -> None:
        async with slots:
            await client.run_process(process_id, {"applicantId": f"A-{round_no}-{i}"})

    started = time.perf_counter()
    await asyncio.gather(*(create(i) for i in range(jobs)))
    while await count_completed(rest_url, process_id) < jobs:
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(worker.pid) - cpu_before
    worker.terminate()
    await worker.wait()
    await channel.close()
    return jobs / elapsed, cpu / jobs * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"noop": [], "ours": []}
    async with scratch_database() as database_url:
        for round_no in range(args.rounds):
            # A fresh engine for every measurement, and the order flipped every round, so
            # neither side inherits the other's engine state or a warmer machine.
            order = ("noop", "ours") if round_no % 2 == 0 else ("ours", "noop")
            for variant in order:
                async with engine_process(10_000) as (address, rest_url):
                    results[variant].append(
                        await one_round(
                            variant,
                            address=address,
                            rest_url=rest_url,
                            database_url=database_url,
                            jobs=args.jobs,
                            round_no=round_no,
                        )
                    )
    rate = {v: statistics.median(r for r, _ in rs) for v, rs in results.items()}
    cpu = {v: statistics.median(c for _, c in rs) for v, rs in results.items()}
    print(f"{os.cpu_count()} cores; {args.jobs} jobs per round, {args.rounds} rounds")
    for round_no in range(args.rounds):
        (noop_rate, noop_cpu), (our_rate, our_cpu) = (
            results["noop"][round_no],
            results["ours"][round_no],
        )
        print(
            f"  round {round_no + 1}: no-op {noop_rate:.0f} jobs/s {noop_cpu:.3f} CPU s/1000,"
            f" ours {our_rate:.0f} jobs/s {our_cpu:.3f} CPU s/1000"
        )
    print("medians:")
    report("no-op pyzeebe worker: jobs/s", f"{rate['noop']:.0f}")
    report("canary choose-version worker: jobs/s", f"{rate['ours']:.0f}")
    report("no-op worker CPU s per 1000 jobs", f"{cpu['noop']:.3f}")
    report("canary worker CPU s per 1000 jobs", f"{cpu['ours']:.3f}")
    report("throughput ratio (ours / no-op)", f"{rate['ours'] / rate['noop']:.3f}", ">= 0.95")
    report("CPU ratio (ours / no-op)", f"{cpu['ours'] / cpu['noop']:.3f}", "<= 1.10")
    # The machine's speed drifts over a run; the ratio within each round (same minute, both
    # orders) is the steadier estimate.
    pairs = list(zip(results["ours"], results["noop"], strict=True))
    paired_rate = sorted(o[0] / n[0] for o, n in pairs)
    paired_cpu = sorted(o[1] / n[1] for o, n in pairs)
    report(
        "per-round throughput ratios: median (min-max)",
        f"{statistics.median(paired_rate):.3f} ({paired_rate[0]:.2f}-{paired_rate[-1]:.2f})",
    )
    report(
        "per-round CPU ratios: median (min-max)",
        f"{statistics.median(paired_cpu):.3f} ({paired_cpu[0]:.2f}-{paired_cpu[-1]:.2f})",
    )


if __name__ == "__main__":
    asyncio.run(main())
