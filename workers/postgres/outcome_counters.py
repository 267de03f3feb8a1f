"""Reads of the outcome counters (migration 0003) that the task side needs: a rollout's figures.

`outcome_figures` is what a guarded rollout's analysis reads every interval; `canary report`
reads the same counters through `workers.operate.report.queries`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import psycopg

from workers.postgres import latency_sketch as sketch

#: Figures for windows starting longer ago than this read minute bins (start on the minute):
#: retention keeps per-second bins for a day at least.
SECOND_BINS_KEPT: Final = timedelta(days=1)
_ORIGIN: Final = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def floor_to(moment: datetime, seconds: int) -> datetime:
    """`moment` rounded down to a bin edge of `seconds` (the migration's date_bin origin)."""
    size = timedelta(seconds=seconds)
    return _ORIGIN + ((moment - _ORIGIN) // size) * size


@dataclass(frozen=True, slots=True)
class OutcomeFigures:
    """One version's attempts since a moment: what a guarded rollout's analysis compares."""

    attempts: int = 0
    #: Technical failures: transient failures and incidents, as in `canary report`.
    failures: int = 0
    incidents: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


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


async def outcome_figures(
    conn: psycopg.AsyncConnection[Any], rollout: str, since: datetime, *, now: datetime
) -> dict[int, OutcomeFigures]:
    """Per version (1 and 2), the attempts recorded since `since`, from the counters.

    Counts start at `since` rounded down to the second (to the minute when `since` is more
    than a day before `now`: retention may have dropped the second bins); latency at `since`
    rounded down to the minute, within `latency_sketch.RELATIVE_ERROR`. Index range reads of
    at most one row per second and version, whatever the history holds.
    """
    grain = 1 if now - since <= SECOND_BINS_KEPT else 60
    cur = await conn.execute(
        "SELECT version::int,"
        " sum(verified + rejected + unreadable + transient_failure + incident)::bigint,"
        " sum(transient_failure + incident)::bigint, sum(incident)::bigint"
        " FROM canary.outcome_counts WHERE rollout = %s AND grain = %s AND bin >= %s"
        " GROUP BY 1",
        (rollout, grain, floor_to(since, grain)),
    )
    counts = {version: rest for version, *rest in await cur.fetchall()}
    histograms = await latency_histograms(conn, rollout, grain=60, start=floor_to(since, 60))
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
