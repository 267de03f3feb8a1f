"""Retention: raw rows go early, the counters keep the history the report reads.

What `canary prune --older-than 7d [--counters-older-than 400d] [--rollout NAME] [--dry-run]`
drops, with one cutoff fixed from the database clock when it starts:

- raw rows (`canary.outcomes`, `canary.decisions`) recorded before the cutoff;
- dedup keys (`canary.outcomes_seen`, `canary.decisions_seen`) recorded more than
  `DEDUP_MARGIN` before the cutoff. First the counting horizon (`canary.count_horizon`) is
  raised to the cutoff under the lock the counting triggers share: a row recorded before the
  cutoff that arrives later is kept raw but not counted (it is counted in ``late_outcomes`` /
  ``late_decisions``). A duplicate recorded after the cutoff still finds its first row's key
  as long as it was recorded within the margin of it: a redelivered job is recorded again
  within its job timeout (30 s by default), a re-sent batch with the same timestamps. Only a
  duplicate recorded more than an hour after its original could be counted twice;
- per-second counter bins before the cutoff, but never within the last day (reports up to
  3.2 hours and a rollout's analysis read them);
- per-minute and per-hour counter bins and latency sketches only with `counters_older_than`:
  they are the history, a few rows per minute whatever the traffic.

Deletes run in batches (``DELETE ... WHERE ctid IN (SELECT ctid ... LIMIT 10000)``) so no
statement holds locks for long; workers keep writing meanwhile. Run it as the role that
applies the migrations: workers may only insert, operators only read.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import psycopg

from workers.errors import InputError
from workers.postgres.counter_bins import SECOND_BINS_KEPT

BATCH: Final = 10_000
#: Dedup keys outlive the raw rows by this much: a duplicate recorded later than its original
#: by less than this is never counted twice (job timeouts are seconds to minutes).
DEDUP_MARGIN: Final = timedelta(hours=1)
#: The same constant as canary.counting_lock_key() in migration 0003.
_COUNTING_LOCK: Final = 7161124082230407955


@dataclass(frozen=True, slots=True)
class _Target:
    """One kind of row retention drops: which table, where, and under which cutoff."""

    kind: str
    table: str
    condition: str
    cutoff: str


#: kind -> what it covers. `kind` groups tables in the result.
_TARGETS: Final = (
    _Target("outcomes", "outcomes", "recorded_at < %(cutoff)s", "cutoff"),
    _Target("decisions", "decisions", "recorded_at < %(cutoff)s", "cutoff"),
    _Target("dedup_keys", "outcomes_seen", "recorded_at < %(keys)s", "keys"),
    _Target("dedup_keys", "decisions_seen", "recorded_at < %(keys)s", "keys"),
    _Target("counter_rows", "outcome_counts", "grain = 1 AND bin < %(seconds)s", "seconds"),
    _Target("counter_rows", "decision_counts", "grain = 1 AND bin < %(seconds)s", "seconds"),
    _Target("counter_rows", "outcome_counts", "grain > 1 AND bin < %(counters)s", "counters"),
    _Target("counter_rows", "decision_counts", "grain > 1 AND bin < %(counters)s", "counters"),
    _Target("counter_rows", "outcome_latency", "bin < %(counters)s", "counters"),
)
KINDS: Final = ("outcomes", "decisions", "dedup_keys", "counter_rows")


@dataclass(frozen=True, slots=True)
class PruneResult:
    cutoff: datetime
    #: Where minute/hour counters were cut (None: all kept).
    counters_cutoff: datetime | None
    #: Rows deleted per kind (see `KINDS`), or that would be, with dry_run.
    rows: dict[str, int]
    dry_run: bool


async def prune(
    conn: psycopg.AsyncConnection[Any],
    *,
    older_than: timedelta,
    rollout: str | None,
    dry_run: bool,
    counters_older_than: timedelta | None = None,
    dedup_margin: timedelta = DEDUP_MARGIN,
    batch: int = BATCH,
) -> PruneResult:
    """Delete (or, with `dry_run`, count) what retention drops; `conn` is in autocommit."""
    if older_than <= timedelta(0):
        raise InputError("--older-than must be longer than 0")
    if counters_older_than is not None and counters_older_than < older_than:
        raise InputError("--counters-older-than must be at least --older-than")
    cur = await conn.execute(
        "SELECT now() - %s::interval, now() - %s::interval, now() - %s::interval",
        (older_than, SECOND_BINS_KEPT, counters_older_than or timedelta(0)),
    )
    row = await cur.fetchone()
    if row is None:  # pragma: no cover - SELECT always returns a row
        raise InputError("the database returned no time")
    cutoff: datetime = row[0]
    counters_cutoff: datetime | None = None if counters_older_than is None else row[2]
    params = {
        "cutoff": cutoff,
        "keys": cutoff - dedup_margin,
        "seconds": min(cutoff, row[1]),
        "counters": counters_cutoff,
        "rollout": rollout,
        "batch": batch,
    }
    if not dry_run:
        await _raise_horizon(conn, rollout or "*", cutoff)
    counts = dict.fromkeys(KINDS, 0)
    for target in _TARGETS:
        if params[target.cutoff] is None:
            continue
        where = target.condition + ("" if rollout is None else " AND rollout = %(rollout)s")
        if dry_run:
            cur = await conn.execute(
                f"SELECT count(*) FROM canary.{target.table} WHERE {where}",  # noqa: S608 - constants
                params,
            )
            counted = await cur.fetchone()
            counts[target.kind] += 0 if counted is None else int(counted[0])
            continue
        while True:
            cur = await conn.execute(
                f"DELETE FROM canary.{target.table} WHERE ctid IN"  # noqa: S608 - constants
                f" (SELECT ctid FROM canary.{target.table} WHERE {where} LIMIT %(batch)s)",
                params,
            )
            if cur.rowcount <= 0:
                break
            counts[target.kind] += cur.rowcount
    return PruneResult(cutoff=cutoff, counters_cutoff=counters_cutoff, rows=counts, dry_run=dry_run)


async def _raise_horizon(
    conn: psycopg.AsyncConnection[Any], rollout: str, cutoff: datetime
) -> None:
    """Rows recorded before `cutoff` stop being counted, before their dedup keys go.

    The exclusive lock waits for batches being counted to commit; batches counted after it see
    the new horizon (each statement of the trigger takes a fresh snapshot).
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_COUNTING_LOCK,))
        await conn.execute(
            "INSERT INTO canary.count_horizon AS h (rollout, before) VALUES (%s, %s)"
            " ON CONFLICT (rollout) DO UPDATE SET before = greatest(h.before, EXCLUDED.before)",
            (rollout, cutoff),
        )
