"""The counters' time bins (migration 0003): one origin, whole grains, rounding to bin edges.

The counting triggers bin with ``date_bin(size, recorded_at, '2000-01-01 00:00:00+00')``;
everything that reads the counters (the analysis, `canary report`, the raw-row references)
rounds its edges here, on the same origin.
"""

from datetime import UTC, datetime, timedelta
from typing import Final

#: The bins' origin (date_bin's in the migrations); every grain divides a day.
ORIGIN: Final = datetime(2000, 1, 1, tzinfo=UTC)
#: Count bins (seconds and minutes) and latency bins (minutes and hours), in seconds.
SECOND: Final = 1
MINUTE: Final = 60
HOUR: Final = 3600
#: Per-second bins younger than this are kept whatever retention's cutoff: windows starting
#: longer ago read minute bins.
SECOND_BINS_KEPT: Final = timedelta(days=1)


def floor_to(moment: datetime, grain: int) -> datetime:
    """`moment` rounded down to a bin edge of `grain` seconds."""
    size = timedelta(seconds=grain)
    return ORIGIN + ((moment - ORIGIN) // size) * size


def ceil_to(moment: datetime, grain: int) -> datetime:
    """`moment` rounded up to a bin edge of `grain` seconds."""
    floored = floor_to(moment, grain)
    return floored if floored == moment else floored + timedelta(seconds=grain)
