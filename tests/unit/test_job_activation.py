"""Job activation survives every error, logs each kind once, and says when it cannot fetch."""

import asyncio
from typing import Any

import grpc
import pytest
from pyzeebe import ZeebeTaskRouter
from pyzeebe.errors import ActivateJobsRequestInvalidError, UnknownGrpcStatusCodeError
from structlog.testing import capture_logs

from workers.backoff import Backoff
from workers.runtime.job_activation import (
    ActivationHealth,
    ResilientJobPoller,
    ResilientZeebeWorker,
    failure_kind,
)

NO_WAIT = Backoff(base=0.0, cap=0.0, floor=0.0)


def rpc_error(code: grpc.StatusCode, details: str = "nope") -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


def test_the_kind_of_a_failure_is_its_grpc_status_however_pyzeebe_wraps_it():
    direct = rpc_error(grpc.StatusCode.UNAUTHENTICATED, "bad token")
    wrapped = UnknownGrpcStatusCodeError(rpc_error(grpc.StatusCode.PERMISSION_DENIED))
    invalid = ActivateJobsRequestInvalidError("t", "w", 1, 1)
    invalid.__cause__ = rpc_error(grpc.StatusCode.INVALID_ARGUMENT)
    assert failure_kind(direct) == ("UNAUTHENTICATED", "bad token", False)
    assert failure_kind(wrapped)[0] == "PERMISSION_DENIED"
    assert failure_kind(invalid)[0] == "INVALID_ARGUMENT"
    assert failure_kind(rpc_error(grpc.StatusCode.UNAVAILABLE))[2] is True
    assert failure_kind(ValueError("Value out of range: 5000000000")) == (
        "ValueError",
        "Value out of range: 5000000000",
        False,
    )


def test_each_kind_is_logged_once_when_it_starts_and_once_when_it_ends():
    health = ActivationHealth(clock=lambda: 0.0)
    with capture_logs() as logs:
        for _ in range(5):
            health.failed("a", rpc_error(grpc.StatusCode.UNAUTHENTICATED))
            health.failed("b", rpc_error(grpc.StatusCode.UNAUTHENTICATED))
        assert not health.ok
        health.succeeded("a")
        assert not health.ok  # b still cannot fetch
        health.succeeded("b")
        health.succeeded("b")
    assert health.ok
    assert [(e["event"], e.get("kind")) for e in logs] == [
        ("cannot activate jobs; retrying with backoff", "UNAUTHENTICATED"),
        ("job activation works again", "UNAUTHENTICATED"),
    ]
    assert health.episodes == {"UNAUTHENTICATED": 1}


def test_readiness_names_the_status_and_the_task_types():
    health = ActivationHealth()
    assert health.problem() is None
    health.failed("verify-identity-v2", rpc_error(grpc.StatusCode.PERMISSION_DENIED, "no"))
    assert health.problem() == (
        "cannot activate jobs: PERMISSION_DENIED for verify-identity-v2: no"
    )


def test_outage_statuses_count_for_readiness_but_are_the_gateway_watchs_to_log():
    health = ActivationHealth()
    with capture_logs() as logs:
        assert health.failed("a", rpc_error(grpc.StatusCode.UNAVAILABLE)) is True
        assert not health.ok
        health.succeeded("a")
    assert logs == []


class FlakyAdapter:
    """A job adapter whose ActivateJobs fails with each of `errors`, then returns a job."""

    connected = True
    retrying_connection = False

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.calls = 0

    async def activate_jobs(self, **_: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        yield "job"


async def test_the_poller_survives_every_error_and_fetches_again():
    router = ZeebeTaskRouter()

    @router.task("t")  # type: ignore[arg-type]
    async def task() -> dict[str, Any]:
        return {}

    errors: list[BaseException] = [
        ValueError("Value out of range: 5000000000"),
        rpc_error(grpc.StatusCode.UNAUTHENTICATED),
        UnknownGrpcStatusCodeError(rpc_error(grpc.StatusCode.NOT_FOUND)),
        rpc_error(grpc.StatusCode.UNAVAILABLE),
    ]
    adapter = FlakyAdapter(list(errors))
    worker = ResilientZeebeWorker(
        grpc.aio.insecure_channel("127.0.0.1:1"), health=ActivationHealth(), backoff=NO_WAIT
    )
    worker.include_router(router)
    worker._init_tasks()
    [poller] = worker._job_pollers
    assert isinstance(poller, ResilientJobPoller)
    poller.zeebe_adapter = adapter  # type: ignore[assignment]
    poller.task_state.add = lambda _job: None  # type: ignore[method-assign,assignment]
    for _ in range(len(errors) + 1):
        await poller.poll_once()
    assert adapter.calls == len(errors) + 1
    assert poller.queue.get_nowait() == "job"
    assert worker.health.ok
    await worker.zeebe_adapter._channel.close()


async def test_cancellation_is_not_swallowed():
    class Hanging(FlakyAdapter):
        async def activate_jobs(self, **_: Any) -> Any:
            await asyncio.sleep(3600)
            yield "never"

    router = ZeebeTaskRouter()

    @router.task("t")  # type: ignore[arg-type]
    async def task() -> dict[str, Any]:
        return {}

    worker = ResilientZeebeWorker(
        grpc.aio.insecure_channel("127.0.0.1:1"), health=ActivationHealth(), backoff=NO_WAIT
    )
    worker.include_router(router)
    worker._init_tasks()
    [poller] = worker._job_pollers
    poller.zeebe_adapter = Hanging([])  # type: ignore[assignment]
    polling = asyncio.create_task(poller.poll_once())
    await asyncio.sleep(0)
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling
    await worker.zeebe_adapter._channel.close()
