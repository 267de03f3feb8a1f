"""The SQL behind `canary report` and a rollout's analysis: reads of the counters only.

Migration 0003 keeps the counters (attempts by outcome, a latency sketch, decisions with
their rate sums) per rollout, version and bin; these queries read the bins of one window, so
their cost follows the window's length and the grain, never the rows recorded. The same
questions asked of the raw rows (the reference the counters are tested against) are in
`raw_queries`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import psycopg
from psycopg.rows import class_row

from workers.operate.report import sketch
from workers.operate.report.window import MINUTE, SECOND, Grid, floor_to

#: Figures for windows starting longer ago than this read minute bins (start on the minute).
SECOND_BINS_KEPT: Final = timedelta(days=1)


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


@dataclass(frozen=True, slots=True)
class OutcomeFigures:
    """One version's attempts since a moment: what a guarded rollout's analysis compares."""

    attempts: int = 0
    #: Technical failures: transient failures and incidents, as in `canary report`.
    failures: int = 0
    incidents: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


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


async def latency_histograms(
    conn: psycopg.AsyncConnection[Any], rollout: str, *, grain: int, start: datetime
) -> dict[int, dict[int, int]]:
    """The merged latency sketch per version: bucket -> attempts, from `start` (a bin edge)."""
    cur = await conn.execute(
        "SELECT version::int, b::int, sum(n)::bigint"
        " FROM canary.outcome_latency, unnest(buckets, attempts) AS u (b, n)"
        " WHERE rollout = %s AND grain = %s AND bin >= %s"
        " GROUP BY 1, 2 HAVING sum(n) > 0",
        (rollout, grain, start),
    )
    histograms: dict[int, dict[int, int]] = {}
    for version, bucket, attempts in await cur.fetchall():
        histograms.setdefault(version, {})[bucket] = attempts
    return histograms


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
    conn: psycopg.AsyncConnection[Any], rollout: str, grid: Grid
) -> list[DecisionRow]:
    """Decisions per rule in the window, each job counted once (migration 0003 dedups)."""
    async with conn.cursor(row_factory=class_row(DecisionRow)) as cur:
        await cur.execute(
            """
            SELECT rule,
                   sum(decisions)::bigint AS decisions,
                   coalesce(sum(decisions) FILTER (WHERE version = 2), 0)::bigint AS v2,
                   sum(rate_sum)::float8 AS rate_sum,
                   sum(variance_sum)::float8 AS variance_sum
            FROM canary.decision_counts
            WHERE rollout = %(rollout)s AND grain = %(grain)s AND bin >= %(start)s
            GROUP BY rule
            HAVING sum(decisions) <> 0
            """,
            {"rollout": rollout, "grain": grid.grain, "start": grid.start},
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


async def outcome_figures(
    conn: psycopg.AsyncConnection[Any], rollout: str, since: datetime, *, now: datetime
) -> dict[int, OutcomeFigures]:
    """Per version (1 and 2), the attempts recorded since `since`, from the counters.

    Counts start at `since` rounded down to the second (to the minute when `since` is more
    than a day before `now`: retention may have dropped the second bins); latency at `since`
    rounded down to the minute, within `sketch.RELATIVE_ERROR`. Two index range reads of at
    most one row per second and version, whatever the history holds.
    """
    grain = SECOND if now - since <= SECOND_BINS_KEPT else MINUTE
    start = floor_to(since, grain)
    cur = await conn.execute(
        "SELECT version::int,"
        " sum(verified + rejected + unreadable + transient_failure + incident)::bigint,"
        " sum(transient_failure + incident)::bigint, sum(incident)::bigint"
        " FROM canary.outcome_counts WHERE rollout = %s AND grain = %s AND bin >= %s"
        " GROUP BY 1",
        (rollout, grain, start),
    )
    counts = {version: rest for version, *rest in await cur.fetchall()}
    histograms = await latency_histograms(
        conn, rollout, grain=MINUTE, start=floor_to(since, MINUTE)
    )
    figures: dict[int, OutcomeFigures] = {}
    for version in (1, 2):
        attempts, failures, incidents = counts.get(version, (0, 0, 0))
        histogram = histograms.get(version, {})
        figures[version] = OutcomeFigures(
            attempts=attempts,
            failures=failures,
            incidents=incidents,
            latency_p50_ms=sketch.quantile(histogram, 0.5),
            latency_p95_ms=sketch.quantile(histogram, 0.95),
        )
    return figures
