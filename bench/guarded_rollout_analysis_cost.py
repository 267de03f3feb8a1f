"""Issue 12 benchmark: one `analyse` job's cost with 10 million recorded outcomes in the table.

    .venv/bin/python bench/guarded_rollout_analysis_cost.py [--outcomes 10000000] [--days 7]
        [--calls 200]

One scratch database (dropped at the end). `--outcomes` synthetic outcomes of one rollout
are inserted in time order, as the recorder writes them, spread evenly over the `--days`
before now (10 M over 7 days is 16.5 attempts/s, every second of the week has both
versions): v2 on 20 %, technical failures 1 % on v1 and 2 % on v2 (a tenth of them
incidents), latencies 20-2000 ms, one job key per attempt. They go in by `generate_series`
in slices of 500 000 rows with the counting triggers of migration 0003 on, so the counters
the analysis reads are the ones the recorder would have left. Decisions are not inserted:
the analysis never reads them (`bench/report_at_scale.py` measures the report over both).

Then the `analyse` task function itself (`workers.tasks.rollout_analyse.make_analyse`, on a
job shaped like the model's) is called `--calls` times per step window, each call the
whole job: settings and evidence from the variables, the query of the step's figures (the
outcome counters and the latency sketch), the sequential test, the verdict variables. It
runs on one open connection, as a pool hands it out; one extra line measures a fresh
connection per call. Windows: a step begun 1 minute ago (the first look), 10 minutes (the
default bake), 1 hour and 23 hours (a step held that long; second bins), 3 days (minute
bins). The windows are measured back from the newest outcome. p50 and p95 per call.
"""

import argparse
import asyncio
import contextlib
import functools
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from pyzeebe import Job

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import percentile, report, scratch_database

from workers.guarded import process
from workers.guarded.plan import plan_rollout
from workers.postgres.connection import connect
from workers.tasks.rollout_analyse import make_analyse
from workers.tasks.rollout_set_rate import Connector

SLICE = 500_000
ROLLOUT = "verifymenow"
WINDOWS = (
    ("first look (1 min)", timedelta(minutes=1)),
    ("bake (10 min)", timedelta(minutes=10)),
    ("held 1 h", timedelta(hours=1)),
    ("held 23 h (second bins)", timedelta(hours=23)),
    ("held 3 days (minute bins)", timedelta(days=3)),
)

# Row i of n is recorded at start + i * step: time order, as the recorder writes. i % 5 = 0
# goes to v2; failures are i % 100 below 1 (v1) or 2 (v2), every tenth of them an incident.
_OUTCOMES = """
INSERT INTO canary.outcomes (recorded_at, rollout, process_instance_key, job_key, version,
                             outcome, latency_ms, retries)
SELECT %(start)s + i * %(step)s, %(rollout)s, i, i,
       CASE WHEN i %% 5 = 0 THEN 2 ELSE 1 END,
       CASE WHEN i %% 100 < (CASE WHEN i %% 5 = 0 THEN 2 ELSE 1 END)
                 THEN CASE WHEN i %% 1000 < 100 THEN 'incident' ELSE 'transient_failure' END
            WHEN i %% 100 < 12 THEN 'rejected'
            ELSE 'verified' END,
       20 + (i * 7919 %% 198000) / 100.0, 3
FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS i
"""


async def grow(url: str, *, outcomes: int, days: float, now: datetime) -> float:
    """Insert the outcomes; returns rows per second."""
    span = timedelta(days=days)
    params: dict[str, Any] = {"start": now - span, "step": span / outcomes, "rollout": ROLLOUT}
    began = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for low in range(0, outcomes, SLICE):
            await conn.execute(
                _OUTCOMES, params | {"low": low, "high": min(low + SLICE, outcomes) - 1}
            )
            done = min(low + SLICE, outcomes)
            print(f"  {done:>12,} outcomes inserted", file=sys.stderr, flush=True)
        rate = outcomes / (time.perf_counter() - began)
        await conn.execute("VACUUM ANALYZE")
    return rate


def analyse_job(started: datetime, *, looks: int) -> Job:
    """An `analyse` job inside step 3 (25 %), as Zeebe would hand it out."""
    variables = plan_rollout(rollout=ROLLOUT).start_variables()
    variables |= {
        process.Variable.STEP: variables[process.Variable.STEPS][2],
        process.Variable.STEP_STARTED_AT: started.isoformat(),
        process.Variable.STEP_LOOKS: looks,
    }
    job_type, _, _ = process.SERVICE_TASKS[process.Element.ANALYSE]
    return Job(
        key=2251799813690100,
        type=job_type,
        process_instance_key=2251799813690001,
        bpmn_process_id=process.PROCESS_ID,
        process_definition_version=1,
        process_definition_key=2251799813690000,
        element_id=process.Element.ANALYSE,
        element_instance_key=2251799813690200,
        custom_headers={},
        worker="bench",
        retries=process.ANALYSE_RETRIES,
        deadline=0,
        variables=variables,
    )


def connector(
    open_connection: Callable[[], Awaitable[psycopg.AsyncConnection[Any]]], *, close: bool
) -> Connector:
    """Connections for the task: `open_connection`'s, closed after each job when `close`."""

    @contextlib.asynccontextmanager
    async def connection() -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await open_connection()
        try:
            yield conn
        finally:
            if close:
                await conn.close()

    return connection


async def per_call_ms(task: Any, job: Job, calls: int) -> list[float]:
    await task(job)  # warm: plans cached, pages in shared buffers
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        await task(job)
        times.append((time.perf_counter() - began) * 1000)
    return times


def describe(times: list[float]) -> str:
    return (
        f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms"
        f" (mean {statistics.fmean(times):.1f})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outcomes", type=int, default=10_000_000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    now = datetime.now(UTC)
    async with scratch_database() as url:
        rate = await grow(url, outcomes=args.outcomes, days=args.days, now=now)
        report(
            f"{args.outcomes:,} outcomes over {args.days:g} days inserted", f"{rate:,.0f} rows/s"
        )
        async with await connect(url) as conn:
            cur = await conn.execute(
                "SELECT (SELECT count(*) FROM canary.outcome_counts),"
                " (SELECT count(*) FROM canary.outcome_latency),"
                " pg_size_pretty(pg_database_size(current_database()))"
            )
            row = await cur.fetchone()
            assert row is not None
            report("counter rows, latency rows, database size", f"{row[0]:,}, {row[1]:,}, {row[2]}")

            async def the_open_one() -> psycopg.AsyncConnection[Any]:
                return conn

            task = make_analyse(connector(the_open_one, close=False))
            for name, window in WINDOWS:
                # The data end at `now` (the run's start): a look at a step begun `window`
                # before that reads exactly `window` of history.
                started = now - window
                job = analyse_job(started, looks=max(1, int(window / timedelta(minutes=1))))
                result = await task(job)
                figures = result[process.Variable.FIGURES]
                seen = (
                    f"v1 {figures['baseline']['attempts']:,}, v2 {figures['canary']['attempts']:,}"
                )
                report(f"analyse, {name}", describe(await per_call_ms(task, job, args.calls)))
                report(f"  attempts in the window ({result[process.Variable.VERDICT]})", seen)
        job = analyse_job(now - timedelta(minutes=10), looks=10)
        fresh = make_analyse(connector(functools.partial(connect, url), close=True))
        times = await per_call_ms(fresh, job, max(20, args.calls // 4))
        report("analyse, bake (10 min), fresh connection per call", describe(times))


if __name__ == "__main__":
    asyncio.run(main())
