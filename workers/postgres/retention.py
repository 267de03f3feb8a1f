"""Retention of recorded decisions and outcomes: delete rows older than a cutoff.

What `canary prune --older-than 30d [--rollout NAME] [--dry-run]` runs, table by table, in
batches so no statement holds locks for long on a big table:

    DELETE FROM canary.outcomes WHERE id IN (
        SELECT id FROM canary.outcomes
        WHERE recorded_at < $cutoff [AND rollout = $name] LIMIT 10000);

repeated until a batch deletes nothing (the same for canary.decisions). The cutoff is fixed
once, from the database clock, when the command starts. Run it as the role that applies the
migrations: workers may only insert, operators only read. Plain SQL of that form, e.g. from
cron, is just as good.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import psycopg

from workers.errors import InputError

TABLES: Final = ("decisions", "outcomes")
BATCH: Final = 10_000


@dataclass(frozen=True, slots=True)
class PruneResult:
    cutoff: datetime
    #: Rows deleted per table (or that would be, with dry_run).
    rows: dict[str, int]
    dry_run: bool


def _where(rollout: str | None) -> str:
    return "recorded_at < %(cutoff)s" + ("" if rollout is None else " AND rollout = %(rollout)s")


async def prune(
    conn: psycopg.AsyncConnection[Any],
    *,
    older_than: timedelta,
    rollout: str | None,
    dry_run: bool,
    batch: int = BATCH,
) -> PruneResult:
    """Delete (or, with `dry_run`, count) rows recorded more than `older_than` ago."""
    if older_than <= timedelta(0):
        raise InputError("--older-than must be longer than 0")
    cur = await conn.execute("SELECT now() - %s::interval", (older_than,))
    row = await cur.fetchone()
    if row is None:  # pragma: no cover - SELECT always returns a row
        raise InputError("the database returned no time")
    cutoff: datetime = row[0]
    params = {"cutoff": cutoff, "rollout": rollout, "batch": batch}
    counts: dict[str, int] = {}
    for table in TABLES:
        if dry_run:
            cur = await conn.execute(
                f"SELECT count(*) FROM canary.{table} WHERE {_where(rollout)}",  # noqa: S608 - table names are constants
                params,
            )
            counted = await cur.fetchone()
            counts[table] = 0 if counted is None else int(counted[0])
            continue
        deleted = 0
        while True:
            cur = await conn.execute(
                f"DELETE FROM canary.{table} WHERE id IN"  # noqa: S608 - table names are constants
                f" (SELECT id FROM canary.{table} WHERE {_where(rollout)} LIMIT %(batch)s)",
                params,
            )
            if cur.rowcount <= 0:
                break
            deleted += cur.rowcount
        counts[table] = deleted
    return PruneResult(cutoff=cutoff, rows=counts, dry_run=dry_run)
