"""Issue 6 benchmarks: the outcome recorder.

    .venv/bin/python bench/recorder_throughput.py [--records 200000] [--calls 200000]
        [--batch-size 5000] [--runs 3] [--before-migrations 5]

1. Cost on the job's path: microseconds per `record_outcome` / `record_decision` call (what
   a task function pays after answering its job). Goal: a few microseconds.
2. Sustained throughput: records per second the recorder writes into Postgres (batched
   COPY, one transaction per batch), from the first record to the last one committed; with
   the counting triggers of migration 0003 (what runs), then with them disabled in a second
   database (the cost the counters add, measured in the same run); with
   `--before-migrations N`, also with the counting as it was at migration N (a database
   migrated up to N only). `--runs` alternates them `--runs` times, each in a fresh database,
   and reports every run with the 1-minute load average at its end and the CPU per record of
   this process (the job path and the recorder) and of the recorder's Postgres backends, then
   the best of each: the machine is shared, and the best run is the one least disturbed.
3. Report query time over what was written: `build_report` on the whole table.
"""

import argparse
import asyncio
import time
from datetime import timedelta
from typing import Any

import psycopg
from bench_support import backend_cpu, load_average, report, scratch_database, verify_job

from workers.operate.report import build_report
from workers.postgres.outcomes import Outcome
from workers.postgres.recorder import WRITERS, OutcomeRecorder
from workers.routing import Decision, Rule
from workers.settings import RecorderSettings

OUTCOMES = list(Outcome)


async def job_path_cost(url: str, calls: int) -> None:
    settings = RecorderSettings(
        buffer_size=calls * 2 + 10, batch_size=1000, flush_interval=1.0, stop_timeout=30
    )
    recorder = OutcomeRecorder(url, settings=settings, default_rollout="verifymenow")
    await recorder.start()
    jobs = [verify_job(k) for k in range(1000)]
    decision = Decision(2, Rule.STICKY, 0.0421, 0.1)
    start = time.perf_counter()
    for i in range(calls):
        recorder.record_outcome(
            jobs[i % 1000], version=2, outcome=Outcome.VERIFIED, latency_ms=120.5
        )
    outcome_us = (time.perf_counter() - start) / calls * 1e6
    start = time.perf_counter()
    for i in range(calls):
        recorder.record_decision(jobs[i % 1000], "verifymenow", decision)
    decision_us = (time.perf_counter() - start) / calls * 1e6
    await recorder.stop()
    report("record_outcome on the job path", f"{outcome_us:.2f} us/call", "a few us")
    report("record_decision on the job path", f"{decision_us:.2f} us/call", "a few us")


async def recorder_backends(monitor: psycopg.AsyncConnection[Any], seen: dict[int, float]) -> None:
    """Adds to `seen` the recorder's connections to the database (every backend but the
    monitor's) not seen yet, with their CPU seconds so far."""
    cur = await monitor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    for (pid,) in await cur.fetchall():
        if pid not in seen:
            seen[pid] = backend_cpu(pid)


async def throughput(
    url: str, records: int, batch_size: int, *, counters: bool = True, label: str = ""
) -> float:
    """Records per second from the first record to the last committed."""
    settings = RecorderSettings(
        buffer_size=100_000, batch_size=batch_size, flush_interval=0.05, stop_timeout=60
    )
    if not counters:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for table in ("outcomes", "decisions"):
                await conn.execute(f"ALTER TABLE canary.{table} DISABLE TRIGGER count_batch")
    recorder = OutcomeRecorder(url, settings=settings, default_rollout="verifymenow")
    await recorder.start()
    # One job per record, as in production (the counters count a job key once); made before
    # the clock starts.
    jobs = [verify_job(1_000_000 + k) for k in range(records)]
    decision = Decision(1, Rule.STICKY, 0.5, 0.1)
    chunk = 1000
    start, client = time.perf_counter(), time.process_time()
    monitor = await psycopg.AsyncConnection.connect(url, autocommit=True)
    backends: dict[int, float] = {}
    sent = 0
    while sent < records:
        while recorder.stats().pending > settings.buffer_size - chunk:
            await asyncio.sleep(0.001)  # producer faster than Postgres: wait, never drop
        for i in range(chunk):
            j = jobs[sent + i]
            if i % 2:
                recorder.record_decision(j, "verifymenow", decision)
            else:
                recorder.record_outcome(
                    j, version=1 + i % 2, outcome=OUTCOMES[i % 5], latency_ms=float(i % 400)
                )
        sent += chunk
        await asyncio.sleep(0)
        if len(backends) < WRITERS:
            await recorder_backends(monitor, backends)
    while recorder.stats().written < records:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - start
    client = time.process_time() - client
    server = sum(backend_cpu(pid) - cpu for pid, cpu in backends.items())
    await monitor.close()
    stats = await recorder.stop()
    assert stats.dropped == 0, stats
    assert stats.flush_failures == 0, stats  # one connection throughout: its CPU is all of it
    which = label or ("counting triggers on" if counters else "triggers off")
    report(
        f"recorder throughput into Postgres ({which})",
        f"{records / elapsed:,.0f} records/s ({load_average()})",
    )
    report(
        "  CPU per record: this process / Postgres backends",
        f"{client / records * 1e6:.2f} / {server / records * 1e6:.2f} us",
    )
    report("  records written / flush failures", f"{stats.written:,} / {stats.flush_failures}")
    if counters and not label.startswith("counting on, migrations to"):
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            start = time.perf_counter()
            await build_report(conn, "verifymenow", timedelta(hours=1))
            report(
                f"build_report over {records // 2:,} outcomes",
                f"{(time.perf_counter() - start) * 1000:.0f} ms",
            )
    return records / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=RecorderSettings().batch_size)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before-migrations", type=int, default=None, metavar="N")
    args = parser.parse_args()
    async with scratch_database() as url:
        await job_path_cost(url, args.calls)
    #: (label, migrations up to, counting on)
    ways = [("counting triggers on", None, True), ("triggers off", None, False)]
    if args.before_migrations is not None:
        ways.append((f"counting on, migrations to {args.before_migrations:04d}",
                     args.before_migrations, True))  # fmt: skip
    best = dict.fromkeys((label for label, _, _ in ways), 0.0)
    for _ in range(args.runs):
        for label, up_to, counters in ways:
            async with scratch_database(up_to) as url:
                rate = await throughput(
                    url, args.records, args.batch_size, counters=counters, label=label
                )
                best[label] = max(best[label], rate)
    for label, rate in best.items():
        report(
            f"best of {args.runs}, batches of {args.batch_size:,}: {label}",
            f"{rate:,.0f} records/s",
            ">= 100 000" if label == "counting triggers on" else "",
        )


if __name__ == "__main__":
    asyncio.run(main())
