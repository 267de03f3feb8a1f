"""How the workers live through Zeebe gateway outages: an interceptor on the channel.

pyzeebe alone does not survive a long outage: its retry counter never resets, so after
`max_connection_retries` errors the worker closes its channel and silently stops polling, and
its poller retries on a fixed 5 s sleep. We run pyzeebe with unlimited retries and put a
`GatewayWatch` interceptor on the channel instead:

- every ActivateJobs call's outcome tells the watch whether the gateway is up (UNAVAILABLE,
  INTERNAL, DEADLINE_EXCEEDED and UNKNOWN count as down; any answer counts as up); the
  pollers make that call all the time, and watching only it keeps the per-job path free of
  interceptor cost (CompleteJob and job streams pass straight through);
- while it is down, job activation waits for the next attempt of an exponential backoff with
  full jitter (on top of pyzeebe's 5 s), so a fleet of workers does not hammer a restarting
  gateway in lockstep;
- each outage is logged once when it starts and once, with its duration, when it ends.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import structlog

from workers.backoff import Backoff

log = structlog.get_logger(__name__)

#: Status codes that mean "the gateway is not there (or not itself)", not "your request is bad".
OUTAGE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNKNOWN,
    }
)
#: The call that tells us whether the gateway is there, and is paced during an outage:
#: every worker's pollers make it continually, and nothing else needs pacing.
_WATCHED_METHOD = b"ActivateJobs"


class GatewayWatch:
    """Tracks whether the gateway answers; paces reconnect attempts while it does not."""

    def __init__(
        self,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._backoff = backoff or Backoff(base=1.0, cap=10.0)
        self._clock = clock
        self._down_since: float | None = None
        self._failures = 0
        self._next_attempt = 0.0
        self.outages = 0
        self.last_error: str | None = None

    @property
    def up(self) -> bool:
        return self._down_since is None

    def outage_seconds(self) -> float:
        return 0.0 if self._down_since is None else self._clock() - self._down_since

    def failed(self, code: grpc.StatusCode, details: str | None) -> None:
        now = self._clock()
        self.last_error = f"{code.name}: {details or ''}".strip()
        if self._down_since is None:
            self._down_since = now
            self._failures = 0
            self.outages += 1
            log.warning(
                "zeebe gateway unreachable; reconnecting with backoff", error=self.last_error
            )
        elif now < self._next_attempt:
            # Another poller failing within the same attempt window: not a new attempt.
            return
        self._failures += 1
        self._next_attempt = now + self._backoff.delay(self._failures)

    def now(self) -> float:
        return self._clock()

    def succeeded(self, *, started_at: float) -> None:
        """A call that started at `started_at` got an answer."""
        if self._down_since is not None:
            if started_at < self._down_since:
                # A call from before the outage (a long poll answered as the gateway shut
                # down) says nothing about the gateway being back.
                return
            log.info(
                "zeebe gateway reachable again",
                outage_seconds=round(self._clock() - self._down_since, 3),
                attempts=self._failures,
            )
            self._down_since = None
            self._failures = 0
            self.last_error = None

    async def wait_for_attempt(self) -> None:
        """During an outage, sleep until the backoff allows the next attempt."""
        if self._down_since is not None:
            delay = self._next_attempt - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)

    def observe(self, error: grpc.aio.AioRpcError, *, started_at: float) -> None:
        if error.code() in OUTAGE_CODES:
            self.failed(error.code(), error.details())
        elif error.code() is not grpc.StatusCode.CANCELLED:
            # NOT_FOUND, INVALID_ARGUMENT...: the gateway answered, so it is up.
            self.succeeded(started_at=started_at)


class _UnaryStreamWatch(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    def __init__(self, watch: GatewayWatch) -> None:
        self._watch = watch

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: Any, request: Any
    ) -> AsyncIterator[Any]:
        method = client_call_details.method
        name = method.rsplit(b"/", 1)[-1] if isinstance(method, bytes) else method.encode()
        if name != _WATCHED_METHOD:
            # Job streams pass straight through: wrapping them would cost per streamed job,
            # and the pollers' ActivateJobs calls run beside them all the time anyway.
            return await continuation(client_call_details, request)  # type: ignore[no-any-return]
        await self._watch.wait_for_attempt()
        started_at = self._watch.now()
        call = await continuation(client_call_details, request)
        return self._responses(call, started_at)

    async def _responses(self, call: Any, started_at: float) -> AsyncIterator[Any]:
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as error:
            self._watch.observe(error, started_at=started_at)
            raise
        self._watch.succeeded(started_at=started_at)


def interceptors(watch: GatewayWatch) -> list[grpc.aio.ClientInterceptor]:
    return [_UnaryStreamWatch(watch)]
