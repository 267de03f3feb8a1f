"""Issue 15: `canary report` and one analysis call as recorded outcomes grow, before and after.

    .venv/bin/python bench/report_at_scale.py [--sizes 100000,1000000,10000000] [--repeat 3]
        [--before-repeat-up-to 1000000]

One scratch database, grown in place: synthetic decisions and outcomes (one of each per job,
v2 on 20 %, 5 % technical failures on v1 and 10 % on v2, latencies 20-2000 ms) are inserted
by `generate_series` in slices of 500 000 rows, spread over the hour before now, as in the
issue's measurement. The counting triggers run on every slice, as they would on the
recorder's batches. At each size:

- before: the report and the figures read from the raw rows (`raw_queries`: the same scan as
  the report before counters, plus the per-attempt deduplication the counters guarantee);
- after: the report and the figures read from the counters (`queries`, what `canary report`
  and a guarded rollout's analysis use);

best of `--repeat` runs each; the raw-row "before" only once above `--before-repeat-up-to`
outcomes (at 10 million one raw report takes minutes). No statement timeout applies (the
server's default, 0). Each line carries the 1-minute load average when it was measured. The
database is dropped at the end.
"""

import argparse
import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from bench_support import load_average, report, scratch_database

from workers.operate.report import build_report, queries, raw_queries

SLICE = 500_000
ROLLOUT = "verifymenow"

_OUTCOMES = """
INSERT INTO canary.outcomes (recorded_at, rollout, process_instance_key, job_key, version,
                             outcome, latency_ms, retries)
SELECT %(now)s - (i %% 3600000) * interval '1 millisecond', %(rollout)s, i, i,
       CASE WHEN i %% 5 = 0 THEN 2 ELSE 1 END,
       CASE WHEN i %% 100 < (CASE WHEN i %% 5 = 0 THEN 10 ELSE 5 END)
                 THEN CASE WHEN i %% 2 = 0 THEN 'transient_failure' ELSE 'incident' END
            WHEN i %% 100 < 15 THEN 'rejected'
            ELSE 'verified' END,
       20 + (i * 7919 %% 198000) / 100.0, 3
FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS i
"""
_DECISIONS = """
INSERT INTO canary.decisions (recorded_at, rollout, process_instance_key, job_key, version,
                              rule, bucket, rate)
SELECT %(now)s - (i %% 3600000) * interval '1 millisecond', %(rollout)s, i, i,
       CASE WHEN i %% 5 = 0 THEN 2 ELSE 1 END, 'sticky', (i %% 1000) / 1000.0, 0.2
FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS i
"""


async def grow(conn: psycopg.AsyncConnection[Any], *, start: int, end: int, now: datetime) -> None:
    for low in range(start, end, SLICE):
        params = {"now": now, "rollout": ROLLOUT, "low": low, "high": min(low + SLICE, end) - 1}
        await conn.execute(_OUTCOMES, params)
        await conn.execute(_DECISIONS, params)
    await conn.execute("VACUUM ANALYZE")


async def best(repeat: int, call: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        times.append(time.perf_counter() - began)
    return min(times)


async def measure(
    conn: psycopg.AsyncConnection[Any], size: int, now: datetime, repeat: int, before_repeat: int
) -> None:
    since = now - timedelta(minutes=15)  # one guarded-rollout step's window
    for name, source, runs in (
        ("before (raw rows)", raw_queries, before_repeat),
        ("after (counters)", queries, repeat),
    ):
        seconds = await best(
            runs, functools.partial(build_report, conn, ROLLOUT, None, now=now, source=source)
        )
        report(
            f"{size:>10,} outcomes: report, {name}",
            f"{seconds * 1000:,.0f} ms (best of {runs}, {load_average()})",
            "<= 500 ms",
        )
        seconds = await best(
            runs, functools.partial(source.outcome_figures, conn, ROLLOUT, since, now=now)
        )
        report(
            f"{size:>10,} outcomes: analysis, {name}",
            f"{seconds * 1000:,.1f} ms (best of {runs}, {load_average()})",
            "<= 50 ms",
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before-repeat-up-to", type=int, default=1_000_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    now = datetime.now(UTC)
    async with (
        scratch_database() as url,
        await psycopg.AsyncConnection.connect(url, autocommit=True) as conn,
    ):
        grown = 0
        for size in sizes:
            began = time.perf_counter()
            await grow(conn, start=grown, end=size, now=now)
            rate = (size - grown) * 2 / (time.perf_counter() - began)
            report(
                f"{size:>10,} outcomes: inserted with the triggers",
                f"{rate:,.0f} rows/s ({load_average()})",
            )
            grown = size
            before_repeat = args.repeat if size <= args.before_repeat_up_to else 1
            await measure(conn, size, now, args.repeat, before_repeat)
        cur = await conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        row = await cur.fetchone()
        report("database size at the end", str(None if row is None else row[0]))


if __name__ == "__main__":
    asyncio.run(main())
