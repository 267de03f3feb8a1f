"""The SQL behind `canary report`: aggregates only, so the report stays fast on large tables.

Every query reads one rollout from a start time on, through the (rollout, recorded_at)
indexes of migration 0002.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row


@dataclass(frozen=True, slots=True)
class StepRow:
    """Attempts of one version in one time step, by outcome."""

    step: int
    version: int
    attempts: int
    verified: int
    rejected: int
    unreadable: int
    transient_failure: int
    incident: int


@dataclass(frozen=True, slots=True)
class LatencyRow:
    version: int
    p50: float | None
    p95: float | None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """Decisions of one rule: how many, how many v2, the sum of their rates and of r(1-r)."""

    rule: str
    decisions: int
    v2: int
    rate_sum: float
    variance_sum: float


async def first_record(conn: psycopg.AsyncConnection[Any], rollout: str) -> datetime | None:
    """When the oldest decision or outcome of `rollout` was recorded (None: nothing yet)."""
    cur = await conn.execute(
        "SELECT least((SELECT min(recorded_at) FROM canary.outcomes WHERE rollout = %(r)s),"
        "             (SELECT min(recorded_at) FROM canary.decisions WHERE rollout = %(r)s))",
        {"r": rollout},
    )
    row = await cur.fetchone()
    return None if row is None else row[0]


async def outcome_steps(
    conn: psycopg.AsyncConnection[Any],
    rollout: str,
    *,
    start: datetime,
    step_seconds: float,
    steps: int,
) -> list[StepRow]:
    """Outcome counts per (time step, version); rows after the last step count in the last."""
    async with conn.cursor(row_factory=class_row(StepRow)) as cur:
        await cur.execute(
            """
            SELECT least(floor(extract(epoch FROM recorded_at - %(start)s) / %(step)s)::int,
                         %(last)s) AS step,
                   version::int AS version,
                   count(*)::int AS attempts,
                   count(*) FILTER (WHERE outcome = 'verified')::int AS verified,
                   count(*) FILTER (WHERE outcome = 'rejected')::int AS rejected,
                   count(*) FILTER (WHERE outcome = 'unreadable')::int AS unreadable,
                   count(*) FILTER (WHERE outcome = 'transient_failure')::int AS transient_failure,
                   count(*) FILTER (WHERE outcome = 'incident')::int AS incident
            FROM canary.outcomes
            WHERE rollout = %(rollout)s AND recorded_at >= %(start)s
            GROUP BY 1, 2
            ORDER BY 1, 2
            """,
            {"rollout": rollout, "start": start, "step": step_seconds, "last": steps - 1},
        )
        return await cur.fetchall()


async def latencies(
    conn: psycopg.AsyncConnection[Any], rollout: str, *, start: datetime
) -> list[LatencyRow]:
    """p50 and p95 of the latency of every attempt that measured one, per version."""
    async with conn.cursor(row_factory=class_row(LatencyRow)) as cur:
        await cur.execute(
            """
            SELECT version::int AS version,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
            FROM canary.outcomes
            WHERE rollout = %(rollout)s AND recorded_at >= %(start)s AND latency_ms IS NOT NULL
            GROUP BY 1
            """,
            {"rollout": rollout, "start": start},
        )
        return await cur.fetchall()


async def decisions_by_rule(
    conn: psycopg.AsyncConnection[Any], rollout: str, *, start: datetime
) -> list[DecisionRow]:
    """Decisions per rule, each job counted once (a redelivered job may be recorded twice)."""
    async with conn.cursor(row_factory=class_row(DecisionRow)) as cur:
        await cur.execute(
            """
            SELECT rule,
                   count(*)::int AS decisions,
                   count(*) FILTER (WHERE version = 2)::int AS v2,
                   coalesce(sum(rate), 0)::float8 AS rate_sum,
                   coalesce(sum(rate * (1 - rate)), 0)::float8 AS variance_sum
            FROM (SELECT DISTINCT ON (job_key) rule, version, rate
                  FROM canary.decisions
                  WHERE rollout = %(rollout)s AND recorded_at >= %(start)s
                  ORDER BY job_key, recorded_at) AS once
            GROUP BY rule
            """,
            {"rollout": rollout, "start": start},
        )
        return await cur.fetchall()


async def rate_changes(
    conn: psycopg.AsyncConnection[Any], rollout: str, *, start: datetime, until: datetime
) -> list[datetime]:
    """When the rollout's rate changed inside the window, oldest first (the strata's edges)."""
    cur = await conn.execute(
        "SELECT changed_at FROM canary.rollout_history"
        " WHERE rollout = %s AND change = 'updated' AND old_rate IS DISTINCT FROM new_rate"
        " AND changed_at > %s AND changed_at < %s ORDER BY changed_at",
        (rollout, start, until),
    )
    return [row[0] for row in await cur.fetchall()]
