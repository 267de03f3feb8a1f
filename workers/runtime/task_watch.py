"""Background tasks that must run for as long as the service does, watched.

The job loop (`ZeebeWorker.work()`), the rollout cache's follower and the recorder's writer
each run as an asyncio task. Before this watch, one that died took its error with it: the
process stayed up and looked ready while nothing was activated, decided or recorded. Now the
end of any of them, before the service is stopping, is logged once with its reason and sets
`died`, on which `canary worker` stops and exits non-zero, so that the orchestrator restarts it.
"""

import asyncio
from functools import partial

import structlog

log = structlog.get_logger(__name__)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


class TaskWatch:
    """Sets `died` (and `reason`) when a watched task ends while the service is not stopping."""

    def __init__(self) -> None:
        self.died = asyncio.Event()
        self.reason: str | None = None
        self._stopping = False

    def watch(self, task: asyncio.Task[object] | asyncio.Task[None], what: str) -> None:
        task.add_done_callback(partial(self._ended, what))

    def stopping(self) -> None:
        """From here on, tasks end because they were told to."""
        self._stopping = True

    def problem(self) -> str | None:
        """One line for /readyz once a task died."""
        return self.reason

    def _ended(self, what: str, task: asyncio.Task[object] | asyncio.Task[None]) -> None:
        if self._stopping or self.died.is_set():
            return
        if task.cancelled():
            error = "cancelled"
        else:
            exc = task.exception()
            error = (
                "returned"
                if exc is None
                else f"{type(exc).__name__}: {_first_line(str(exc))}".rstrip(": ")
            )
        self.reason = f"{what} stopped ({error})"
        log.error(
            "a background task stopped; the worker exits so that it is restarted",
            task=what,
            error=error,
        )
        self.died.set()
