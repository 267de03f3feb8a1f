"""Reads of the outcome counters (migration 0003) that the task side needs: a rollout's figures.

`outcome_figures` is what a guarded rollout's analysis reads every interval; `canary report`
reads the same counters through `workers.operate.report.queries`.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from workers.postgres import latency_sketch as sketch
from workers.postgres.counter_bins import HOUR, MINUTE, SECOND, SECOND_BINS_KEPT, ceil_to, floor_to


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
    return _by_version(await cur.fetchall())


def _by_version(rows: list[tuple[Any, ...]]) -> dict[int, dict[int, int]]:
    histograms: dict[int, dict[int, int]] = {}
    for version, bucket, attempts in rows:
        histograms.setdefault(version, {})[bucket] = attempts
    return histograms


async def outcome_figures(
    conn: psycopg.AsyncConnection[Any], rollout: str, since: datetime, *, now: datetime
) -> dict[int, OutcomeFigures]:
    """Per version, the attempts recorded since `since`, from the counters (every version
    recorded, and 1 and 2 always, zero when nothing was recorded).

    Counts start at `since` rounded down to the second (to the minute when `since` is more
    than a day before `now`: retention may have dropped the second bins); latency at `since`
    rounded down to the minute, within `latency_sketch.RELATIVE_ERROR`.

    Each read takes the fine bins only up to the first coarse edge and the coarse bins after
    it (second bins up to the first whole minute, then minute bins; latency minute bins up to
    the first whole hour, then hour bins): the same sums, since a coarse bin is the sum of
    its fine ones, from at most 60 + 1 440 rows a day per version. With 10 million outcomes
    over a week, one `analyse` call of a step held 23 hours took 437 ms (p50) reading second
    bins only and 36 ms this way; held 3 days, 391 ms and 88 ms
    (`bench/guarded_rollout_analysis_cost.py`).
    """
    fine = SECOND if now - since <= SECOND_BINS_KEPT else MINUTE
    start = floor_to(since, fine)
    cur = await conn.execute(
        "SELECT version::int,"
        " sum(verified + rejected + unreadable + transient_failure + incident)::bigint,"
        " sum(transient_failure + incident)::bigint, sum(incident)::bigint"
        " FROM canary.outcome_counts WHERE rollout = %(rollout)s"
        " AND (grain = %(fine)s AND bin >= %(start)s AND bin < %(edge)s"
        "      OR grain = 60 AND bin >= %(edge)s)"
        " GROUP BY 1",
        {"rollout": rollout, "fine": fine, "start": start, "edge": ceil_to(start, MINUTE)},
    )
    counts = {version: rest for version, *rest in await cur.fetchall()}
    minute = floor_to(since, MINUTE)
    cur = await conn.execute(
        "SELECT version::int, b::int, sum(n)::bigint"
        " FROM canary.outcome_latency, unnest(buckets, attempts) AS u (b, n)"
        " WHERE rollout = %(rollout)s"
        " AND (grain = 60 AND bin >= %(start)s AND bin < %(edge)s"
        "      OR grain = 3600 AND bin >= %(edge)s)"
        " GROUP BY 1, 2 HAVING sum(n) > 0",
        {"rollout": rollout, "start": minute, "edge": ceil_to(minute, HOUR)},
    )
    histograms = _by_version(await cur.fetchall())
    figures: dict[int, OutcomeFigures] = {}
    for version in sorted({1, 2, *counts, *histograms}):
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
