"""The one query a guarded rollout's analysis reads: a step's figures per version.

Kept to this one function so the data source can change (recorded outcomes are to be
pre-aggregated) without touching the analysis or the `analyse` task. It reads
``canary.outcomes`` through the (rollout, recorded_at) index of migration 0002; technical
failures are the ``transient_failure`` and ``incident`` outcomes, as in `canary report`.
"""

from datetime import datetime
from typing import Any

import psycopg

from workers.guarded.analysis import StepFigures, VersionFigures

_QUERY = """
SELECT version::int,
       count(*)::int,
       count(*) FILTER (WHERE outcome IN ('transient_failure', 'incident'))::int,
       count(*) FILTER (WHERE outcome = 'incident')::int,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
FROM canary.outcomes
WHERE rollout = %(rollout)s AND recorded_at >= %(since)s
  AND version IN (%(baseline)s, %(canary)s)
GROUP BY 1
"""


async def step_figures(
    conn: psycopg.AsyncConnection[Any],
    rollout: str,
    *,
    since: datetime,
    baseline_version: int,
    canary_version: int,
) -> StepFigures:
    """Attempts, technical failures, incidents and p95 latency of both versions since `since`."""
    cur = await conn.execute(
        _QUERY,
        {
            "rollout": rollout,
            "since": since,
            "baseline": baseline_version,
            "canary": canary_version,
        },
    )
    by_version = {
        version: VersionFigures(attempts, failures, incidents, None if p95 is None else float(p95))
        for version, attempts, failures, incidents, p95 in await cur.fetchall()
    }
    return StepFigures(
        baseline=by_version.get(baseline_version, VersionFigures()),
        canary=by_version.get(canary_version, VersionFigures()),
    )
