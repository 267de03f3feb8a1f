"""`canary demo --guarded`: a guarded rollout, offline, that rolls itself back.

Its defaults (workers/cli/demo_cmd.py): 50 instances/s, v1 failing 5 %. v1 fails less than in
the plain demo (25 %) so that v2 at 0 % passes each step's test within its bake and v2 at
90 % fails it within a look or two: with v1 at 25 % the test needed more looks than a 3 s bake
gave, and v2 broken at 50 % was promoted in one of two runs.

The same embedded parts as `canary demo` (dev engine, VerifyMeNow stand-in, Postgres, the real
workers) plus the rollout controller (the `rollout` task group, in this process) and the
guarded-rollout process. Instances keep arriving while the rollout ramps 10 % -> 25 % -> 50 %
-> 100 % with one look a second and a bake of a few seconds. When it reaches 25 %
(`BREAK_AT_STEP`), the stand-in's v2 starts failing: the live view shows the controller's
next looks say "rollback" and the rate drop to 0, on its own. The run ends with `canary
report`'s report. The demo steers nothing: it starts the rollout, breaks v2 and watches.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Final

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from workers.demo.database import DemoDatabase
from workers.demo.run import (
    ROLLOUT,
    DemoOptions,
    DemoParts,
    demo_session,
    print_report,
    set_rate,
    start_parts,
)
from workers.demo.view import versions_table
from workers.guarded.plan import RolloutPlan, plan_rollout
from workers.guarded.process import Message, StepKey
from workers.operate.camunda_rest import CamundaApiError
from workers.operate.guarded_rollout_view import rollout_view
from workers.operate.guarded_rollouts import (
    RolloutState,
    find_instance,
    make_publisher,
    read_state,
)
from workers.operate.load import start_instances
from workers.operate.status import Status, collect_status
from workers.postgres import rollout_store
from workers.postgres.connection import connect
from workers.routing import format_rate
from workers.settings import DEFAULT_TASKS

#: Bake compressed to seconds: a look every second, each step bakes at least 4 looks.
STEPS: Final = "10%,25%,50%,100%"
INTERVAL: Final = "1s"
BAKE: Final = "4s"
#: Per version per step before a promotion: at 50 instances/s, 10 % gives v2 five a second.
MIN_ATTEMPTS: Final = 15
#: v2 starts failing when the rollout reaches this step (1-based): 25 %. The controller
#: rolled back 1.7-2.9 s after the break in three runs; breaking there leaves it the 25 %
#: and the 50 % steps (8 s of looks, the evidence carried over) on a loaded machine.
BREAK_AT_STEP: Final = 2
#: v2's HTTP 503 share from then on.
BROKEN_V2_ERROR_RATE: Final = 0.9
#: The rollout gets this long; it needs about 15 s.
ROLLOUT_TIMEOUT: Final = 120.0
REFRESH_SECONDS: Final = 0.25


@dataclass(slots=True)
class GuardedResult:
    started: int = 0
    interrupted: bool = False
    timed_out: bool = False
    elapsed: float = 0.0
    #: How the rollout ended: promoted, rolled-back or aborted; None if it had not.
    outcome: str | None = None
    #: (seconds into the run, what happened), shown under the live view and at the end.
    events: list[tuple[float, str]] = field(default_factory=list)
    status: Status | None = None
    state: RolloutState | None = None


def guarded_plan() -> RolloutPlan:
    return plan_rollout(
        rollout=ROLLOUT, steps=STEPS, interval=INTERVAL, bake=BAKE, min_attempts=MIN_ATTEMPTS
    )


def guarded_view(result: GuardedResult, *, rate: float) -> RenderableType:
    parts: list[RenderableType] = [versions_table(result.status, started=result.started)]
    parts.append(
        Text(f"rate {format_rate(rate)} to v2   started {result.started}   {result.elapsed:.1f} s")
    )
    if result.state is not None:
        parts.append(rollout_view(result.state))
    else:
        parts.append(Text("guarded rollout: waiting for Camunda to show it"))
    parts.extend(Text(f"{at:5.1f} s  {what}", style="bold") for at, what in result.events)
    return Group(*parts)


async def _rate_now(url: str) -> float:
    async with await connect(url) as conn:
        return (await rollout_store.get_rollout(conn, ROLLOUT)).rate


async def _state(parts: DemoParts, rate: float) -> RolloutState | None:
    instance = await find_instance(parts.rest, ROLLOUT)
    if instance is None:
        return None
    return await read_state(parts.rest, ROLLOUT, instance, rate=rate)


def _step_number(state: RolloutState | None) -> int:
    number = (state.step or {}).get(StepKey.NUMBER) if state is not None else None
    return number if isinstance(number, int) else 0


async def run_guarded_demo(options: DemoOptions, console: Console) -> GuardedResult:
    result = GuardedResult()
    began = time.monotonic()
    async with demo_session(options) as (stop, database):
        await set_rate(database.url, 0.0, "canary demo --guarded: before the rollout")
        # Everything that runs stops here, so the recorder's last batch is written before
        # the report reads the database.
        async with contextlib.AsyncExitStack() as stack:
            await _run(stack, options=options, console=console, database=database, stop=stop,
                       result=result, began=began)  # fmt: skip
        result.elapsed = time.monotonic() - began
        if not result.interrupted:
            console.line()  # the live view's last line ends without one
            await print_report(database, console)
        _print_summary(result, console, database)
    return result


async def _run(
    stack: contextlib.AsyncExitStack,
    *,
    options: DemoOptions,
    console: Console,
    database: DemoDatabase,
    stop: asyncio.Event,
    result: GuardedResult,
    began: float,
) -> None:
    tasks = frozenset({*DEFAULT_TASKS, "rollout"})
    parts = await start_parts(
        stack, options=options, console=console, database=database, tasks=tasks
    )

    def note(what: str) -> None:
        result.events.append((time.monotonic() - began, what))

    def on_started(_key: int, _variables: object) -> None:
        result.started += 1

    # Instances keep coming until the rollout has ended (`stop` ends the load).
    load = asyncio.create_task(
        start_instances(
            parts.client,
            count=10**9,
            per_second=options.per_second,
            seed=options.seed,
            prefix="DEMO",
            on_started=on_started,
            stop=stop,
        )
    )
    plan = guarded_plan()
    publish = make_publisher(parts.client, address=parts.engine.grpc_address)
    await publish(Message.START, ROLLOUT, plan.start_variables())
    note(f"started guarded rollout {plan.describe()}")
    broken = False
    deadline = time.monotonic() + ROLLOUT_TIMEOUT
    with Live(console=console, refresh_per_second=8, redirect_stderr=True) as live:
        while True:
            result.elapsed = time.monotonic() - began
            rate = await _rate_now(database.url)
            with contextlib.suppress(CamundaApiError):
                result.status = await collect_status(
                    parts.rest, rollout=ROLLOUT, rate=rate, strategy="sticky"
                )
                result.state = await _state(parts, rate)
            if not broken and _step_number(result.state) >= BREAK_AT_STEP:
                parts.stub.provider.update_config({"v2": {"error_rate": BROKEN_V2_ERROR_RATE}})
                broken = True
                note(f"v2 starts failing: the stand-in now answers {BROKEN_V2_ERROR_RATE:.0%}"
                     " of v2 calls with HTTP 503")  # fmt: skip
            live.update(guarded_view(result, rate=rate))
            if stop.is_set():
                result.interrupted = True
                break
            if result.state is not None and not result.state.running:
                result.outcome = result.state.outcome
                note(f"the rollout ended: {result.outcome}; rate now {format_rate(rate)}")
                live.update(guarded_view(result, rate=rate))
                break
            if time.monotonic() > deadline:
                result.timed_out = True
                break
            await asyncio.sleep(REFRESH_SECONDS)
    stop.set()  # ends the load generator
    result.started = (await load).started


def _print_summary(result: GuardedResult, console: Console, database: DemoDatabase) -> None:
    console.rule("summary")
    if result.interrupted:
        console.print(f"stopped by you after {result.elapsed:.1f} s: {result.started} started")
        return
    if result.timed_out:
        console.print(f"the rollout had not ended after {ROLLOUT_TIMEOUT:g} s")
        return
    console.print(
        f"{result.started} instances in {result.elapsed:.1f} s; the guarded rollout ended"
        f" {result.outcome}. Its rate changes, by the controller (rollout:<process instance"
        f" key>): canary rate history {ROLLOUT} --database-url {database.url}"
    )
