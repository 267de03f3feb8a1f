"""`canary demo`: the whole story on one machine with nothing configured.

It starts the dev engine (a Zeebe gateway double: a test and demo tool, not Camunda), the
VerifyMeNow stand-in (v1 flaky, v2 healthy by default) and finds or starts Postgres; migrates,
sets the rate, deploys the real model and runs the real workers (`service.running_service`),
starts instances, shows per-version progress live (from the same REST endpoints `canary
status` reads) and ends with `canary report`'s report. With a ramp it raises the rate at even
steps of the run so the share visibly moves. Ctrl-C stops everything cleanly.
"""

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from pyzeebe import ZeebeClient
from rich.console import Console
from rich.live import Live
from zeebe_devengine import DevEngine

from workers.demo.database import DEMO_DATABASE, DemoDatabase, demo_database
from workers.demo.stub.config import StubConfig
from workers.demo.stub.server import VerifyMeNowStub
from workers.demo.view import finished_count, print_summary, progress_view
from workers.operate.camunda_rest import CamundaApiError, CamundaRestClient
from workers.operate.deploy import NEVER_GIVE_UP, default_files, deploy
from workers.operate.load import start_instances
from workers.operate.report import build_report, render_report
from workers.operate.status import Status, collect_status
from workers.postgres import rollout_store
from workers.postgres.connection import connect
from workers.postgres.migrations import migrate
from workers.runtime.service import running_service
from workers.runtime.zeebe_connection import create_channel
from workers.settings import (
    DEFAULT_ROLLOUT,
    DEFAULT_TASKS,
    CamundaRestSettings,
    DatabaseSettings,
    RecorderSettings,
    RoutingSettings,
    ServiceSettings,
    VerifyMeNowSettings,
    WorkerSettings,
    ZeebeSettings,
    camunda_rest_address,
)
from workers.shutdown import stop_on_signals

ROLLOUT = DEFAULT_ROLLOUT
REFRESH_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class DemoOptions:
    instances: int = 500
    rate: float = 0.2
    #: Rates for equal parts of the run, in order; when given, `rate` is not used.
    ramp: Sequence[float] = ()
    per_second: float = 100.0
    v1_error_rate: float = 0.25
    v2_error_rate: float = 0.0
    rejection_rate: float = 0.05
    unreadable_rate: float = 0.03
    seed: int | None = None
    grpc_port: int = 0
    rest_port: int = 0
    stub_port: int = 0
    database_url: str | None = None
    #: The database the demo (re)creates on that server.
    database_name: str = DEMO_DATABASE
    #: The whole run may take at most this long once every instance was started.
    settle_timeout: float = 120.0


@dataclass(slots=True)
class DemoResult:
    started: int = 0
    finished: int = 0
    interrupted: bool = False
    timed_out: bool = False
    elapsed: float = 0.0
    rates: list[tuple[int, float]] = field(default_factory=list)
    status: Status | None = None


def stub_config(options: DemoOptions) -> StubConfig:
    # Latencies low enough that 500 instances finish fast, high enough to show up in p95.
    return StubConfig().updated(
        {
            "seed": options.seed,
            "v1": {
                "error_rate": options.v1_error_rate,
                "rejection_rate": options.rejection_rate,
                "unreadable_rate": options.unreadable_rate,
                "latency_median_ms": 25,
                "latency_p95_ms": 90,
            },
            "v2": {
                "error_rate": options.v2_error_rate,
                "rejection_rate": options.rejection_rate,
                "unreadable_rate": options.unreadable_rate,
                "latency_median_ms": 15,
                "latency_p95_ms": 50,
            },
        }
    )


def service_settings(
    engine: DevEngine,
    stub: VerifyMeNowStub,
    database: DemoDatabase,
    tasks: frozenset[str] = frozenset(DEFAULT_TASKS),
) -> ServiceSettings:
    """The real workers' settings, tuned for a short local run (the defaults otherwise)."""
    return ServiceSettings(
        worker=WorkerSettings(
            name="canary-demo",
            http_host="127.0.0.1",
            http_port=0,
            shutdown_grace=3.0,
            tasks=tasks,
        ),
        zeebe=ZeebeSettings(address=engine.grpc_address),
        database=DatabaseSettings(url=database.url),
        routing=RoutingSettings(refresh_interval=5.0),
        recorder=RecorderSettings(flush_interval=0.2),
        verifymenow=VerifyMeNowSettings(v1_url=stub.url, v2_url=stub.url, request_timeout=2.0),
    )


async def set_rate(url: str, rate: float, reason: str) -> None:
    async with await connect(url) as conn:
        await rollout_store.set_rate(conn, ROLLOUT, rate=rate, actor="canary demo", reason=reason)


def ramp_points(options: DemoOptions) -> list[tuple[int, float]]:
    """(instances started, rate) pairs. A ramp splits the run into equal parts, one per step,
    starting with its first rate; without one the whole run uses `rate`."""
    steps = list(options.ramp) or [options.rate]
    return [
        (math.floor(options.instances * index / len(steps)), rate)
        for index, rate in enumerate(steps)
    ]


@contextlib.asynccontextmanager
async def demo_session(options: DemoOptions) -> AsyncIterator[tuple[asyncio.Event, DemoDatabase]]:
    """Ctrl-C handling (the event is set on a signal) and the demo's migrated database."""
    async with (
        stop_on_signals() as stop,
        demo_database(options.database_url, name=options.database_name) as database,
    ):
        async with await connect(database.url) as conn:
            await migrate(conn)
        yield stop, database


async def print_report(database: DemoDatabase, console: Console) -> None:
    """`canary report`'s report of everything the run recorded."""
    async with await connect(database.url) as conn:
        report = await build_report(conn, ROLLOUT, since=None)
    console.rule(f"canary report {ROLLOUT}")
    render_report(report, console)


async def run_demo(options: DemoOptions, console: Console) -> DemoResult:
    result = DemoResult()
    began = time.monotonic()
    async with demo_session(options) as (stop, database):
        points = ramp_points(options)
        await set_rate(database.url, points[0][1], "canary demo: initial rate")
        result.rates.append(points[0])
        # Everything that runs stops here, so the recorder's last batch is written before
        # the report reads the database.
        async with contextlib.AsyncExitStack() as stack:
            await _run(
                stack,
                options=options,
                console=console,
                database=database,
                points=points,
                stop=stop,
                result=result,
                began=began,
            )
        result.elapsed = time.monotonic() - began
        if not result.interrupted:
            await print_report(database, console)
        print_summary(result, console, database)
    return result


@dataclass(frozen=True, slots=True)
class DemoParts:
    """What the demo runs, started and ready: the stand-in, the engine, clients of both APIs."""

    stub: VerifyMeNowStub
    engine: DevEngine
    client: ZeebeClient
    rest: CamundaRestClient


async def start_parts(
    stack: contextlib.AsyncExitStack,
    *,
    options: DemoOptions,
    console: Console,
    database: DemoDatabase,
    tasks: frozenset[str] = frozenset(DEFAULT_TASKS),
) -> DemoParts:
    """Start the stand-in, the engine and the workers (`tasks`), deploy the models; `stack`
    stops them."""
    stub = await stack.enter_async_context(
        VerifyMeNowStub(stub_config(options), host="127.0.0.1", port=options.stub_port)
    )
    engine = await stack.enter_async_context(
        DevEngine(port=options.grpc_port, rest_port=options.rest_port)
    )
    console.print(
        f"[bold]canary demo[/]: dev engine {engine.grpc_address} (REST {engine.rest_url}), "
        f"VerifyMeNow stand-in {stub.url}, Postgres: {database.origin}"
    )
    channel = create_channel(ZeebeSettings(address=engine.grpc_address))
    stack.push_async_callback(channel.close)
    client = ZeebeClient(channel, max_connection_retries=NEVER_GIVE_UP)
    deployed = await deploy(client, default_files(), address=engine.grpc_address)
    console.print("  deployed " + ", ".join(f"{d.resource_id} v{d.version}" for d in deployed))
    console.print(
        f"  watch from another terminal: canary status --rest-address {engine.rest_url}"
        f" --database-url {database.url}"
    )
    settings = service_settings(engine, stub, database, tasks)
    await stack.enter_async_context(running_service(settings))
    rest_settings = CamundaRestSettings(address=camunda_rest_address(engine.rest_url or ""))
    rest = await stack.enter_async_context(CamundaRestClient(rest_settings))
    return DemoParts(stub=stub, engine=engine, client=client, rest=rest)


async def _run(
    stack: contextlib.AsyncExitStack,
    *,
    options: DemoOptions,
    console: Console,
    database: DemoDatabase,
    points: list[tuple[int, float]],
    stop: asyncio.Event,
    result: DemoResult,
    began: float,
) -> None:
    parts = await start_parts(stack, options=options, console=console, database=database)
    client, rest = parts.client, parts.rest

    def on_started(_key: int, _variables: object) -> None:
        result.started += 1

    load = asyncio.create_task(
        start_instances(
            client,
            count=options.instances,
            per_second=options.per_second,
            seed=options.seed,
            prefix="DEMO",
            on_started=on_started,
            stop=stop,
        )
    )
    pending = list(points[1:])
    rate = points[0][1]
    settle_deadline: float | None = None
    with Live(console=console, refresh_per_second=8, redirect_stderr=True) as live:
        while True:
            result.elapsed = time.monotonic() - began
            while pending and result.started >= pending[0][0]:
                at, rate = pending.pop(0)
                await set_rate(database.url, rate, f"canary demo: ramp step at {at} instances")
                result.rates.append((at, rate))
            with contextlib.suppress(CamundaApiError):
                result.status = await collect_status(
                    rest, rollout=ROLLOUT, rate=rate, strategy="sticky"
                )
            result.finished = finished_count(result.status)
            live.update(
                progress_view(
                    result.status,
                    started=result.started,
                    instances=options.instances,
                    rate=rate,
                    elapsed=result.elapsed,
                )
            )
            if stop.is_set():
                result.interrupted = True
                break
            if load.done():
                settle_deadline = settle_deadline or time.monotonic() + options.settle_timeout
                if result.finished >= result.started or time.monotonic() > settle_deadline:
                    result.timed_out = result.finished < result.started
                    break
            await asyncio.sleep(REFRESH_SECONDS)
    stop.set()  # ends the load generator if it is still starting instances
    result.started = (await load).started
