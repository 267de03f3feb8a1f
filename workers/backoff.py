"""Exponential backoff with full jitter: the one retry pacing every part of the project uses.

Attempt n (1, 2, ...) waits a uniform draw in ``[0, min(cap, base * 2**(n-1))]``, never less
than `floor` (nor than `at_least`, e.g. a provider's Retry-After). Full jitter spreads a fleet
of workers that all lost the same dependency at the same moment.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 1.0
    cap: float = 60.0
    floor: float = 0.0

    def ceiling(self, attempt: int) -> float:
        return min(self.cap, self.base * 2.0 ** min(max(attempt - 1, 0), 60))

    def delay(
        self,
        attempt: int,
        rand: Callable[[], float] = random.random,
        *,
        at_least: float | None = None,
    ) -> float:
        """Seconds to wait before attempt `attempt` (1 = the first retry)."""
        return max(self.floor, rand() * self.ceiling(attempt), at_least or 0.0)

    def delay_ms(self, attempt: int, *, rng: random.Random, at_least: float | None = None) -> int:
        """`delay` in whole milliseconds, drawn from `rng` (Zeebe's retryBackOff unit)."""
        return round(self.delay(attempt, rng.random, at_least=at_least) * 1000)
