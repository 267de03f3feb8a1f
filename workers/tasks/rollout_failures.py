"""How a guarded rollout's job fails: with backoff, until its retries run out into an incident.

The rollout's jobs have no business errors: whatever stops `set rate`, `analyse` or `notify`
from finishing (Postgres down, a malformed variable, a bug) fails the job with exponential
backoff and full jitter, and once the model's retries are spent Zeebe raises an incident on
that task. The process waits there: a rollout never moves on without its verdict or its rate.
pyzeebe's default handler would retry at once; this one spaces the retries out.

Failure messages are one line saying what failed and which attempt it was; our own errors'
messages carry no secrets (connection errors name host, port and database only), anything
else is reported by type name, with its frames in the log.
"""

import random
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from pyzeebe import ExceptionHandler, Job, JobController

from workers.backoff import Backoff
from workers.errors import CanaryError
from workers.tasks.failure_policy import traceback_frames
from workers.tasks.job_context import job_fields

log = structlog.get_logger(__name__)

#: 5 s doubling to 60 s: long enough for a Postgres failover, short enough to notice.
ROLLOUT_BACKOFF = Backoff(base=5.0, cap=60.0, floor=1.0)

RolloutTask = Callable[..., Awaitable[dict[str, Any]]]


def failure_message(exc: Exception, job: Job) -> str:
    what = (
        str(exc)
        if isinstance(exc, CanaryError | ValueError | TypeError | KeyError)
        else f"unexpected {type(exc).__name__}, details in the worker's log"
    )
    left = max(job.retries - 1, 0)
    return f"{job.type} failed: {what} ({left} retries left)"


def make_rollout_exception_handler(
    *, attempts: int, backoff: Backoff = ROLLOUT_BACKOFF, rng: random.Random | None = None
) -> ExceptionHandler:
    """`attempts`: the task's retries in the model (process.ANALYSE_RETRIES, TASK_RETRIES)."""
    draw = rng or random.Random()

    async def handle(exc: Exception, job: Job, controller: JobController) -> None:
        message = failure_message(exc, job)
        # Zeebe sends the retries left; an operator may have raised them past the model's.
        attempt = max(1, attempts - job.retries + 1)
        # The last failure raises the incident at once: no backoff to wait out.
        delay_ms = 0 if job.retries <= 1 else backoff.delay_ms(attempt, rng=draw)
        log.warning(
            "rollout job failed",
            **job_fields(job),
            error_type=type(exc).__name__,
            frames=traceback_frames(exc),
            retries_left=max(job.retries - 1, 0),
            retry_in_ms=delay_ms,
        )
        await controller.set_failure_status(message, retry_back_off_ms=delay_ms)

    return handle
