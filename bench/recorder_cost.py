"""Issue 15: where a recorded row's time goes, on the client and in Postgres.

    .venv/bin/python bench/recorder_cost.py [--rows 5000] [--batches 20] [--runs 3]

        [--before-migrations 5]

Writes the same batches (half decisions, half outcomes, one job key each, one transaction per
batch, as the recorder does) over one connection
in four ways, each into a fresh database: a text or a binary COPY, with the counting triggers
on or off; with `--before-migrations N`, a fifth: the binary COPY with counting on in a
database migrated only up to migration N (the counting as it was then, in the same run). Per
row it reports the client's CPU (`time.process_time`), the Postgres backend's CPU
(`/proc/<pid>/schedstat`: the server runs on this machine) and the wall time (the client
formats rows while Postgres inserts the previous ones, so the wall time can be less than the
sum). CPU time is much less disturbed than wall time on a shared
machine; the best of `--runs` is shown, with the 1-minute load average.
"""

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from bench_support import backend_cpu, load_average, report, scratch_database

from workers.postgres import recorder

_OUTCOMES = ("verified", "rejected", "unreadable", "transient_failure", "incident")


def batches(rows: int, count: int) -> list[dict[int, list[tuple[Any, ...]]]]:
    """`count` batches of `rows` rows, half decisions and half outcomes, keyed by kind."""
    made: list[dict[int, list[tuple[Any, ...]]]] = []
    for number in range(count):
        now = datetime.now(UTC)
        keys = range(1_000_000 + number * rows, 1_000_000 + (number + 1) * rows, 2)
        made.append({
            recorder.DECISION: [(now, "verifymenow", k, k, 1, "sticky", 0.5, 0.1) for k in keys],
            recorder.OUTCOME: [
                (now, "verifymenow", k, k + 1, 1 + k % 2, _OUTCOMES[k % 5], float(k % 400), None, 3)
                for k in keys
            ],
        })  # fmt: skip
    return made


async def write(url: str, data: list[dict[int, list[tuple[Any, ...]]]], *, binary: bool,
                counters: bool) -> tuple[float, float, float]:  # fmt: skip
    """Client CPU, server CPU and wall seconds for writing `data`."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        if not counters:
            for table in ("decisions", "outcomes"):
                await conn.execute(f"ALTER TABLE canary.{table} DISABLE TRIGGER count_batch")
            await conn.commit()
        pid = conn.info.backend_pid
        wall, client, server = time.perf_counter(), time.process_time(), backend_cpu(pid)
        for batch in data:
            async with conn.cursor() as cur:
                for kind, statement, types in recorder.COPIES:
                    text = statement.removesuffix(" (FORMAT BINARY)")
                    async with cur.copy(statement if binary else text) as copy:
                        if binary:
                            copy.set_types(types)
                        for row in batch[kind]:
                            await copy.write_row(row)
            await conn.commit()
        return (
            time.process_time() - client,
            backend_cpu(pid) - server,
            time.perf_counter() - wall,
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000, help="rows per batch")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before-migrations", type=int, default=None, metavar="N")
    args = parser.parse_args()
    data = batches(args.rows, args.batches)
    rows = args.rows * args.batches
    #: (what is measured, migrations up to, counting on, binary COPY)
    ways = [
        ("counting triggers on, binary COPY", None, True, True),
        ("counting triggers on, text COPY", None, True, False),
        ("triggers off, binary COPY", None, False, True),
        ("triggers off, text COPY", None, False, False),
    ]
    if args.before_migrations is not None:
        ways.append((
            f"counting on, binary COPY, migrations to {args.before_migrations:04d}",
            args.before_migrations, True, True,
        ))  # fmt: skip
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(args.runs):
        for name, up_to, counters, binary in ways:
            async with scratch_database(up_to) as url:
                client, server, wall = await write(url, data, binary=binary, counters=counters)
            if name not in best or client + server < sum(best[name][:2]):
                best[name] = (client, server, wall)
    for name, _, _, _ in ways:
        client, server, wall = best[name]
        report(
            name,
            f"client {client / rows * 1e6:.2f} us/row, Postgres {server / rows * 1e6:.2f} us/row,"
            f" wall {wall / rows * 1e6:.2f} us/row ({load_average()})",
        )


if __name__ == "__main__":
    asyncio.run(main())
