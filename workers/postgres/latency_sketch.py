"""The latency sketch kept by migration 0003: a log histogram, mergeable by addition.

Bucket 0 holds latencies below `FLOOR_MS`; bucket k >= 1 holds (FLOOR_MS * GAMMA^(k-2),
FLOOR_MS * GAMMA^(k-1)] and is read as FLOOR_MS * GAMMA^(k-1) * 2 / (GAMMA + 1). Every value in
a bucket is then within `RELATIVE_ERROR` (0.99 %) of what the bucket is read as, so a quantile
read from the histogram is within that of the true order statistic (and within FLOOR_MS in
absolute terms near zero). `canary.latency_bucket` in the migration is the SQL twin of
`bucket_of`.
"""

import math
from collections.abc import Mapping
from typing import Final

GAMMA: Final = 1.02
FLOOR_MS: Final = 0.001
RELATIVE_ERROR: Final = (GAMMA - 1) / (GAMMA + 1)
_LN_GAMMA: Final = math.log(GAMMA)


def bucket_of(latency_ms: float) -> int:
    """The bucket a latency falls in (as the database computes it)."""
    if latency_ms < FLOOR_MS:
        return 0
    return min(32767, math.ceil(math.log(latency_ms / FLOOR_MS) / _LN_GAMMA) + 1)


def bucket_value(bucket: int) -> float:
    """What a bucket is read as: the point within RELATIVE_ERROR of all its values."""
    if bucket <= 0:
        return 0.0
    return FLOOR_MS * GAMMA ** (bucket - 1) * 2 / (GAMMA + 1)


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile as percentile_cont defines it (interpolating between the two order
    statistics around rank q (n - 1)), each order statistic read from its bucket.

    Interpolating between two readings each within RELATIVE_ERROR keeps the result within it.
    """
    total = sum(n for n in histogram.values() if n > 0)
    if total == 0:
        return None
    rank = q * (total - 1)
    low_rank = math.floor(rank)
    fraction = rank - low_rank
    low = _value_at(histogram, low_rank)
    if fraction == 0:
        return low
    high = _value_at(histogram, low_rank + 1)
    return low + fraction * (high - low)


def _value_at(histogram: Mapping[int, int], rank: int) -> float:
    """The reading of the order statistic of 0-based `rank`."""
    seen = 0
    for bucket in sorted(histogram):
        seen += max(histogram[bucket], 0)
        if seen > rank:
            return bucket_value(bucket)
    return bucket_value(max(histogram))  # pragma: no cover - rank < total by construction
