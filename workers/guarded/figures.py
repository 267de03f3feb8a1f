"""The one query a guarded rollout's analysis reads: a step's figures per version.

Kept to this one function so the data source can change without touching the analysis or the
`analyse` task. It reads the outcome counters of migration 0003
(`workers.postgres.outcome_counters.outcome_figures`): a few index range reads per look,
whatever the history holds. The step's start is rounded down to the second (to the minute
for steps older than a day), p95 comes from the latency sketch (within 1 % of exact), and
an attempt recorded twice (at-least-once delivery) counts once; technical failures are the
``transient_failure`` and ``incident`` outcomes, as in `canary report`.
"""

from datetime import UTC, datetime
from typing import Any

import psycopg

from workers.guarded.analysis import StepFigures, VersionFigures
from workers.postgres.outcome_counters import outcome_figures


async def step_figures(
    conn: psycopg.AsyncConnection[Any],
    rollout: str,
    *,
    since: datetime,
    baseline_version: int,
    canary_version: int,
) -> StepFigures:
    """Attempts, technical failures, incidents and p95 latency of both versions since `since`."""
    figures = await outcome_figures(conn, rollout, since, now=datetime.now(UTC))

    def of(version: int) -> VersionFigures:
        found = figures.get(version)
        if found is None:
            return VersionFigures()
        return VersionFigures(found.attempts, found.failures, found.incidents, found.latency_p95_ms)

    return StepFigures(baseline=of(baseline_version), canary=of(canary_version))
