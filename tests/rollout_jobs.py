"""Jobs of the guarded-rollout process for tests, a connection factory for its tasks, seeded
outcomes and a webhook receiver."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from aiohttp import web
from pyzeebe import Job
from support.local_http import serving

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


OUTCOME_COLUMNS = (
    "recorded_at, rollout, process_instance_key, job_key, version, outcome, latency_ms,"
    " error_code, retries"
)
#: Every seeded attempt has a job key of its own: the counters count a (job key, retries) once.
_job_keys = itertools.count(5000)


async def seed(
    db: psycopg.AsyncConnection[Any],
    *,
    version: int,
    attempts: int,
    failures: int = 0,
    incidents: int = 0,
    at: datetime,
    latency_ms: float = 100.0,
    rollout: str = "verifymenow",
) -> None:
    """`attempts` outcomes of `version` at `at`: `incidents` incidents, then transient failures."""
    rows = []
    for i in range(attempts):
        outcome = (
            "incident" if i < incidents else "transient_failure" if i < failures else "verified"
        )
        key = next(_job_keys)
        rows.append((at, rollout, 1000 + i, key, version, outcome, latency_ms, None, 3))
    async with (
        db.cursor() as cur,
        cur.copy(f"COPY canary.outcomes ({OUTCOME_COLUMNS}) FROM STDIN") as copy,
    ):
        for row in rows:
            await copy.write_row(row)


class Webhook:
    """A webhook receiver on 127.0.0.1, port 0; answers `status` (or hangs, for timeouts)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.hang = False
        self.release = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(json.loads(await request.text()))
        if self.hang:
            await self.release.wait()
        return web.Response(status=self.status, text="ok")

    def events(self) -> list[str]:
        return [str(body.get("event")) for body in self.received]


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Webhook]:
    hook = Webhook()
    app = web.Application()
    app.router.add_post("/hooks/secret-token", hook.handle)
    async with serving(app) as port:
        hook.url = f"http://127.0.0.1:{port}/hooks/secret-token"
        try:
            yield hook
        finally:
            hook.release.set()  # before the server stops: let a hanging handler answer
