"""`build_report`: read the aggregates of one rollout and turn them into a `Report`.

The window is split into fine time steps on the counters' bins (`window.make_grid`, up to 8
per chart column). The chart sums steps into columns; the sequential test walks the steps in
order, so it sees the LLR as someone checking the report every step would have, and reports
the first time it crossed a bound. The numbers come from a `Source`: the counters (`queries`,
what the CLI and the demo read) or the raw rows (`raw_queries`, the reference in tests).
"""

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import psycopg

from workers.errors import InputError
from workers.operate.report import queries
from workers.operate.report.model import (
    Bucket,
    Report,
    ReportSettings,
    SequentialTest,
    Split,
    Verdict,
    VersionStats,
)
from workers.operate.report.window import Grid, make_grid
from workers.postgres import rollout_store
from workers.postgres.counter_bins import MINUTE, floor_to
from workers.routing import Rule, Version
from workers.stats import Stratum, split_test, sprt_bounds, stratified_llr, wilson

_OUTCOMES = ("verified", "rejected", "unreadable", "transient_failure", "incident")


async def build_report(
    conn: psycopg.AsyncConnection[Any],
    rollout: str,
    since: timedelta | None = None,
    *,
    settings: ReportSettings | None = None,
    now: datetime | None = None,
    source: ModuleType = queries,
) -> Report:
    """The report of `rollout` over the last `since` (default: everything recorded).

    `source` is a module with `queries`' read functions (`raw_queries` reads the raw rows).
    Raises `InputError` for an unknown rollout or settings out of range.
    """
    knobs = settings or ReportSettings()
    try:
        knobs.check()
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if since is not None and since <= timedelta(0):
        raise InputError("--since must be a positive duration")
    row = await rollout_store.get_rollout(conn, rollout)
    until = now or datetime.now(UTC)
    if since is not None:
        start = until - since
    else:
        first = await source.first_record(conn, rollout)
        start = until if first is None else floor_to(first, MINUTE)
    start = min(start, until - timedelta(seconds=1))
    grid = make_grid(start, until, columns=knobs.columns)

    step_rows = await source.outcome_steps(conn, rollout, grid)
    latency_rows = await source.latencies(conn, rollout, grid)
    decision_rows = await source.decisions_by_rule(
        conn, rollout, grid, canary_version=row.canary_version
    )
    changes = await queries.rate_changes(conn, rollout, start=grid.start, until=until)

    pair = row.versions
    steps_of = _Steps.from_rows(step_rows, steps=grid.steps, pair=pair)
    return Report(
        rollout=rollout,
        since=grid.start,
        until=until,
        current_rate=row.rate,
        strategy=row.strategy,
        baseline_version=row.baseline_version,
        canary_version=row.canary_version,
        versions=_version_stats(step_rows, latency_rows, pair=pair),
        split=_split(decision_rows, threshold=knobs.srm_threshold),
        test=_sequential_test(steps_of, grid=grid, changes=changes, knobs=knobs, pair=pair),
        bucket_seconds=grid.column_seconds,
        buckets=_buckets(steps_of, grid=grid),
        rate_changes=list(changes),
    )


@dataclass(slots=True)
class _Steps:
    """Attempts and failures per step of the pair's two versions, dense (zeros where nothing
    happened). Records of other versions (the pair before the last, say) are left out."""

    attempts: dict[Version, list[int]]
    failures: dict[Version, list[int]]
    count: int

    @classmethod
    def from_rows(
        cls, rows: Sequence[queries.StepRow], *, steps: int, pair: tuple[Version, Version]
    ) -> "_Steps":
        attempts: dict[Version, list[int]] = {v: [0] * steps for v in pair}
        failures: dict[Version, list[int]] = {v: [0] * steps for v in pair}
        for r in rows:
            version = r.version
            if version not in attempts:
                continue
            step = max(0, min(steps - 1, r.step))
            attempts[version][step] += r.attempts
            failures[version][step] += r.transient_failure + r.incident
        return cls(attempts, failures, steps)


def _version_stats(
    rows: Sequence[queries.StepRow],
    latency_rows: Sequence[queries.LatencyRow],
    *,
    pair: tuple[Version, Version],
) -> dict[Version, VersionStats]:
    latency = {r.version: r for r in latency_rows}
    result: dict[Version, VersionStats] = {}
    for version in pair:
        counts = dict.fromkeys(_OUTCOMES, 0)
        for r in rows:
            if r.version == version:
                for name in _OUTCOMES:
                    counts[name] += getattr(r, name)
        total = sum(counts.values())
        lat = latency.get(version)
        result[version] = VersionStats(
            version=version,
            attempts=total,
            outcomes=counts,
            success=wilson(counts["verified"], total),
            rejection=wilson(counts["rejected"] + counts["unreadable"], total),
            failure=wilson(counts["transient_failure"] + counts["incident"], total),
            latency_p50_ms=None if lat is None else lat.p50,
            latency_p95_ms=None if lat is None else lat.p95,
        )
    return result


def _split(rows: Sequence[queries.DecisionRow], *, threshold: float) -> Split:
    shared = [r for r in rows if r.rule in (Rule.STICKY.value, Rule.RANDOM.value)]
    decisions = sum(r.decisions for r in shared)
    canary = sum(r.canary for r in shared)
    expected = sum(r.rate_sum for r in shared)
    test = split_test(
        observed_v2=canary, expected_v2=expected, variance=sum(r.variance_sum for r in shared)
    )
    return Split(
        decisions=decisions,
        canary_decisions=canary,
        expected_canary=expected,
        z=test.z if decisions else None,
        p_value=test.p_value if decisions else None,
        mismatch=bool(decisions) and test.p_value is not None and test.p_value < threshold,
        threshold=threshold,
        excluded={
            rule.value: sum(r.decisions for r in rows if r.rule == rule.value)
            for rule in (Rule.OVERRIDE, Rule.FALLBACK)
        },
    )


@dataclass(slots=True)
class _Path:
    """Cumulative counts per stratum while walking the steps."""

    strata: list[list[int]] = field(default_factory=list)  # [b_att, c_att, b_fail, c_fail]

    def add(self, stratum: int, *, attempts: tuple[int, int], failures: tuple[int, int]) -> None:
        while len(self.strata) <= stratum:
            self.strata.append([0, 0, 0, 0])
        counts = self.strata[stratum]
        counts[0] += attempts[0]
        counts[1] += attempts[1]
        counts[2] += failures[0]
        counts[3] += failures[1]

    def llr(self, ratio: float) -> float:
        return stratified_llr((Stratum(*c) for c in self.strata), ratio=ratio)

    def totals(self) -> tuple[int, int, int, int]:
        b_att, c_att, b_fail, c_fail = (sum(c[i] for c in self.strata) for i in range(4))
        return b_att, c_att, b_fail, c_fail


def _sequential_test(
    steps: _Steps,
    *,
    grid: Grid,
    changes: Sequence[datetime],
    knobs: ReportSettings,
    pair: tuple[Version, Version],
) -> SequentialTest:
    base, canary = pair
    upper, lower = sprt_bounds(alpha=knobs.alpha, beta=knobs.beta)
    path = _Path()
    llr = 0.0
    crossed_upper: datetime | None = None
    crossed_lower: datetime | None = None
    for i in range(steps.count):
        attempts = (steps.attempts[base][i], steps.attempts[canary][i])
        if not any(attempts):
            continue
        step_start = grid.step_start(i)
        stratum = bisect.bisect_right(changes, step_start)
        path.add(
            stratum,
            attempts=attempts,
            failures=(steps.failures[base][i], steps.failures[canary][i]),
        )
        llr = path.llr(knobs.ratio)
        if _guard(path.totals(), knobs, pair=pair) is not None:
            continue
        step_end = grid.step_start(i + 1)
        if llr >= upper and crossed_upper is None:
            crossed_upper = step_end
        if llr <= lower and crossed_lower is None:
            crossed_lower = step_end
    b_att, c_att, b_fail, c_fail = path.totals()
    total = b_att + c_att

    def result(verdict: Verdict, reason: str, decided_at: datetime | None) -> SequentialTest:
        return SequentialTest(
            verdict=verdict,
            reason=reason,
            llr=llr,
            upper=upper,
            lower=lower,
            ratio=knobs.ratio,
            alpha=knobs.alpha,
            beta=knobs.beta,
            share=c_att / total if total else None,
            strata=sum(1 for c in path.strata if c[0] + c[1]),
            baseline_failures=b_fail,
            canary_failures=c_fail,
            min_attempts=knobs.min_attempts,
            min_failures=knobs.min_failures,
            decided_at=decided_at,
        )

    # A crossing of the upper bound wins: a regression after an all-clear still matters.
    if crossed_upper is not None:
        return result(
            Verdict.WORSE,
            f"the LLR reached the upper bound {upper:.2f} at {crossed_upper:%H:%M:%S %Z}:"
            f" failures land on v{canary} more often than its share of attempts explains"
            " (after a fix, start a new test window with --since)",
            crossed_upper,
        )
    if crossed_lower is not None:
        return result(
            Verdict.NO_WORSE,
            f"the LLR reached the lower bound {lower:.2f} at {crossed_lower:%H:%M:%S %Z}:"
            f" v{canary} failing {knobs.ratio:g}x as often as v{base} is ruled out",
            crossed_lower,
        )
    guard = _guard((b_att, c_att, b_fail, c_fail), knobs, pair=pair)
    if guard is not None:
        return result(Verdict.NOT_ENOUGH_DATA, guard, None)
    return result(
        Verdict.NOT_ENOUGH_DATA,
        f"the LLR {llr:.2f} is between the bounds {lower:.2f} and {upper:.2f}: keep watching",
        None,
    )


def _guard(
    totals: tuple[int, int, int, int], knobs: ReportSettings, *, pair: tuple[Version, Version]
) -> str | None:
    """Why no verdict may be given yet, or None when the minimum sample is there."""
    b_att, c_att, b_fail, c_fail = totals
    for version, attempts in ((pair[0], b_att), (pair[1], c_att)):
        if attempts < knobs.min_attempts:
            return (
                f"v{version} has {attempts} attempt(s); the verdict waits for"
                f" {knobs.min_attempts} per version"
            )
    if b_fail + c_fail < knobs.min_failures:
        return (
            f"{b_fail + c_fail} technical failure(s) so far; the verdict waits for"
            f" {knobs.min_failures} (failures are what the test compares)"
        )
    return None


def _buckets(steps: _Steps, *, grid: Grid) -> list[Bucket]:
    buckets = []
    per_column = grid.steps_per_column
    for column in range(grid.columns):
        span = range(column * per_column, (column + 1) * per_column)
        buckets.append(
            Bucket(
                start=grid.step_start(span.start),
                attempts={v: sum(steps.attempts[v][i] for i in span) for v in steps.attempts},
                failures={v: sum(steps.failures[v][i] for i in span) for v in steps.failures},
            )
        )
    return buckets
