"""Time for the engine: the wall clock for dates and deadlines, and delayed callbacks.

The engine never sleeps; it asks a `Scheduler` to call it back (job deadlines, retry
backoffs, timer events). `AsyncioScheduler` uses the running event loop; `ManualScheduler`
lets unit tests move time forward by hand, so no test waits on a real clock.
"""

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol

#: Delays are capped so that absurd timeouts from clients never overflow the loop's clock.
MAX_DELAY_MS = 100 * 365 * 86_400_000


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the epoch (the engine's idea of "now")."""
        ...

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Cancellable:
        """Run `callback` once, `delay_ms` from now (0: as soon as possible)."""
        ...


class AsyncioScheduler:
    """Callbacks on the running event loop; dates from the system clock."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Cancellable:
        delay = min(max(delay_ms, 0), MAX_DELAY_MS) / 1000
        if delay == 0:
            return self._loop.call_soon(callback)
        return self._loop.call_later(delay, callback)


class _ManualHandle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """A clock that only moves when told to: `advance(ms)` runs what fell due, in order."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms
        self._queue: list[tuple[int, int, _ManualHandle, Callable[[], None]]] = []
        self._sequence = itertools.count()

    def now_ms(self) -> int:
        return self._now

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Cancellable:
        handle = _ManualHandle()
        due = self._now + min(max(delay_ms, 0), MAX_DELAY_MS)
        heapq.heappush(self._queue, (due, next(self._sequence), handle, callback))
        return handle

    def advance(self, ms: int = 0) -> None:
        """Move the clock forward by `ms` and run every callback due by then."""
        target = self._now + ms
        while self._queue and self._queue[0][0] <= target:
            due, _, handle, callback = heapq.heappop(self._queue)
            self._now = max(self._now, due)
            if not handle.cancelled:
                callback()
        self._now = target

    @property
    def pending(self) -> int:
        return sum(1 for entry in self._queue if not entry[2].cancelled)
