"""The latency sketch's error bound and the report's grid on the counters' bins."""

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from workers.operate.report.window import make_grid
from workers.postgres.counter_bins import MINUTE, SECOND, floor_to
from workers.postgres.latency_sketch import (
    FLOOR_MS,
    RELATIVE_ERROR,
    bucket_of,
    bucket_value,
    quantile,
)

latency = st.floats(min_value=0.0, max_value=1e7, allow_nan=False)


def percentile_cont(values: list[float], q: float) -> float:
    """Postgres's percentile_cont: interpolate between the order statistics around q (n-1)."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def within_bound(exact: float, read: float) -> bool:
    return abs(read - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9) + FLOOR_MS


@given(latency)
def test_a_bucket_is_read_within_one_percent_of_every_value_in_it(value):
    assert RELATIVE_ERROR < 0.01
    assert within_bound(value, bucket_value(bucket_of(value)))


@given(st.lists(latency, min_size=1, max_size=300), st.sampled_from([0.0, 0.5, 0.95, 1.0]))
def test_quantiles_from_the_histogram_are_within_the_bound_of_percentile_cont(values, q):
    histogram: dict[int, int] = {}
    for value in values:
        histogram[bucket_of(value)] = histogram.get(bucket_of(value), 0) + 1
    read = quantile(histogram, q)
    assert read is not None
    assert within_bound(percentile_cont(values, q), read)


def test_an_empty_histogram_has_no_quantile():
    assert quantile({}, 0.5) is None
    assert quantile({12: 0}, 0.95) is None


NOW = datetime(2030, 5, 1, 12, 0, 17, 250_000, tzinfo=UTC)


def test_an_hour_is_192_steps_of_whole_seconds_from_a_whole_second():
    grid = make_grid(NOW - timedelta(hours=1), NOW, columns=24)
    assert (grid.grain, grid.step, grid.steps, grid.columns) == (SECOND, 19, 192, 24)
    assert grid.start == datetime(2030, 5, 1, 11, 0, 17, tzinfo=UTC)
    assert grid.step_start(grid.steps) >= NOW
    assert grid.latency_grain == MINUTE
    assert grid.latency_start == datetime(2030, 5, 1, 11, 0, tzinfo=UTC)


def test_a_month_reads_minute_bins_and_hourly_latency():
    grid = make_grid(NOW - timedelta(days=30), NOW, columns=24)
    assert grid.grain == MINUTE
    assert grid.step % MINUTE == 0
    assert grid.start == floor_to(NOW - timedelta(days=30), MINUTE)
    assert grid.latency_grain == 3600
    assert grid.step_start(grid.steps) >= NOW


def test_a_ten_second_window_gets_ten_one_second_columns():
    grid = make_grid(NOW - timedelta(seconds=10), NOW, columns=24)
    assert (grid.step, grid.columns, grid.steps_per_column) == (1, 11, 1)


@given(st.integers(1, 90 * 86_400), st.integers(2, 200))
def test_every_grid_covers_its_window_in_whole_bins(seconds, columns):
    grid = make_grid(NOW - timedelta(seconds=seconds), NOW, columns=columns)
    assert grid.step % grid.grain == 0
    assert grid.start == floor_to(grid.start, grid.grain)
    assert grid.steps <= columns * 8
    assert grid.columns <= columns
    assert grid.step_start(grid.steps) >= NOW
