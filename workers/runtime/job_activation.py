"""Job activation that never stops by itself: pollers that keep polling through any error.

pyzeebe's poller survives only four gRPC statuses (UNAVAILABLE, RESOURCE_EXHAUSTED, INTERNAL,
DEADLINE_EXCEEDED). Any other answer to ActivateJobs (UNAUTHENTICATED, PERMISSION_DENIED,
NOT_FOUND, INVALID_ARGUMENT, UNKNOWN) or an error while building the request (protobuf's
ValueError for an out-of-range number) escapes `ZeebeWorker.work()` and cancels the pollers of
every task type: the process stays up, looks ready and activates nothing. The pollers here
catch everything but cancellation:

- each failure waits for the next attempt of an exponential backoff with full jitter (the
  gateway watch paces the outage statuses itself, on the channel);
- `ActivationHealth` logs each kind of failure once when it starts and once when it ends, and
  turns /readyz red while any task cannot fetch jobs;
- the statuses that mean "the gateway is not there" are the gateway watch's to log (one line
  per outage); here they only count for readiness.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import grpc
import structlog
from pyzeebe import ZeebeWorker
from pyzeebe.job.job import Job
from pyzeebe.worker.job_poller import JobPoller, JobStreamer

from workers.backoff import Backoff
from workers.runtime.gateway_watch import OUTAGE_CODES

log = structlog.get_logger(__name__)


def failure_kind(exc: BaseException) -> tuple[str, str, bool]:
    """(kind, detail, is_outage) of an activation error: the gRPC status name when there is
    one (pyzeebe wraps it, sometimes as the cause), else the exception's type name."""
    seen: BaseException | None = exc
    while seen is not None:
        rpc = getattr(seen, "grpc_error", seen)
        if isinstance(rpc, grpc.aio.AioRpcError):
            code = rpc.code()
            return code.name, (rpc.details() or "").strip(), code in OUTAGE_CODES
        seen = seen.__cause__
    return type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "", False


class ActivationHealth:
    """Which task types cannot fetch jobs right now, and why; logs each kind's start and end.

    A kind of failure (UNAUTHENTICATED, ValueError...) is one episode from the first poller
    that meets it until every poller that met it has fetched again.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        #: kind -> (task types failing with it, when the episode began, detail, is_outage)
        self._failing: dict[str, tuple[set[str], float, str, bool]] = {}
        #: Episodes begun so far, per kind (for metrics and tests).
        self.episodes: dict[str, int] = {}

    @property
    def ok(self) -> bool:
        return not self._failing

    def problem(self) -> str | None:
        """One line for /readyz while some task cannot fetch jobs."""
        if not self._failing:
            return None
        parts = [
            f"{kind} for {', '.join(sorted(types))}" + (f": {detail}" if detail else "")
            for kind, (types, _, detail, _) in sorted(self._failing.items())
        ]
        return "cannot activate jobs: " + "; ".join(parts)

    def failed(self, task_type: str, exc: BaseException) -> bool:
        """Record a failed activation; True when it is an outage status (paced on the channel)."""
        kind, detail, outage = failure_kind(exc)
        entry = self._failing.get(kind)
        if entry is None:
            self._failing[kind] = ({task_type}, self._clock(), detail, outage)
            self.episodes[kind] = self.episodes.get(kind, 0) + 1
            if not outage:
                log.error(
                    "cannot activate jobs; retrying with backoff",
                    kind=kind,
                    error=detail,
                    task_type=task_type,
                )
        else:
            entry[0].add(task_type)
        return outage

    def succeeded(self, task_type: str) -> None:
        """An activation call of `task_type` got its answer."""
        for kind in [k for k, (types, *_) in self._failing.items() if task_type in types]:
            types, since, _, outage = self._failing[kind]
            types.discard(task_type)
            if not types:
                del self._failing[kind]
                if not outage:
                    log.info(
                        "job activation works again",
                        kind=kind,
                        failed_for_seconds=round(self._clock() - since, 3),
                    )


class _Pacing:
    """Per-poller backoff after failures that the gateway watch does not pace."""

    def __init__(self, backoff: Backoff) -> None:
        self._backoff = backoff
        self._attempt = 0

    def reset(self) -> None:
        self._attempt = 0

    async def wait(self) -> None:
        self._attempt += 1
        await asyncio.sleep(self._backoff.delay(self._attempt))


async def _take_jobs(
    jobs: AsyncIterator[Job], poller: "ResilientJobPoller | ResilientJobStreamer"
) -> None:
    try:
        async for job in jobs:
            poller.task_state.add(job)
            await poller.queue.put(job)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001  (every error is survived; see the module docstring)
        if poller.health.failed(poller.task.type, exc):
            # An outage status: the gateway watch sleeps before the channel's next call.
            poller.pacing.reset()
        else:
            await poller.pacing.wait()
        return
    poller.health.succeeded(poller.task.type)
    poller.pacing.reset()


class ResilientJobPoller(JobPoller):
    """pyzeebe's long-polling loop, surviving every error (see the module docstring)."""

    def __init__(self, poller: JobPoller, *, health: ActivationHealth, backoff: Backoff) -> None:
        super().__init__(
            zeebe_adapter=poller.zeebe_adapter,
            task=poller.task,
            queue=poller.queue,
            worker_name=poller.worker_name,
            request_timeout=poller.request_timeout,
            task_state=poller.task_state,
            poll_retry_delay=poller.poll_retry_delay,
            tenant_ids=poller.tenant_ids,
        )
        self.health = health
        self.pacing = _Pacing(backoff)

    async def poll_once(self) -> None:
        # The request is built on the first iteration, inside _take_jobs: a protobuf
        # ValueError there is caught like any failed call.
        jobs = self.zeebe_adapter.activate_jobs(
            task_type=self.task.type,
            worker=self.worker_name,
            timeout=self.task.config.timeout_ms,
            max_jobs_to_activate=self.calculate_max_jobs_to_activate(),
            variables_to_fetch=self.task.config.variables_to_fetch or [],
            request_timeout=self.request_timeout,
            tenant_ids=self.tenant_ids,
        )
        await _take_jobs(jobs, self)


class ResilientJobStreamer(JobStreamer):
    """pyzeebe's job stream, reopened after every error (see the module docstring)."""

    def __init__(
        self, streamer: JobStreamer, *, health: ActivationHealth, backoff: Backoff
    ) -> None:
        super().__init__(
            zeebe_adapter=streamer.zeebe_adapter,
            task=streamer.task,
            queue=streamer.queue,
            worker_name=streamer.worker_name,
            stream_request_timeout=streamer.stream_request_timeout,
            task_state=streamer.task_state,
            tenant_ids=streamer.tenant_ids,
        )
        self.health = health
        self.pacing = _Pacing(backoff)

    async def activate_stream(self) -> None:
        jobs = self.zeebe_adapter.stream_activate_jobs(
            task_type=self.task.type,
            worker=self.worker_name,
            timeout=self.task.config.timeout_ms,
            variables_to_fetch=self.task.config.variables_to_fetch or [],
            stream_request_timeout=self.stream_request_timeout,
            tenant_ids=self.tenant_ids,
        )
        await _take_jobs(jobs, self)


#: Pacing after a failure the gateway watch does not pace. The floor keeps a gateway that
#: refuses at once (UNAUTHENTICATED) from being asked in a tight loop.
ACTIVATION_BACKOFF = Backoff(base=1.0, cap=30.0, floor=0.25)


class ResilientZeebeWorker(ZeebeWorker):
    """A `ZeebeWorker` whose pollers and streamers are the resilient ones above.

    pyzeebe builds its pollers in `_init_tasks` (called by `work()`); this replaces each with
    the resilient kind, on the same queue and task state the executors use.
    """

    def __init__(
        self,
        *args: object,
        health: ActivationHealth,
        backoff: Backoff = ACTIVATION_BACKOFF,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.health = health
        self._backoff = backoff

    def _init_tasks(self) -> None:
        super()._init_tasks()
        self._job_pollers = [
            ResilientJobPoller(p, health=self.health, backoff=self._backoff)
            for p in self._job_pollers
        ]
        self._job_streamers = [
            ResilientJobStreamer(s, health=self.health, backoff=self._backoff)
            for s in self._job_streamers
        ]
