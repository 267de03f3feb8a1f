"""The report's time grid, in whole bins of the counters (migration 0003).

The counters count per second and per minute (latency per minute and per hour), so every
edge the report draws sits on a bin edge: the window's start is rounded down to the bin, and a
step is a whole number of bins. The raw rows read on the same grid give the same numbers; that
is what makes report-from-counters equal report-from-raw.

Up to 192 steps (8 per chart column); windows shorter than that many seconds get fewer, whole
second steps (a 10 s demo run: 10 columns of 1 s). Steps of a minute or more read the minute
bins, so a 30-day report reads 43 200 minute rows per version, not the rows recorded.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from workers.postgres.counter_bins import HOUR, MINUTE, SECOND, floor_to

#: Resolution of the sequential test's path, in steps per chart column.
STEPS_PER_COLUMN: Final = 8
#: Windows up to this long read per-minute latency bins, longer ones per-hour bins.
MINUTE_LATENCY_UP_TO: Final = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Grid:
    #: First step's start, on a bin edge of `grain`.
    start: datetime
    #: Count bins read, in seconds (1 or 60).
    grain: int
    #: Seconds per step: a whole number of `grain`.
    step: int
    steps: int
    columns: int
    steps_per_column: int
    #: Latency bins read (60 or 3600 seconds), from `latency_start` on.
    latency_grain: int
    latency_start: datetime

    def step_start(self, index: int) -> datetime:
        return self.start + timedelta(seconds=index * self.step)

    @property
    def column_seconds(self) -> int:
        return self.step * self.steps_per_column


def make_grid(start: datetime, until: datetime, *, columns: int) -> Grid:
    """The grid of a report over [start, until) with up to `columns` chart columns."""
    wanted = columns * STEPS_PER_COLUMN
    span = max((until - start).total_seconds(), 1.0)
    grain = MINUTE if span / wanted >= MINUTE else SECOND
    start = floor_to(start, grain)
    span = (until - start).total_seconds()
    step = grain * max(1, math.ceil(span / wanted / grain))
    needed = max(1, math.ceil(span / step))
    shown = min(columns, needed)
    per_column = math.ceil(needed / shown)
    latency_grain = MINUTE if until - start <= MINUTE_LATENCY_UP_TO else HOUR
    return Grid(
        start=start,
        grain=grain,
        step=step,
        steps=shown * per_column,
        columns=shown,
        steps_per_column=per_column,
        latency_grain=latency_grain,
        latency_start=floor_to(start, latency_grain),
    )
