"""How a verify task's job ends when it does not complete: FailJob and ThrowError, our way.

pyzeebe's `JobController.set_failure_status` always sends the activated job's ``retries - 1``:
it cannot say "no retries left" for a job that still has some, which is exactly what a bad
input or a provider's 4xx needs (an incident now, on that task). Rather than reach into the
controller's private gateway adapter, the verify tasks end their jobs through this adapter,
which we own: typed requests (pyzeebe ships `gateway_pb2.pyi`) on the worker's own channel.

    JobGatewayError            a call the gateway did not carry out
     └── JobGoneError          the job is no longer active (timed out, cancelled): nothing to do
"""

import json
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol, cast

import grpc
from pyzeebe.proto.gateway_pb2 import FailJobRequest, ThrowErrorRequest
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from workers.errors import CanaryError

if TYPE_CHECKING:
    from pyzeebe.proto.gateway_pb2_grpc import GatewayAsyncStub

#: The gateway's answers for a job that is no longer there to fail or to throw on.
_GONE = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION})


def gateway_stub(channel: grpc.aio.Channel) -> "GatewayAsyncStub":
    """The gateway's stub on an asyncio channel, typed by pyzeebe's generated stubs
    (`GatewayAsyncStub` exists in the stubs only: at run time `GatewayStub` serves both)."""
    return cast("GatewayAsyncStub", GatewayStub(channel))


class JobGatewayError(CanaryError):
    """The gateway did not carry out a FailJob or ThrowError call."""


class JobGoneError(JobGatewayError):
    """The job is no longer active: another worker has it, or its instance was cancelled."""


class JobEnding(Protocol):
    """What a verdict needs from the gateway (pyzeebe's adapter has the same shape)."""

    async def fail_job(
        self,
        job_key: int,
        retries: int,
        message: str,
        retry_back_off_ms: int,
        variables: dict[str, Any],
    ) -> object: ...

    async def throw_error(
        self, job_key: int, message: str, variables: dict[str, Any], error_code: str = ""
    ) -> object: ...


class GatewayJobEnding:
    """`JobEnding` over the Zeebe gateway's gRPC API, on a channel the caller owns."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = gateway_stub(channel)

    async def fail_job(
        self,
        job_key: int,
        retries: int,
        message: str,
        retry_back_off_ms: int,
        variables: dict[str, Any],
    ) -> None:
        request = FailJobRequest(
            jobKey=job_key,
            retries=retries,
            errorMessage=message,
            retryBackOff=retry_back_off_ms,
            variables=json.dumps(variables),
        )
        await _sent("FailJob", job_key, self._stub.FailJob(request))

    async def throw_error(
        self, job_key: int, message: str, variables: dict[str, Any], error_code: str = ""
    ) -> None:
        request = ThrowErrorRequest(
            jobKey=job_key,
            errorCode=error_code,
            errorMessage=message,
            variables=json.dumps(variables),
        )
        await _sent("ThrowError", job_key, self._stub.ThrowError(request))


async def _sent(call: str, job_key: int, response: Awaitable[object]) -> None:
    """Await the call; gRPC errors become ours, with the gateway's one-line details."""
    try:
        await response
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        if code in _GONE:
            msg = f"{call} for job {job_key}: the job is no longer active"
            raise JobGoneError(msg) from None
        # The gateway's details describe the call, never the job's variables.
        msg = f"{call} for job {job_key} failed: {code.name} {exc.details() or ''}"
        raise JobGatewayError(msg) from None
