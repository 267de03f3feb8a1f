"""The SQL behind `canary report` and a rollout's analysis: reads of the counters only.

Migration 0003 keeps the counters (attempts by outcome, a latency sketch, decisions with
their rate sums) per rollout, version and bin; these queries read the bins of one window, so
their cost follows the window's length and the grain, never the rows recorded.
`outcome_figures` (what a guarded rollout's analysis reads) lives in
`workers.postgres.outcome_counters`, where the task side may import it. The same
questions asked of the raw rows (the reference the counters are tested against) are in
`raw_queries`.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from workers.operate.report.window import Grid
from workers.postgres import latency_sketch as sketch
from workers.postgres.outcome_counters import OutcomeFigures, latency_histograms, outcome_figures


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
    """Decisions of one rule: how many, how many went to the rollout's canary, the sum of
    their rates and of r(1-r)."""

    rule: str
    decisions: int
    canary: int
    rate_sum: float
    variance_sum: float


async def first_record(conn: psycopg.AsyncConnection[Any], rollout: str) -> datetime | None:
    """The minute of the oldest decision or outcome counted for `rollout` (None: nothing)."""
    cur = await conn.execute(
        "SELECT least("
        " (SELECT min(bin) FROM canary.outcome_counts WHERE rollout = %(r)s AND grain = 60"
        "  AND verified + rejected + unreadable + transient_failure + incident <> 0),"
        " (SELECT min(bin) FROM canary.decision_counts WHERE rollout = %(r)s AND grain = 60"
        "  AND decisions <> 0))",
        {"r": rollout},
    )
    row = await cur.fetchone()
    return None if row is None else row[0]


_STEPS = """
SELECT least((extract(epoch FROM bin - %(start)s)::bigint / %(step)s)::int, %(last)s) AS step,
       version::int AS version,
       sum(verified + rejected + unreadable + transient_failure + incident)::bigint AS attempts,
       sum(verified)::bigint AS verified,
       sum(rejected)::bigint AS rejected,
       sum(unreadable)::bigint AS unreadable,
       sum(transient_failure)::bigint AS transient_failure,
       sum(incident)::bigint AS incident
FROM canary.outcome_counts
WHERE rollout = %(rollout)s AND grain = %(grain)s AND bin >= %(start)s
GROUP BY 1, 2
HAVING sum(verified + rejected + unreadable + transient_failure + incident) <> 0
ORDER BY 1, 2
"""


async def outcome_steps(
    conn: psycopg.AsyncConnection[Any], rollout: str, grid: Grid
) -> list[StepRow]:
    """Outcome counts per (step, version); bins after the last step count in the last."""
    async with conn.cursor(row_factory=class_row(StepRow)) as cur:
        await cur.execute(
            _STEPS,
            {
                "rollout": rollout,
                "start": grid.start,
                "step": grid.step,
                "last": grid.steps - 1,
                "grain": grid.grain,
            },
        )
        return await cur.fetchall()


async def latencies(
    conn: psycopg.AsyncConnection[Any], rollout: str, grid: Grid
) -> list[LatencyRow]:
    """p50 and p95 per version from the sketch: within `sketch.RELATIVE_ERROR` of exact."""
    histograms = await latency_histograms(
        conn, rollout, grain=grid.latency_grain, start=grid.latency_start
    )
    return [
        LatencyRow(version, sketch.quantile(h, 0.5), sketch.quantile(h, 0.95))
        for version, h in sorted(histograms.items())
    ]


async def decisions_by_rule(
    conn: psycopg.AsyncConnection[Any], rollout: str, grid: Grid, *, canary_version: int
) -> list[DecisionRow]:
    """Decisions per rule in the window, each job counted once (migration 0003 dedups)."""
    async with conn.cursor(row_factory=class_row(DecisionRow)) as cur:
        await cur.execute(
            """
            SELECT rule,
                   sum(decisions)::bigint AS decisions,
                   coalesce(sum(decisions) FILTER (WHERE version = %(canary)s), 0)::bigint
                       AS canary,
                   sum(rate_sum)::float8 AS rate_sum,
                   sum(variance_sum)::float8 AS variance_sum
            FROM canary.decision_counts
            WHERE rollout = %(rollout)s AND grain = %(grain)s AND bin >= %(start)s
            GROUP BY rule
            HAVING sum(decisions) <> 0
            """,
            {
                "rollout": rollout,
                "grain": grid.grain,
                "start": grid.start,
                "canary": canary_version,
            },
        )
        return await cur.fetchall()


async def rate_changes(
    conn: psycopg.AsyncConnection[Any], rollout: str, *, start: datetime, until: datetime
) -> list[datetime]:
    """When the rollout's rate or pair changed inside the window, oldest first (the strata's
    edges: either changes the canary's share of attempts)."""
    cur = await conn.execute(
        "SELECT changed_at FROM canary.rollout_history"
        " WHERE rollout = %s AND change = 'updated' AND (old_rate IS DISTINCT FROM new_rate"
        "  OR (old_baseline_version, old_canary_version)"
        "     IS DISTINCT FROM (new_baseline_version, new_canary_version))"
        " AND changed_at > %s AND changed_at < %s ORDER BY changed_at",
        (rollout, start, until),
    )
    return [row[0] for row in await cur.fetchall()]


__all__ = [
    "DecisionRow",
    "LatencyRow",
    "OutcomeFigures",
    "StepRow",
    "decisions_by_rule",
    "first_record",
    "latencies",
    "outcome_figures",
    "outcome_steps",
    "rate_changes",
]
