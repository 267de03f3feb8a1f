"""The guarded rollout's jobs (`set rate`, `analyse`, `notify`) served by `canary worker`.

Selected with ``--tasks rollout`` (or ``CANARY_TASKS``); not in the default selection, because
`set rate` changes rates and so needs a login of the ``canary_operator`` role, while the
verification workers keep the least-privilege ``canary_worker`` one. The controller's login is
``CANARY_ROLLOUT_DATABASE_URL`` (falling back to ``DATABASE_URL``, for a controller run as its
own process with an operator login): `set rate` writes through it and `analyse` reads the
outcome counters through it (the worker role may only insert outcomes, never read them).

Each job opens its own connection and closes it: a rollout looks once per interval (a minute
by default), so a pool would hold connections idle, and a fresh connection per job means a
database that comes back is used at the next retry without any reconnect logic.
"""

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any, Final, cast

import httpx
import psycopg
from pyzeebe import ZeebeTaskRouter

from workers.guarded.process import ANALYSE_RETRIES, TASK_RETRIES, JobType
from workers.postgres.connection import connect
from workers.runtime.metrics import WorkerMetrics
from workers.settings import RolloutControllerSettings
from workers.tasks.rollout_analyse import make_analyse
from workers.tasks.rollout_failures import RolloutTask, make_rollout_exception_handler
from workers.tasks.rollout_notify import make_notify
from workers.tasks.rollout_set_rate import Connector, make_set_rate

#: Zeebe hands a job out again this long after a worker took it and went silent (killed,
#: partitioned). Each job is one short transaction or one webhook call (its own timeout is
#: at most 10 s), so 30 s is ample and a crashed controller is replaced within a look.
ROLLOUT_JOB_TIMEOUT_MS: Final = 30_000
#: Few rollouts run at once; a handful of jobs per activation is plenty.
ROLLOUT_MAX_JOBS: Final = 8


def connector(url: str) -> Connector:
    """A fresh autocommit connection per job, closed afterwards."""

    @contextlib.asynccontextmanager
    async def connection() -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await connect(url)
        async with conn:
            yield conn

    return connection


async def add_rollout_tasks(
    stack: AsyncExitStack,
    *,
    router: ZeebeTaskRouter,
    settings: RolloutControllerSettings,
    database_url: str,
    metrics: WorkerMetrics,
) -> None:
    """Serve the three job types on `router`. `database_url` is the controller's login."""
    connect_to = connector(database_url)
    client: httpx.AsyncClient | None = None
    if settings.webhook_url:
        client = httpx.AsyncClient(timeout=settings.webhook_timeout, follow_redirects=False)
        stack.push_async_callback(client.aclose)
    tasks: tuple[tuple[JobType, RolloutTask, int], ...] = (
        (JobType.SET_RATE, make_set_rate(connect_to), TASK_RETRIES),
        (JobType.ANALYSE, make_analyse(connect_to), ANALYSE_RETRIES),
        (
            JobType.NOTIFY,
            make_notify(webhook_url=settings.webhook_url, client=client),
            TASK_RETRIES,
        ),
    )
    for job_type, task, attempts in tasks:
        router.task(
            job_type,
            exception_handler=make_rollout_exception_handler(attempts=attempts),
            timeout_ms=ROLLOUT_JOB_TIMEOUT_MS,
            max_jobs_to_activate=ROLLOUT_MAX_JOBS,
            max_running_jobs=ROLLOUT_MAX_JOBS,
        )(cast("Callable[..., Any]", metrics.timed(job_type, task)))
