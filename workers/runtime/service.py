"""`canary worker`: the long-running worker process, from start to graceful exit.

One function owns every resource's lifecycle (STYLE.md): the gRPC channel and its gateway
watch, the rollout cache, the outcome recorder, the VerifyMeNow clients, the pyzeebe worker and
the health/metrics server. The selected tasks (choose, v1, v2) run in this one process, so
each can also be its own container.

Shutdown: when `stop` is set (SIGTERM/SIGINT in the CLI), /readyz turns 503, activation stops
and in-flight jobs get `shutdown_grace` seconds to finish; then the process exits 0. A job that
did not finish is abandoned untouched (`in_flight`: no FailJob, no outcome row), and not lost:
Zeebe re-activates it when its job timeout passes.

Nothing runs silently broken: activation survives every error (`job_activation`) and /readyz
is red while a task cannot fetch jobs; if the job loop or a background task stops anyway,
`RunningService.watch.died` is set and `canary worker` exits non-zero (`task_watch`).
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from psycopg.conninfo import conninfo_to_dict
from pyzeebe import ZeebeTaskRouter, ZeebeWorker
from pyzeebe.proto.gateway_pb2 import TopologyRequest, TopologyResponse

from workers import process
from workers.errors import ConfigError
from workers.log_secrets import add_secrets
from workers.postgres.connection import check_database_url
from workers.postgres.recorder import OutcomeRecorder, RecorderMetrics, RecorderStats
from workers.postgres.rollout_cache import RolloutCache
from workers.routing import DEFAULT_BASELINE, Version
from workers.runtime.gateway_watch import GatewayWatch
from workers.runtime.health_server import HealthServer
from workers.runtime.in_flight import InFlightJobs
from workers.runtime.job_activation import ActivationHealth, ResilientZeebeWorker
from workers.runtime.metrics import FanOutSink, MetricsSink, WorkerMetrics
from workers.runtime.rollout_tasks import add_rollout_tasks
from workers.runtime.task_watch import TaskWatch
from workers.runtime.zeebe_connection import create_channel
from workers.settings import ServiceSettings
from workers.tasks.choose_version import make_choose_version, register_choose_version
from workers.tasks.job_gateway import GatewayJobEnding, JobEnding, gateway_stub
from workers.tasks.verify_identity import make_verify_task, register_verify_task
from workers.verifymenow.v1 import VerifyMeNowV1
from workers.verifymenow.v2 import VerifyMeNowV2

log = structlog.get_logger(__name__)

#: A recorder write running longer than this has hung (a batch commits in milliseconds).
WRITE_STALL_SECONDS = 5.0


@dataclass(slots=True)
class RunningService:
    """Handles a running service exposes (tests and the demo look at them)."""

    health: HealthServer
    metrics: WorkerMetrics
    gateway: GatewayWatch
    cache: RolloutCache | None
    recorder: OutcomeRecorder
    worker: ZeebeWorker
    #: Which task types cannot fetch jobs right now.
    activation: ActivationHealth
    #: `watch.died` is set when the job loop or a background task stopped by itself.
    watch: TaskWatch


@contextlib.asynccontextmanager
async def running_service(settings: ServiceSettings) -> AsyncIterator[RunningService]:
    """Start the worker service; on exit stop it gracefully (see the module docstring)."""
    tasks = settings.worker.tasks
    # First of all: a malformed DATABASE_URL is one line with its password masked, before the
    # cache and recorder tasks would die on it (issue 16, item 3).
    _check_database_urls(settings)
    add_secrets(*_secrets_of(settings))
    async with AsyncExitStack() as stack:
        watch = TaskWatch()
        metrics = WorkerMetrics()
        health = await _start_health(stack, settings, metrics)

        gateway = GatewayWatch()
        channel = create_channel(settings.zeebe, watch=gateway)
        stack.push_async_callback(channel.close)

        recorder = OutcomeRecorder(
            settings.database.url,
            settings=settings.recorder,
            default_rollout=settings.routing.rollout,
        )
        metrics.registry.register(RecorderMetrics(recorder))
        await recorder.start()
        if recorder.task is not None:
            watch.watch(recorder.task, "outcome recorder")
        # Registered before the worker stops (LIFO), so the records of in-flight jobs that
        # finish during the grace period are still written.
        stack.push_async_callback(recorder.stop)
        sink = FanOutSink(MetricsSink(metrics), recorder)

        router = ZeebeTaskRouter()
        # Failed verify jobs end through our own typed calls on the worker's channel.
        jobs = GatewayJobEnding(channel)
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
            if cache.task is not None:
                watch.watch(cache.task, "rollout cache")
            if not await cache.wait_loaded(settings.worker.startup_wait):
                log.warning(
                    "no rollout config yet; choose-version answers the fallback until it loads",
                    version=settings.routing.fallback_version or DEFAULT_BASELINE,
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
                    jobs=jobs,
                    settings=settings,
                    metrics=metrics,
                    sink=sink,
                    version=version,
                )
        if "rollout" in tasks:
            await add_rollout_tasks(
                stack,
                router=router,
                settings=settings.rollout,
                database_url=settings.rollout.database_url or settings.database.url,
                metrics=metrics,
            )
        metrics.watch(cache=cache, gateway=gateway)

        activation = ActivationHealth()
        in_flight = InFlightJobs()
        worker = ResilientZeebeWorker(
            channel,
            health=activation,
            before=[in_flight.before],
            name=settings.worker.name,
            # Never give up: outages are paced and logged by the GatewayWatch instead.
            max_connection_retries=-1,
            # Seconds the poller pauses while a task runs its maximum of jobs (pyzeebe: 5).
            poll_retry_delay=1,
            stream_enabled=settings.worker.job_streaming,
            tenant_ids=list(settings.zeebe.worker_tenant_ids) or None,
        )
        worker.include_router(router)

        health.checks = _readiness_checks(channel, cache, recorder, activation, watch)

        work = asyncio.create_task(worker.work(), name="zeebe-worker")
        watch.watch(work, "job loop")
        log.info(
            "worker started",
            tasks=sorted(tasks),
            gateway=settings.zeebe.address,
            http_port=health.port,
            worker=settings.worker.name,
        )
        running = RunningService(
            health, metrics, gateway, cache, recorder, worker, activation, watch
        )
        try:
            yield running
        finally:
            watch.stopping()
            health.stopping = True
            await _stop_worker(worker, work, in_flight, grace=settings.worker.shutdown_grace)


async def _start_health(
    stack: AsyncExitStack, settings: ServiceSettings, metrics: WorkerMetrics
) -> HealthServer:
    """Serve /healthz, /readyz ("starting" until the service replaces the checks), /metrics.

    First, before anything connects: a port already in use is one line at once, not a
    traceback after Postgres and the gateway were reached.
    """
    health = HealthServer(
        host=settings.worker.http_host,
        port=settings.worker.http_port,
        registry=metrics.registry,
        checks={"startup": _starting},
    )
    try:
        await health.start()
    except OSError as exc:
        where = f"{settings.worker.http_host}:{settings.worker.http_port}"
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        msg = f"CANARY_HTTP_PORT: cannot listen on {where}: {reason}"
        raise ConfigError(msg) from None
    stack.push_async_callback(health.stop)
    return health


def _check_database_urls(settings: ServiceSettings) -> None:
    check_database_url(settings.database.url)
    if "rollout" in settings.worker.tasks and settings.rollout.database_url:
        check_database_url(settings.rollout.database_url, name="CANARY_ROLLOUT_DATABASE_URL")


async def _starting() -> tuple[bool, str]:
    return False, "starting"


def _secrets_of(settings: ServiceSettings) -> list[str | None]:
    """The secret values the settings hold; logs mask them wherever they appear."""
    urls = [settings.database.url, settings.rollout.database_url]
    passwords = [str(conninfo_to_dict(url).get("password") or "") for url in urls if url]
    auth = settings.zeebe.auth
    secrets = [auth.client_secret, auth.password, settings.verifymenow.api_key]
    # Webhook URLs (Slack, Teams) carry their secret in the path: the whole URL is one.
    return [*secrets, settings.rollout.webhook_url, *passwords]


async def _add_verify_task(
    stack: AsyncExitStack,
    *,
    router: ZeebeTaskRouter,
    jobs: JobEnding,
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
            jobs=jobs,
            request_timeout=settings.verifymenow.request_timeout,
            timeout_ms=None if job_timeout is None else round(job_timeout * 1000),
            max_jobs=settings.worker.max_jobs,
        )
    except ValueError as exc:
        # The job timeout must leave room for the HTTP call: say which settings clash.
        msg = f"CANARY_VERIFY_JOB_TIMEOUT vs VERIFYMENOW_TIMEOUT: {exc}"
        raise ConfigError(msg) from None


def _readiness_checks(
    channel: grpc.aio.Channel,
    cache: RolloutCache | None,
    recorder: OutcomeRecorder,
    activation: ActivationHealth,
    watch: TaskWatch,
) -> dict[str, Any]:
    # A raw stub, not pyzeebe's client: pyzeebe's adapter closes the channel after ten
    # failed calls, and readiness probes fail for as long as an outage lasts.
    gateway = gateway_stub(channel)

    async def zeebe() -> tuple[bool, str]:
        problem = activation.problem()
        if problem is not None:
            return False, problem
        try:
            topology: TopologyResponse = await gateway.Topology(TopologyRequest(), timeout=2)
        except grpc.aio.AioRpcError as error:
            return False, f"{error.code().name}: {error.details()}"
        return True, f"gateway {topology.gatewayVersion}, {len(topology.brokers)} broker(s)"

    async def postgres() -> tuple[bool, str]:
        if cache is not None:
            health = cache.health()
            if not health.connected:
                return False, health.last_error or "rollout store not connected yet"
        problem = _recorder_problem(recorder.stats())
        if problem is not None:
            return False, problem
        return True, "reachable"

    async def tasks() -> tuple[bool, str]:
        problem = watch.problem()
        return (False, problem) if problem is not None else (True, "running")

    return {"zeebe": zeebe, "postgres": postgres, "tasks": tasks}


def _recorder_problem(stats: RecorderStats) -> str | None:
    if not stats.connected and stats.flush_failures:
        return "the outcome recorder cannot write to Postgres"
    if stats.full:
        return "the outcome recorder's buffer is full: new records are dropped"
    if stats.writing_seconds > WRITE_STALL_SECONDS:
        return f"a write to Postgres has hung for {stats.writing_seconds:.0f} s"
    return None


async def _stop_worker(
    worker: ZeebeWorker, work: asyncio.Task[None], in_flight: InFlightJobs, *, grace: float
) -> None:
    log.info("stopping: no new jobs; waiting for in-flight jobs", grace_seconds=grace)
    try:
        await asyncio.wait_for(worker.stop(), grace)
    except TimeoutError:
        # Before the HTTP clients close under them (the exit stack does that next): a job
        # failing on a closed client would send FailJob and record a false failure.
        abandoned = await in_flight.abandon()
        log.warning(
            "grace period over; running jobs left untouched for Zeebe to hand out again"
            " after their job timeout",
            grace_seconds=grace,
            abandoned_jobs=abandoned,
        )
    work.cancel()
    # A job loop that died was logged by the task watch when it did.
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await work
    log.info("worker stopped")
