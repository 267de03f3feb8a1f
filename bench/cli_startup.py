"""CLI start-up: what one `canary` command costs before it does its work.

    .venv/bin/python bench/cli_startup.py [--runs 9]

Each command runs `--runs` times as a fresh `python -m workers` process (as a user, a test or
a Kubernetes probe starts it); reported per command: the median wall time and the median
import time (the sum of `-X importtime`'s top-level entries, from a separate run each time,
since importtime's own bookkeeping slows the process). The commands:

- `canary --help`: argument parsing only;
- `canary rate show` against a scratch migrated database: a real one-shot command;
- `canary rollout status NAME` against `canary dev-engine`: the REST path (the rollout does
  not exist, so it ends with its one-line error after asking Camunda);
- `canary worker` with a malformed CANARY_HTTP_PORT: the one-line refusal many tests check.

To compare with another checkout, run this script with PYTHONPATH pointing at that
checkout's root: the child processes import `workers` from there.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import engine_process, load_average, report, scratch_database


async def run_once(argv: Sequence[str], env: dict[str, str], *, importtime: bool) -> float:
    """Seconds of wall time, or with `importtime` the seconds spent importing."""
    flags = ("-X", "importtime") if importtime else ()
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *flags,
        "-m",
        "workers",
        *argv,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    wall = time.perf_counter() - began
    if not importtime:
        return wall
    # "import time: self [us] | cumulative | name"; a top-level import's name has no indent.
    total_us = 0
    for line in stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.removeprefix("import time:").split("|")
            if cumulative.strip().isdigit() and not name.startswith("  "):
                total_us += int(cumulative)
    return total_us / 1e6


async def measure(name: str, argv: Sequence[str], env: dict[str, str], runs: int) -> None:
    walls = [await run_once(argv, env, importtime=False) for _ in range(runs)]
    imports = [await run_once(argv, env, importtime=True) for _ in range(runs)]
    report(
        f"canary {name}",
        f"wall {statistics.median(walls) * 1000:.0f} ms, "
        f"imports {statistics.median(imports) * 1000:.0f} ms",
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {load_average()} at the start; median of {args.runs} runs")
    async with scratch_database() as url, engine_process(1000) as (_, rest_url):
        await measure("--help", ["--help"], {}, args.runs)
        await measure("rate show", ["rate", "show"], {"DATABASE_URL": url}, args.runs)
        await measure(
            "rollout status NAME",
            ["rollout", "status", "no-such-rollout"],
            {"CAMUNDA_REST_ADDRESS": rest_url, "DATABASE_URL": url},
            args.runs,
        )
        await measure("worker (a bad setting)", ["worker"], {"CANARY_HTTP_PORT": "x"}, args.runs)
    print(f"{load_average()} at the end")


if __name__ == "__main__":
    asyncio.run(main())
