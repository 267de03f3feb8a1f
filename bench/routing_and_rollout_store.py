"""Issue 2 benchmarks: decision cost, rate-change propagation, queries in steady state.

    .venv/bin/python bench/routing_and_rollout_store.py [--stores 8] [--changes 300]

1. Decision cost per call: `routing.decide` on a sticky config, and the worker's hot path
   `RolloutCache.decide` (staleness check + lookup + decide). Goal <= 2 microseconds.
2. Propagation: from the return of COMMIT of a rate change to the moment every running
   RolloutCache (each with its own LISTEN connection) has reloaded it. Goal p99 <= 100 ms.
3. Database queries per 1000 decisions in steady state, counted twice: by the cache and by
   Postgres (pg_stat_database.xact_commit of a database nobody else uses). Goal 0.
"""

import argparse
import asyncio
import sys
import time
import timeit
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import report, scratch_database, summary

from workers.postgres import rollout_store
from workers.postgres.rollout_cache import RolloutCache
from workers.routing import RolloutConfig, Strategy, decide


def decision_cost() -> None:
    config = RolloutConfig("verifymenow", 0.25, Strategy.STICKY, "0123456789abcdef")
    subjects = [f"applicant-{i}" for i in range(1000)]
    runs = 20
    best = min(
        timeit.repeat(lambda: [decide(config, s) for s in subjects], number=runs, repeat=7)
    ) / (runs * len(subjects))
    report("routing.decide, sticky, per call", f"{best * 1e6:.3f} us", "<= 2 us")


async def cache_cost_and_queries(url: str) -> None:
    cache = RolloutCache(url, max_age=300, refresh_interval=30, fallback_version=1)
    async with cache:
        await cache.wait_loaded(10)
        subjects = [f"applicant-{i}" for i in range(1000)]
        best = min(
            timeit.repeat(
                lambda: [cache.decide("verifymenow", s) for s in subjects], number=20, repeat=7
            )
        ) / (20 * len(subjects))
        report("RolloutCache.decide (worker hot path), per call", f"{best * 1e6:.3f} us", "<= 2 us")

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as probe:
            stat = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"

            async def commits() -> int:
                await probe.execute("SELECT pg_stat_clear_snapshot()")
                row = await (await probe.execute(stat)).fetchone()
                assert row is not None
                return int(row[0])

            await asyncio.sleep(1.0)  # let the statistics collector settle
            before_pg, before_cache = await commits(), cache.queries
            for _ in range(10):
                for s in subjects:
                    cache.decide("verifymenow", s)
                await asyncio.sleep(0)
            await asyncio.sleep(1.0)
            after_pg, after_cache = await commits(), cache.queries
        # The probe's own two statements (clear snapshot, read) are the only transactions.
        report(
            "queries per 1000 decisions (counted by the cache)",
            f"{(after_cache - before_cache) / 10:.1f}",
            "0",
        )
        report(
            "transactions per 1000 decisions (pg_stat_database)",
            f"{max(0, after_pg - before_pg - 2) / 10:.1f}",
            "0",
        )


async def propagation(url: str, stores: int, changes: int) -> None:
    seen: list[dict[float, float]] = [{} for _ in range(stores)]
    caches = []
    for index in range(stores):
        cache = RolloutCache(url, max_age=300, refresh_interval=30, fallback_version=1)

        def on_reload(configs, index=index) -> None:  # noqa: ANN001
            config = configs.get("verifymenow")
            if config is not None:
                seen[index].setdefault(config.rate, time.perf_counter())

        cache.on_reload = on_reload
        caches.append(cache)
        await cache.start()
    for cache in caches:
        await cache.wait_loaded(10)
    latencies_ms: list[float] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for step in range(1, changes + 1):
            rate = step / 1_000_000  # a new rate each time
            await rollout_store.set_rate(
                conn, "verifymenow", rate=rate, actor="bench", reason="bench"
            )
            committed = time.perf_counter()
            deadline = committed + 5
            # Polling (not an Event) keeps the measured path exactly the workers' own.
            while not all(rate in s for s in seen) and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            latencies_ms.append((max(s.get(rate, deadline) for s in seen) - committed) * 1000)
            await asyncio.sleep(0.005)
    for cache in caches:
        await cache.stop()
    report(
        f"COMMIT -> all {stores} stores reloaded, ms ({changes} changes)",
        summary(latencies_ms),
        "p99 <= 100 ms",
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=8)
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()
    decision_cost()
    async with scratch_database() as url:
        await cache_cost_and_queries(url)
        await propagation(url, args.stores, args.changes)


if __name__ == "__main__":
    asyncio.run(main())
