"""The report's questions asked of the raw rows: the reference the counters must equal.

Same grid, same deduplication as migration 0003 (an attempt, rollout + job key + retries,
counts once as its earliest row by recorded_at then id; a decision once per job key), but
computed by scanning `canary.outcomes` and `canary.decisions`: the cost grows with the rows
kept. Used by the property test (report from raw == report from counters) and as the "before"
of bench/report_at_scale.py; `canary report` reads the counters (`queries`).
"""

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from workers.operate.report.queries import DecisionRow, LatencyRow, StepRow, rate_changes
from workers.operate.report.window import Grid
from workers.postgres.counter_bins import MINUTE, SECOND, SECOND_BINS_KEPT, floor_to
from workers.postgres.outcome_counters import OutcomeFigures

__all__ = [
    "decisions_by_rule",
    "first_record",
    "latencies",
    "outcome_figures",
    "outcome_steps",
    "rate_changes",
]

_ATTEMPTS = """
WITH attempts AS (
    SELECT DISTINCT ON (job_key, retries) recorded_at, version, outcome, latency_ms
    FROM canary.outcomes WHERE rollout = %(rollout)s
    ORDER BY job_key, retries, recorded_at, id
)
"""


async def first_record(conn: psycopg.AsyncConnection[Any], rollout: str) -> datetime | None:
    cur = await conn.execute(
        "SELECT least((SELECT min(recorded_at) FROM canary.outcomes WHERE rollout = %(r)s),"
        "             (SELECT min(recorded_at) FROM canary.decisions WHERE rollout = %(r)s))",
        {"r": rollout},
    )
    row = await cur.fetchone()
    return None if row is None else row[0]


async def outcome_steps(
    conn: psycopg.AsyncConnection[Any], rollout: str, grid: Grid
) -> list[StepRow]:
    async with conn.cursor(row_factory=class_row(StepRow)) as cur:
        await cur.execute(
            _ATTEMPTS  # noqa: S608 - constant text, values are parameters
            + """
            SELECT least(floor(extract(epoch FROM recorded_at - %(start)s) / %(step)s)::bigint,
                         %(last)s)::int AS step,
                   version::int AS version,
                   count(*) AS attempts,
                   count(*) FILTER (WHERE outcome = 'verified') AS verified,
                   count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
                   count(*) FILTER (WHERE outcome = 'unreadable') AS unreadable,
                   count(*) FILTER (WHERE outcome = 'transient_failure') AS transient_failure,
                   count(*) FILTER (WHERE outcome = 'incident') AS incident
            FROM attempts WHERE recorded_at >= %(start)s
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            {"rollout": rollout, "start": grid.start, "step": grid.step, "last": grid.steps - 1},
        )
        return await cur.fetchall()


async def latencies(
    conn: psycopg.AsyncConnection[Any], rollout: str, grid: Grid
) -> list[LatencyRow]:
    """Exact p50 and p95 over the latency window of the grid."""
    async with conn.cursor(row_factory=class_row(LatencyRow)) as cur:
        await cur.execute(
            _ATTEMPTS  # noqa: S608 - constant text, values are parameters
            + """
            SELECT version::int AS version,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
            FROM attempts WHERE recorded_at >= %(start)s AND latency_ms IS NOT NULL
            GROUP BY 1 ORDER BY 1
            """,
            {"rollout": rollout, "start": grid.latency_start},
        )
        return await cur.fetchall()


async def decisions_by_rule(
    conn: psycopg.AsyncConnection[Any], rollout: str, grid: Grid, *, canary_version: int
) -> list[DecisionRow]:
    async with conn.cursor(row_factory=class_row(DecisionRow)) as cur:
        await cur.execute(
            """
            SELECT rule,
                   count(*) AS decisions,
                   count(*) FILTER (WHERE version = %(canary)s) AS canary,
                   coalesce(sum(rate::numeric), 0)::float8 AS rate_sum,
                   coalesce(sum(rate::numeric * (1 - rate::numeric)), 0)::float8 AS variance_sum
            FROM (SELECT DISTINCT ON (job_key) recorded_at, rule, version, rate
                  FROM canary.decisions WHERE rollout = %(rollout)s
                  ORDER BY job_key, recorded_at, id) AS once
            WHERE recorded_at >= %(start)s
            GROUP BY rule
            """,
            {"rollout": rollout, "start": grid.start, "canary": canary_version},
        )
        return await cur.fetchall()


async def outcome_figures(
    conn: psycopg.AsyncConnection[Any], rollout: str, since: datetime, *, now: datetime
) -> dict[int, OutcomeFigures]:
    """`queries.outcome_figures` from the raw rows: exact percentiles, same start rounding."""
    grain = SECOND if now - since <= SECOND_BINS_KEPT else MINUTE
    cur = await conn.execute(
        _ATTEMPTS  # noqa: S608 - constant text, values are parameters
        + """
        SELECT version::int,
               count(*) FILTER (WHERE recorded_at >= %(start)s),
               count(*) FILTER (WHERE recorded_at >= %(start)s
                                AND outcome IN ('transient_failure', 'incident')),
               count(*) FILTER (WHERE recorded_at >= %(start)s AND outcome = 'incident'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)
                   FILTER (WHERE recorded_at >= %(minute)s),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
                   FILTER (WHERE recorded_at >= %(minute)s)
        FROM attempts WHERE recorded_at >= %(minute)s
        GROUP BY 1
        """,
        {
            "rollout": rollout,
            "start": floor_to(since, grain),
            "minute": floor_to(since, MINUTE),
        },
    )
    found = {version: OutcomeFigures(*rest) for version, *rest in await cur.fetchall()}
    return {version: found.get(version, OutcomeFigures()) for version in sorted({1, 2, *found})}
