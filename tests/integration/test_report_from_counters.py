"""Property: `canary report` read from the counters equals the report read from the raw rows.

Random decisions and outcomes, with duplicates of the same attempt or job arriving in random
batches and orders: counts, intervals, the split test, the sequential verdict and the chart
are identical; p50 and p95 differ by at most the sketch's bound.
"""

import asyncio
import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.operate.report import ReportSettings, build_report, queries, raw_queries
from workers.operate.report.model import Report
from workers.postgres.latency_sketch import FLOOR_MS, RELATIVE_ERROR

pytestmark = pytest.mark.postgres

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
OUTCOMES = ("verified", "rejected", "unreadable", "transient_failure", "incident")
OUTCOME_COPY = (
    "COPY canary.outcomes (recorded_at, rollout, process_instance_key, job_key, version,"
    " outcome, latency_ms, retries) FROM STDIN"
)
DECISION_COPY = (
    "COPY canary.decisions (recorded_at, rollout, process_instance_key, job_key, version, rule,"
    " rate) FROM STDIN"
)
TABLES = (
    "canary.outcomes, canary.decisions, canary.outcomes_seen, canary.decisions_seen,"
    " canary.outcome_counts, canary.outcome_latency, canary.decision_counts, canary.count_horizon"
)

ago = st.floats(min_value=0.0, max_value=3 * 3600.0, allow_nan=False)
outcome_rows = st.lists(
    st.tuples(
        ago,
        st.integers(1, 40),  # few job keys: duplicates are common
        st.integers(1, 3),  # retries
        st.integers(1, 2),
        st.sampled_from(OUTCOMES),
        st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e5, allow_nan=False)),
    ),
    max_size=120,
)
decision_rows = st.lists(
    st.tuples(
        ago,
        st.integers(1, 40),
        st.integers(1, 2),
        st.sampled_from(("sticky", "random", "override", "fallback")),
        st.sampled_from((None, 0.0, 0.1, 0.25, 0.5, 1.0)),
    ),
    max_size=80,
)


def outcome_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    back, key, retries, version, result, latency = row
    return (NOW - timedelta(seconds=back), "verifymenow", key, key, version, result, latency,
            retries)  # fmt: skip


def decision_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    back, key, version, rule, rate = row
    return (NOW - timedelta(seconds=back), "verifymenow", key, key, version, rule, rate)


def insert(url: str, outcomes: list[tuple], decisions: list[tuple], cuts: list[int]) -> None:
    """Each slice between the cut points is one transaction of two COPYs (trigger batches)."""
    rows = [(outcome_row, r) for r in outcomes] + [(decision_row, r) for r in decisions]
    edges = sorted({0, len(rows), *(c % (len(rows) + 1) for c in cuts)})
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY")
        for low, high in itertools.pairwise(edges):
            part = rows[low:high]
            with conn.transaction(), conn.cursor() as cur:
                for shape, statement in (
                    (outcome_row, OUTCOME_COPY),
                    (decision_row, DECISION_COPY),
                ):
                    with cur.copy(statement) as copy:
                        for kind, row in part:
                            if kind is shape:
                                copy.write_row(shape(row))


async def both(url: str, since: timedelta | None, columns: int) -> tuple[Report, Report]:
    knobs = ReportSettings(columns=columns, min_attempts=3, min_failures=1)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        raw = await build_report(
            conn, "verifymenow", since, settings=knobs, now=NOW, source=raw_queries
        )
        counted = await build_report(
            conn, "verifymenow", since, settings=knobs, now=NOW, source=queries
        )
    return raw, counted


def without_latency(report: Report) -> Report:
    versions = {
        v: dataclasses.replace(s, latency_p50_ms=None, latency_p95_ms=None)
        for v, s in report.versions.items()
    }
    return dataclasses.replace(report, versions=versions)


def close(exact: float | None, sketched: float | None) -> bool:
    if exact is None or sketched is None:
        return exact is sketched
    return abs(sketched - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9) + FLOOR_MS


@pytest.mark.timeout(600)  # a failure's shrinking runs many examples
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    outcomes=outcome_rows,
    decisions=decision_rows,
    cuts=st.lists(st.integers(0, 400), max_size=6),
    since=st.sampled_from([None, timedelta(minutes=10), timedelta(hours=1), timedelta(hours=5)]),
    columns=st.sampled_from([2, 7, 24]),
)
def test_the_report_from_counters_equals_the_report_from_raw_rows(
    database_url: str,
    outcomes: list[tuple[Any, ...]],
    decisions: list[tuple[Any, ...]],
    cuts: list[int],
    since: timedelta | None,
    columns: int,
) -> None:
    insert(database_url, outcomes, decisions, cuts)
    raw, counted = asyncio.run(both(database_url, since, columns))
    assert without_latency(counted) == without_latency(raw)
    for version, stats in raw.versions.items():
        assert close(stats.latency_p50_ms, counted.versions[version].latency_p50_ms)
        assert close(stats.latency_p95_ms, counted.versions[version].latency_p95_ms)
