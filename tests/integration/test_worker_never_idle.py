# The fake gateway serves only the calls these tests need (grpc answers UNIMPLEMENTED for
# the rest), so mypy sees it as abstract.
# mypy: disable-error-code="abstract"
"""Issue 16, items 1 and 3: a `canary worker` process never goes silently idle.

Each test runs the real command against a gateway or database made to fail: a fake gateway
answering the chosen status to ActivateJobs, a malformed DATABASE_URL, a dead background task.
"""

import asyncio
import functools

import grpc
import pytest
from fake_gateway import FakeGateway
from worker_process import WorkerProcess

pytestmark = [pytest.mark.postgres]

#: Statuses pyzeebe's poller did not survive: one of them used to stop every task's poller.
REFUSALS = (
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT,
)


def _at_least(gateway: FakeGateway, status: grpc.StatusCode, calls: int) -> bool:
    return gateway.count(status) >= calls


async def test_the_worker_keeps_polling_through_refusals_and_readyz_says_so(database_url):
    """Every refusal: polling goes on with backoff, /readyz is red naming the status, the kind
    is logged once and its recovery once; after all that SIGTERM still ends it with 0."""
    gateway = await FakeGateway().start()
    env = {"ZEEBE_ADDRESS": gateway.address, "DATABASE_URL": database_url}
    try:
        async with WorkerProcess("--tasks", "v1,v2", env=env) as worker:
            await worker.wait_for(lambda: worker.events("worker started"))
            for status in REFUSALS:
                gateway.status = status
                gateway.release()

                async def red(status: grpc.StatusCode = status) -> bool:
                    code, body = await worker.readyz()
                    return code == 503 and status.name in body["checks"]["zeebe"]["detail"]

                await worker.wait_for(red)
                seen = gateway.count(status)
                # Still polling: both tasks keep asking while refused.
                await worker.wait_for(functools.partial(_at_least, gateway, status, seen + 3))
                gateway.status = None

                async def green() -> bool:
                    return (await worker.readyz())[0] == 200

                await worker.wait_for(green)
            assert await worker.stop() == 0
    finally:
        await gateway.stop()
    failures = worker.events("cannot activate jobs; retrying with backoff")
    assert sorted(line["kind"] for line in failures) == sorted(s.name for s in REFUSALS)
    recoveries = worker.events("job activation works again")
    assert sorted(line["kind"] for line in recoveries) == sorted(s.name for s in REFUSALS)


async def test_a_gateway_answering_unknown_is_an_outage_logged_once(database_url):
    gateway = await FakeGateway().start()
    gateway.status = grpc.StatusCode.UNKNOWN
    env = {"ZEEBE_ADDRESS": gateway.address, "DATABASE_URL": database_url}
    try:
        async with WorkerProcess("--tasks", "v1", env=env) as worker:
            await worker.wait_for(lambda: gateway.count(grpc.StatusCode.UNKNOWN) >= 3)
            code, body = await worker.readyz()
            assert code == 503
            assert "UNKNOWN" in body["checks"]["zeebe"]["detail"]
            gateway.status = None
            await worker.wait_for(lambda: worker.events("zeebe gateway reachable again"))
            assert await worker.stop() == 0
    finally:
        await gateway.stop()
    assert len(worker.events("zeebe gateway unreachable; reconnecting with backoff")) == 1


async def test_a_malformed_database_url_is_refused_at_start_with_the_password_masked():
    gateway = await FakeGateway().start()
    env = {
        "ZEEBE_ADDRESS": gateway.address,
        "DATABASE_URL": "postgresql://canary:pa55-w0rd%zz@db.internal/canary",
    }
    try:
        async with WorkerProcess(env=env) as worker:
            code = await worker.exit_code()
    finally:
        await gateway.stop()
    assert code == 1
    assert worker.lines == [
        (
            "canary: error: DATABASE_URL postgresql://canary:***@db.internal/canary is not a valid"
            ' connection string: invalid percent-encoded token: "***"'
        )
    ]


@pytest.mark.parametrize(
    ("target", "task"),
    [
        ("workers.postgres.recorder.OutcomeRecorder._run", "outcome recorder"),
        ("workers.postgres.rollout_cache.RolloutCache._follow", "rollout cache"),
        ("workers.runtime.job_activation.ResilientZeebeWorker.work", "job loop"),
    ],
)
async def test_a_background_task_that_stops_ends_the_worker_non_zero(database_url, target, task):
    """A bug that ends the job loop or a background task: the worker process logs which one
    and exits 1 (the orchestrator restarts it) instead of running on idle."""
    gateway = await FakeGateway().start()
    env = {
        "ZEEBE_ADDRESS": gateway.address,
        "DATABASE_URL": database_url,
        "CANARY_STARTUP_WAIT": "0.1s",
    }
    try:
        async with WorkerProcess("--tasks", "choose,v1", env=env, broken=target) as worker:
            code = await worker.exit_code(timeout=60)
    finally:
        await gateway.stop()
    assert code == 1
    [stopped] = worker.events("a background task stopped; the worker exits so that it is restarted")
    assert stopped["task"] == task
    assert stopped["error"] == "RuntimeError: a bug"


async def test_sigterm_right_after_start_ends_the_worker_with_zero(database_url):
    gateway = await FakeGateway().start()
    env = {"ZEEBE_ADDRESS": gateway.address, "DATABASE_URL": database_url}
    try:
        async with WorkerProcess("--tasks", "choose,v1", env=env) as worker:
            await worker.wait_for(lambda: worker.events("worker started"))
            await asyncio.sleep(0)
            assert await worker.stop() == 0
    finally:
        await gateway.stop()
