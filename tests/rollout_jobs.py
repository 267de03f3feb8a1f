"""Jobs of the guarded-rollout process for tests, and a connection factory for its tasks."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import psycopg
from pyzeebe import Job

from workers.guarded import process
from workers.guarded.plan import plan_rollout
from workers.postgres.connection import connect

PROCESS_INSTANCE_KEY = 2251799813690001


def rollout_job(
    element: process.Element,
    variables: dict[str, Any],
    *,
    retries: int = 3,
    pik: int = PROCESS_INSTANCE_KEY,
) -> Job:
    """A job of `element` as Zeebe would hand it out, headers from the model's contract."""
    job_type, header, value = process.SERVICE_TASKS[element]
    return Job(
        key=2251799813690100,
        type=job_type,
        process_instance_key=pik,
        bpmn_process_id=process.PROCESS_ID,
        process_definition_version=1,
        process_definition_key=2251799813690000,
        element_id=element,
        element_instance_key=2251799813690200,
        custom_headers={header: value} if header else {},
        worker="test",
        retries=retries,
        deadline=0,
        variables=variables,
    )


def started_variables(rollout: str = "verifymenow", **plan: Any) -> dict[str, Any]:
    """The variables right after the start message: a plan's, nothing else yet."""
    return plan_rollout(rollout=rollout, **plan).start_variables()


def in_step(variables: dict[str, Any], number: int) -> dict[str, Any]:
    """`variables` as seen inside the loop's `number`-th step (the multi-instance element)."""
    return variables | {process.Variable.STEP: variables[process.Variable.STEPS][number - 1]}


def connector(
    url: str,
) -> Callable[[], AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]]:
    """A fresh autocommit connection per use, closed afterwards."""

    @asynccontextmanager
    async def connection() -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await connect(url)
        try:
            yield conn
        finally:
            await conn.close()

    return connection
