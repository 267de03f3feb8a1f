"""The jobs this process is running, so that shutdown can leave them untouched.

When the shutdown grace runs out, jobs still running must be abandoned, not failed: Zeebe
hands each to another worker once its job timeout passes, and the provider's idempotency key
makes that second attempt answer from the first. Closing the HTTP clients under the running
jobs instead made each send FailJob with a retry used up and record a false
`transient_failure`; the retry then met the provider's still-running first request (409) and
ended as an incident (issue 16: 5 of 60 instances, all approved by the provider).

`InFlightJobs.before` is a pyzeebe `before` decorator: it runs inside each job's own asyncio
task and notes it. `abandon()` cancels those tasks. Cancellation is not an `Exception`, so
neither the task functions (no outcome recorded) nor pyzeebe's job handler (no FailJob, no
CompleteJob) act on it: the job is left exactly as Zeebe activated it.
"""

import asyncio

import structlog
from pyzeebe import Job

log = structlog.get_logger(__name__)

#: How long abandoned jobs get to unwind their cancellation (closing sockets) before the
#: clients under them close.
UNWIND_SECONDS = 2.0


class InFlightJobs:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    async def before(self, job: Job) -> Job:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return job

    async def abandon(self) -> int:
        """Cancel every running job's task without answering Zeebe; how many were running."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=UNWIND_SECONDS)
        return len(tasks)
