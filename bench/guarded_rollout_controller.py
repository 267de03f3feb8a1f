"""Issue 12 benchmark: the rollout controller as its own process, as compose and Kubernetes run it.

    .venv/bin/python bench/guarded_rollout_controller.py [--per-second 200]

`canary dev-engine`, a scratch database, and `canary worker --tasks rollout` (the
controller: `set rate`, `analyse`, `notify`) in its own process; the model deployed with
`canary deploy`, each rollout started with `canary rollout start` and awaited with `canary
rollout status --wait`, as a CI job would. No verification workers: outcomes are written
straight into the table, `--per-second` a second, each to v2 with the rate the rollout has
set (read back from the store every 100 ms), as the choose-version worker would route them.

Two rollouts, steps 10 %, 50 %, 100 %, one look a second, 3 s bake, 50 attempts per version:
first both versions fail 1 % (it must promote), then v2 fails 20 % (it must roll back).
Reported: each rollout's wall time and how it ended (`status --wait`'s exit code), and the
controller's peak RSS and CPU time over both (what its Kubernetes requests are sized from).
"""

import argparse
import asyncio
import itertools
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_support import (
    cpu_seconds,
    engine_process,
    peak_rss_mb,
    report,
    scratch_database,
    spawn_canary,
    start_worker,
)

from workers.postgres import rollout_store

ROLLOUT = "verifymenow"
COLUMNS = (
    "recorded_at, rollout, process_instance_key, job_key, version, outcome, latency_ms, retries"
)
START = (
    "rollout", "start", ROLLOUT, "--steps", "10%,50%,100%", "--interval", "1s", "--bake", "3s",
    "--min-attempts", "50",
)  # fmt: skip


async def feed(url: str, *, per_second: float, v2_failures: float, stop: asyncio.Event) -> None:
    """Outcomes as the workers would record them, routed by the rate the rollout set."""
    rng = random.Random(7)
    keys = itertools.count(int(time.time() * 1000) * 1000)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            rate = (await rollout_store.get_rollout(conn, ROLLOUT)).rate
            rows = []
            for _ in range(round(per_second / 10)):
                key = next(keys)
                version = 2 if rng.random() < rate else 1
                failed = rng.random() < (v2_failures if version == 2 else 0.01)
                outcome = "transient_failure" if failed else "verified"
                latency = rng.lognormvariate(4.6, 0.5)
                rows.append((datetime.now(UTC), ROLLOUT, key, key, version, outcome, latency, 3))
            async with (
                conn.cursor() as cur,
                cur.copy(f"COPY canary.outcomes ({COLUMNS}) FROM STDIN") as copy,
            ):
                for row in rows:
                    await copy.write_row(row)
            await asyncio.sleep(0.1)


async def run_to_the_end(env: dict[str, str], url: str, *, per_second: float, v2: float) -> Any:
    stop = asyncio.Event()
    feeding = asyncio.create_task(feed(url, per_second=per_second, v2_failures=v2, stop=stop))
    began = time.perf_counter()
    started = await spawn_canary(*START, env=env)
    assert await started.wait() == 0, "canary rollout start failed"
    waiting = await spawn_canary("rollout", "status", ROLLOUT, "--wait", env=env)
    code = await waiting.wait()
    elapsed = time.perf_counter() - began
    stop.set()
    await feeding
    return code, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-second", type=float, default=200.0)
    args = parser.parse_args()
    async with scratch_database() as url, engine_process(1000) as (address, rest_url):
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await rollout_store.set_rate(conn, ROLLOUT, rate=0.0, actor="bench", reason="bench")
        env = {"ZEEBE_ADDRESS": address, "CAMUNDA_REST_ADDRESS": rest_url, "DATABASE_URL": url}
        deployed = await spawn_canary("deploy", env=env)
        assert await deployed.wait() == 0, "canary deploy failed"
        controller = await start_worker("--tasks", "rollout", env=env)
        try:
            cpu_before = cpu_seconds(controller.pid)
            for name, v2 in (("v2 as good as v1", 0.01), ("v2 failing 20 %", 0.2)):
                code, elapsed = await run_to_the_end(env, url, per_second=args.per_second, v2=v2)
                ended = {0: "promoted", 3: "rolled back", 4: "aborted"}.get(code, f"exit {code}")
                report(f"rollout 10%,50%,100%, {name}", f"{ended} after {elapsed:.1f} s")
            cpu = cpu_seconds(controller.pid) - cpu_before
            report("controller CPU over both rollouts", f"{cpu:.2f} s")
            report(
                "controller (worker --tasks rollout): peak RSS",
                f"{peak_rss_mb(controller.pid):.1f} MB",
            )
        finally:
            controller.terminate()
            await controller.wait()


if __name__ == "__main__":
    print(f"{os.cpu_count()} cores")
    asyncio.run(main())
