"""One outage tracker for every dependency the workers lose and regain.

The rollout cache (Postgres LISTEN connection), the recorder (Postgres writes) and the
gateway watch (Zeebe) each need the same answers: is it down, since when, how many outages so
far, what was the last error, and did this failure start an outage or this success end one
(each outage is logged once when it starts and once, with its duration, when it ends). The
callers keep their own log lines, since each says what the outage means for it.
"""

import time
from collections.abc import Callable


class OutageTracker:
    """Down/up state of one dependency; `failed` and `recovered` report the transitions."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        #: When the current outage began (None: up).
        self.since: float | None = None
        #: Outages begun so far.
        self.outages = 0
        #: Outages ended so far.
        self.recoveries = 0
        #: The newest failure's description while down; None once up again.
        self.last_error: str | None = None

    @property
    def down(self) -> bool:
        return self.since is not None

    def now(self) -> float:
        return self._clock()

    def seconds(self) -> float:
        """How long the current outage has lasted (0 while up)."""
        return 0.0 if self.since is None else self._clock() - self.since

    def failed(self, error: str) -> bool:
        """Record a failure; True when it starts an outage (log it then)."""
        self.last_error = error
        if self.since is not None:
            return False
        self.since = self._clock()
        self.outages += 1
        return True

    def recovered(self, *, started_at: float | None = None) -> float | None:
        """Record a success; the outage's length when it ends one (log it then), else None.

        A call that began before the outage (a long poll answered as the server shut down)
        says nothing about the dependency being back: pass its `started_at` to ignore it.
        """
        if self.since is None or (started_at is not None and started_at < self.since):
            return None
        seconds = self._clock() - self.since
        self.since = None
        self.last_error = None
        self.recoveries += 1
        return seconds
