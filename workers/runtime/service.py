"""`canary worker`: the long-running worker process, from start to graceful exit.

One function owns every resource's lifecycle (STYLE.md): the gRPC channel and its gateway
watch, the rollout cache, the outcome recorder, the VerifyMeNow clients, the pyzeebe worker and
the health/metrics server. The selected tasks (choose, v1, v2) run in this one process, so
each can also be its own container.

Shutdown: when `stop` is set (SIGTERM/SIGINT in the CLI), /readyz turns 503, activation stops
and in-flight jobs get `shutdown_grace` seconds to finish; then the process exits 0. A job that
did not finish is not lost: Zeebe re-activates it when its job timeout passes.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from pyzeebe import ZeebeTaskRouter, ZeebeWorker
from pyzeebe.proto.gateway_pb2 import TopologyRequest
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from workers import process
from workers.errors import ConfigError
from workers.postgres.recorder import OutcomeRecorder, RecorderMetrics
from workers.postgres.rollout_cache import RolloutCache
from workers.routing import Version
from workers.runtime.gateway_watch import GatewayWatch
from workers.runtime.health_server import HealthServer
from workers.runtime.metrics import FanOutSink, MetricsSink, WorkerMetrics
from workers.runtime.zeebe_connection import create_channel
from workers.settings import ServiceSettings
from workers.tasks.choose_version import make_choose_version, register_choose_version
from workers.tasks.verify_identity import make_verify_task, register_verify_task
from workers.verifymenow.v1 import VerifyMeNowV1
from workers.verifymenow.v2 import VerifyMeNowV2

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class RunningService:
    """Handles a running service exposes (tests and the demo look at them)."""

    health: HealthServer
    metrics: WorkerMetrics
    gateway: GatewayWatch
    cache: RolloutCache | None
    recorder: OutcomeRecorder
    worker: ZeebeWorker


@contextlib.asynccontextmanager
async def running_service(settings: ServiceSettings) -> AsyncIterator[RunningService]:
    """Start the worker service; on exit stop it gracefully (see the module docstring)."""
    tasks = settings.worker.tasks
    async with AsyncExitStack() as stack:
        gateway = GatewayWatch()
        channel = create_channel(settings.zeebe, watch=gateway)
        stack.push_async_callback(channel.close)

        metrics = WorkerMetrics()
        recorder = OutcomeRecorder(
            settings.database.url,
            settings=settings.recorder,
            default_rollout=settings.routing.rollout,
        )
        metrics.registry.register(RecorderMetrics(recorder))
        await recorder.start()
        # Registered before the worker stops (LIFO), so the records of in-flight jobs that
        # finish during the grace period are still written.
        stack.push_async_callback(recorder.stop)
        sink = FanOutSink(MetricsSink(metrics), recorder)

        router = ZeebeTaskRouter()
        cache = None
        if "choose" in tasks:
            cache = await stack.enter_async_context(
                RolloutCache(
                    settings.database.url,
                    max_age=settings.routing.max_config_age,
                    refresh_interval=settings.routing.refresh_interval,
                    fallback_version=settings.routing.fallback_version,
                )
            )
            if not await cache.wait_loaded(settings.worker.startup_wait):
                log.warning(
                    "no rollout config yet; choose-version answers the fallback until it loads",
                    version=settings.routing.fallback_version,
                )
            choose = make_choose_version(
                cache,
                default_rollout=settings.routing.rollout,
                subject_variable=settings.routing.subject_variable,
                sink=sink,
            )
            register_choose_version(
                router,
                metrics.timed(process.CHOOSE_VERSION, choose),
                subject_variable=settings.routing.subject_variable,
                max_jobs=settings.worker.max_jobs,
            )
        for version, name in ((1, "v1"), (2, "v2")):
            if name in tasks:
                await _add_verify_task(
                    stack,
                    router=router,
                    settings=settings,
                    metrics=metrics,
                    sink=sink,
                    version=version,  # type: ignore[arg-type]
                )
        metrics.watch(cache=cache, gateway=gateway)

        worker = ZeebeWorker(
            channel,
            name=settings.worker.name,
            # Never give up: outages are paced and logged by the GatewayWatch instead.
            max_connection_retries=-1,
            # Seconds the poller pauses while a task runs its maximum of jobs (pyzeebe: 5).
            poll_retry_delay=1,
            stream_enabled=settings.worker.job_streaming,
            tenant_ids=list(settings.zeebe.worker_tenant_ids) or None,
        )
        worker.include_router(router)

        health = HealthServer(
            host=settings.worker.http_host,
            port=settings.worker.http_port,
            registry=metrics.registry,
            checks=_readiness_checks(channel, cache, recorder),
        )
        await health.start()
        stack.push_async_callback(health.stop)

        work = asyncio.create_task(worker.work(), name="zeebe-worker")
        log.info(
            "worker started",
            tasks=sorted(tasks),
            gateway=settings.zeebe.address,
            http_port=health.port,
            worker=settings.worker.name,
        )
        running = RunningService(health, metrics, gateway, cache, recorder, worker)
        try:
            yield running
        finally:
            health.stopping = True
            await _stop_worker(worker, work, grace=settings.worker.shutdown_grace)


async def _add_verify_task(
    stack: AsyncExitStack,
    *,
    router: ZeebeTaskRouter,
    settings: ServiceSettings,
    metrics: WorkerMetrics,
    sink: FanOutSink,
    version: Version,
) -> None:
    client: VerifyMeNowV1 | VerifyMeNowV2
    if version == 1:
        client = VerifyMeNowV1.from_settings(settings.verifymenow)
    else:
        client = VerifyMeNowV2.from_settings(settings.verifymenow)
    stack.push_async_callback(client.aclose)
    task = make_verify_task(client, version=version, sink=sink)
    job_timeout = settings.worker.verify_job_timeout
    try:
        register_verify_task(
            router,
            metrics.timed(process.verify_task(version), task),
            version=version,
            request_timeout=settings.verifymenow.request_timeout,
            timeout_ms=None if job_timeout is None else round(job_timeout * 1000),
            max_jobs=settings.worker.max_jobs,
        )
    except ValueError as exc:
        # The job timeout must leave room for the HTTP call: say which settings clash.
        msg = f"CANARY_VERIFY_JOB_TIMEOUT vs VERIFYMENOW_TIMEOUT: {exc}"
        raise ConfigError(msg) from None


def _readiness_checks(
    channel: grpc.aio.Channel, cache: RolloutCache | None, recorder: OutcomeRecorder
) -> dict[str, Any]:
    # A raw stub, not pyzeebe's client: pyzeebe's adapter closes the channel after ten
    # failed calls, and readiness probes fail for as long as an outage lasts.
    gateway = GatewayStub(channel)

    async def zeebe() -> tuple[bool, str]:
        try:
            topology = await gateway.Topology(TopologyRequest(), timeout=2)
        except grpc.aio.AioRpcError as error:
            return False, f"{error.code().name}: {error.details()}"
        return True, f"gateway {topology.gatewayVersion}, {len(topology.brokers)} broker(s)"

    async def postgres() -> tuple[bool, str]:
        if cache is not None:
            health = cache.health()
            if not health.connected:
                return False, health.last_error or "rollout store not connected yet"
        stats = recorder.stats()
        if not stats.connected and stats.flush_failures:
            return False, "the outcome recorder cannot write to Postgres"
        return True, "reachable"

    return {"zeebe": zeebe, "postgres": postgres}


async def _stop_worker(worker: ZeebeWorker, work: asyncio.Task[None], *, grace: float) -> None:
    log.info("stopping: no new jobs; waiting for in-flight jobs", grace_seconds=grace)
    try:
        await asyncio.wait_for(worker.stop(), grace)
    except TimeoutError:
        log.warning(
            "grace period over with jobs still running; Zeebe re-activates them after their"
            " job timeout",
            grace_seconds=grace,
        )
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    log.info("worker stopped")
