"""Time for the engine: the engine clock for dates and deadlines, and delayed callbacks.

The engine never sleeps; it asks a `Scheduler` to call it back (job deadlines, retry
backoffs, timer events). `AsyncioScheduler` uses the running event loop; `ManualScheduler`
lets unit tests move time forward by hand, so no test waits on a real clock.

Both can be pinned, as Camunda's clock API pins the engine clock (``PUT /v2/clock``): the
clock then stands still at the given time, everything due by then runs at once, and what is
due later waits until the clock is pinned past it or reset to system time
(``POST /v2/clock/reset``). Due dates are kept per callback, so pinning backwards is fine too.
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

    def pin(self, epoch_ms: int) -> None:
        """Stop the clock at `epoch_ms`; run what is due by then."""
        ...

    def reset(self) -> None:
        """Let the clock follow system time again."""
        ...


class _Timer:
    __slots__ = ("callback", "cancelled", "due_ms", "handle", "owner")

    def __init__(
        self, owner: "AsyncioScheduler", due_ms: int, callback: Callable[[], None]
    ) -> None:
        self.owner = owner
        self.due_ms = due_ms
        self.callback = callback
        self.cancelled = False
        self.handle: asyncio.Handle | None = None

    def cancel(self) -> None:
        self.cancelled = True
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        self.owner.forget(self)


class AsyncioScheduler:
    """Callbacks on the running event loop; the system clock unless pinned."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pinned: int | None = None
        #: Callbacks not run yet, with their due dates (re-armed when the clock is pinned).
        self._timers: set[_Timer] = set()

    @property
    def pinned(self) -> bool:
        return self._pinned is not None

    def now_ms(self) -> int:
        if self._pinned is not None:
            return self._pinned
        return int(time.time() * 1000)

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Cancellable:
        delay = min(max(delay_ms, 0), MAX_DELAY_MS)
        if delay == 0:
            return self._loop.call_soon(callback)
        if self._pinned is None:
            # The common path (no pinned clock): one loop timer, as before the clock API.
            timer = _Timer(self, int(time.time() * 1000) + delay, callback)
            timer.handle = self._loop.call_later(delay / 1000, self._fire, timer)
        else:
            timer = _Timer(self, self._pinned + delay, callback)
            self._arm(timer)
        self._timers.add(timer)
        return timer

    def _arm(self, timer: _Timer) -> None:
        if self._pinned is None:
            wait = max(timer.due_ms - int(time.time() * 1000), 0) / 1000
            timer.handle = self._loop.call_later(wait, self._fire, timer)
        elif timer.due_ms <= self._pinned:
            timer.handle = self._loop.call_soon(self._fire, timer)
        else:
            timer.handle = None  # waits for the clock to be pinned later, or reset

    def _fire(self, timer: _Timer) -> None:
        self._timers.discard(timer)
        if not timer.cancelled:
            timer.callback()

    def forget(self, timer: _Timer) -> None:
        self._timers.discard(timer)

    def _rearm(self) -> None:
        for timer in sorted(self._timers, key=lambda entry: entry.due_ms):
            if timer.handle is not None:
                timer.handle.cancel()
            self._arm(timer)

    def pin(self, epoch_ms: int) -> None:
        self._pinned = epoch_ms
        self._rearm()

    def reset(self) -> None:
        self._pinned = None
        self._rearm()


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

    def pin(self, epoch_ms: int) -> None:
        """Move the clock to `epoch_ms` (forwards runs what fell due; backwards runs nothing)."""
        if epoch_ms >= self._now:
            self.advance(epoch_ms - self._now)
        else:
            self._now = epoch_ms

    def reset(self) -> None:
        """A manual clock has no system time to return to: it stays where it is."""

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
