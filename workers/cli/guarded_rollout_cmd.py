"""`canary rollout start|status|approve|pause|resume|abort|promote|list`: guarded rollouts.

The arguments and their checks are `guarded_rollout_args`; this module runs them. Every
action checks its input (`checked`) and the rollout's state before it sends anything, so bad
input or an action the rollout cannot take now is one line and changes nothing.

- `start` refuses an unknown rollout (Postgres), an undeployed model and a rollout that is
  already running (Camunda REST); then publishes the start message (correlation key: the
  name, so Zeebe's one-instance-per-key rule is the second guard against a racing start).
- `status` reads Camunda over REST and the current rate from Postgres; `--wait` and
  `--watch` follow it to its end. Its exit code says how the rollout ended (0 promoted or
  still running, `EXIT_ROLLED_BACK`, `EXIT_ABORTED`), so a pipeline can gate on `--wait`.
- `approve` completes the open approval through Tasklist's API (REST user-task completion).
- `pause`, `resume`, `abort`, `promote --full` publish the model's messages, in any state of a
  running rollout that takes them (`guarded_rollouts.send_control`).
"""

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from workers.cli.common import actor, database_url, print_json, print_table
from workers.cli.guarded_rollout_args import EXIT_ABORTED, EXIT_CODES, EXIT_PROMOTED, checked

if TYPE_CHECKING:
    from workers.operate.camunda_rest import CamundaRestClient
    from workers.operate.guarded_rollouts import Publish, RolloutState

#: How often `status --wait` and `--watch` read the rollout again.
POLL_SECONDS: Final = 2.0
#: How long `start` waits to see its instance in Camunda's search (secondary storage lags).
START_VISIBLE_SECONDS: Final = 10.0


@dataclass(frozen=True, slots=True)
class RolloutStartArgs:
    """`canary rollout start`, as parsed."""

    name: str
    steps: str
    interval: str
    bake: str
    approve_before: str | None
    min_attempts: int
    max_failure_ratio: float
    #: None: the routing rollout's own.
    baseline_version: int | None
    canary_version: int | None
    dry_run: bool
    json: bool
    address: str | None
    rest_address: str | None
    database_url: str | None


@dataclass(frozen=True, slots=True)
class RolloutStatusArgs:
    """`canary rollout status`, as parsed."""

    name: str
    watch: bool
    wait: bool
    json: bool
    rest_address: str | None
    database_url: str | None


@dataclass(frozen=True, slots=True)
class RolloutApproveArgs:
    """`canary rollout approve`, as parsed."""

    name: str
    by: str | None
    rest_address: str | None


@dataclass(frozen=True, slots=True)
class RolloutSignalArgs:
    """`canary rollout pause|resume`, as parsed."""

    name: str
    address: str | None
    rest_address: str | None


@dataclass(frozen=True, slots=True)
class RolloutAbortArgs:
    """`canary rollout abort`, as parsed."""

    name: str
    reason: str
    address: str | None
    rest_address: str | None


@dataclass(frozen=True, slots=True)
class RolloutPromoteArgs:
    """`canary rollout promote`, as parsed."""

    name: str
    full: bool
    address: str | None
    rest_address: str | None


@dataclass(frozen=True, slots=True)
class RolloutListArgs:
    """`canary rollout list`, as parsed."""

    json: bool
    rest_address: str | None


def _rest(environ: Mapping[str, str], address: str | None) -> "CamundaRestClient":
    from workers.operate.camunda_rest import CamundaRestClient  # noqa: PLC0415
    from workers.settings import CamundaRestSettings  # noqa: PLC0415

    return CamundaRestClient(CamundaRestSettings.from_env(environ, address=address or None))


@contextlib.asynccontextmanager
async def _publisher(environ: Mapping[str, str], address: str | None) -> AsyncIterator["Publish"]:
    from pyzeebe import ZeebeClient  # noqa: PLC0415

    from workers.operate.deploy import NEVER_GIVE_UP  # noqa: PLC0415
    from workers.operate.guarded_rollouts import make_publisher  # noqa: PLC0415
    from workers.runtime.zeebe_connection import create_channel  # noqa: PLC0415
    from workers.settings import ZeebeSettings  # noqa: PLC0415

    settings = ZeebeSettings.from_env(environ, address=address or None)
    channel = create_channel(settings)
    try:
        client = ZeebeClient(channel, max_connection_retries=NEVER_GIVE_UP)
        yield make_publisher(client, address=settings.address, tenant_id=settings.tenant_id)
    finally:
        await channel.close()


async def _rate(url: str, name: str) -> float | None:
    """The rollout's rate now, or None when Postgres cannot say (status goes on without)."""
    from workers.errors import CanaryError  # noqa: PLC0415
    from workers.postgres.connection import connect  # noqa: PLC0415
    from workers.postgres.rollout_store import get_rollout  # noqa: PLC0415

    try:
        async with await connect(url) as conn:
            return (await get_rollout(conn, name)).rate
    except CanaryError:
        return None


async def start(args: RolloutStartArgs, environ: Mapping[str, str]) -> int:
    from workers.errors import InputError  # noqa: PLC0415
    from workers.guarded.process import PROCESS_ID, Message  # noqa: PLC0415
    from workers.operate.guarded_rollouts import find_instance  # noqa: PLC0415
    from workers.postgres.connection import connect  # noqa: PLC0415
    from workers.postgres.rollout_store import (  # noqa: PLC0415
        check_versions_change,
        get_rollout,
    )

    plan = checked(args, "start").plan
    assert plan is not None  # noqa: S101 - `checked` plans every start
    name = plan.rollout
    async with await connect(database_url(args.database_url, environ)) as conn:
        # An unknown rollout: one line naming the known ones. A new pair mid-canary: one line
        # now, rather than an incident on the first `set rate` (which writes the pair).
        current = await get_rollout(conn, name)
        if args.baseline_version is None or args.canary_version is None:
            # Omitted versions are the rollout's own: after 2 -> 3, a start without flags
            # must not quietly route back to 1 and 2.
            given = (args.baseline_version, args.canary_version)
            baseline, canary = (
                own if flag is None else flag
                for flag, own in zip(given, current.versions, strict=True)
            )
            args = dataclasses.replace(args, baseline_version=baseline, canary_version=canary)
            plan = checked(args, "start").plan
            assert plan is not None  # noqa: S101 - as above
        check_versions_change(current, plan.versions)
    async with _rest(environ, args.rest_address) as rest:
        if not await rest.process_definitions(PROCESS_ID):
            raise InputError(f"the {PROCESS_ID} process is not deployed: run `canary deploy`")
        running = await find_instance(rest, name, running_only=True)
        if running is not None:
            raise InputError(
                f"guarded rollout {name!r} is already running (process instance"
                f" {running.key}); abort it or wait for it to end"
            )
        async with _publisher(environ, args.address) as publish:
            await publish(Message.START, name, plan.start_variables())
        instance = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(START_VISIBLE_SECONDS):
                while instance is None:
                    instance = await find_instance(rest, name, running_only=True)
                    if instance is None:
                        await asyncio.sleep(0.2)
    key = instance.key if instance is not None else None
    if args.json:
        print_json({"rollout": name, "processInstanceKey": key, "plan": plan.start_variables()})
    else:
        where = f" (process instance {key})" if key else "; not visible in Camunda's search yet"
        print(f"started guarded rollout {plan.describe()}{where}")
    return 0


def exit_code(state: "RolloutState") -> int:
    """0 while running or once promoted; rolled back and aborted (or canceled) are not 0."""
    if state.running:
        return EXIT_PROMOTED
    end = state.end
    return EXIT_CODES[end] if end is not None else EXIT_ABORTED


async def status(args: RolloutStatusArgs, environ: Mapping[str, str]) -> int:
    from rich.console import Console  # noqa: PLC0415

    from workers.operate.camunda_rest import CamundaUnavailableError  # noqa: PLC0415
    from workers.operate.guarded_rollout_view import rollout_view, watch_rollout  # noqa: PLC0415
    from workers.operate.guarded_rollouts import (  # noqa: PLC0415
        read_state,
        require_instance,
        same_instance,
    )

    checked(args, "status")
    url = database_url(args.database_url, environ)
    async with _rest(environ, args.rest_address) as rest:
        instance = await require_instance(rest, args.name)

        async def fetch() -> "RolloutState":
            current = await require_instance(rest, args.name)
            return await read_state(rest, args.name, current, rate=await _rate(url, args.name))

        if args.watch:
            state = await watch_rollout(fetch, console=Console(), interval=POLL_SECONDS)
        elif args.wait:
            state = await read_state(rest, args.name, instance)
            while state.running:
                await asyncio.sleep(POLL_SECONDS)
                # A pipeline gating on --wait outlives a Camunda restart: retry, not fail.
                with contextlib.suppress(CamundaUnavailableError):
                    # The instance's own state says when it ended: read it again each time.
                    instance = await same_instance(rest, args.name, instance)
                    state = await read_state(rest, args.name, instance)
            state = await fetch()
        else:
            state = await fetch()
    if args.json:
        print_json(state.to_json())
    elif not args.watch:
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)
        console.print(rollout_view(state))
    return exit_code(state)


async def approve(args: RolloutApproveArgs, environ: Mapping[str, str]) -> int:
    from workers.operate import guarded_rollouts  # noqa: PLC0415

    checked(args, "approve")
    async with _rest(environ, args.rest_address) as rest:
        state = await guarded_rollouts.approve(rest, args.name, by=actor(args.by, environ))
    step = state.step or {}
    after = "it stays paused until resumed" if state.paused else "it goes on"
    print(f"{args.name}: approved step {step.get('number', '?')}; {after}")
    return 0


async def _control(
    args: "RolloutSignalArgs | RolloutAbortArgs | RolloutPromoteArgs",
    action_name: str,
    environ: Mapping[str, str],
) -> int:
    """Publish the action's message once the rollout can take it (`send_control`)."""
    from workers.guarded.process import Variable  # noqa: PLC0415
    from workers.operate.guarded_rollouts import send_control  # noqa: PLC0415

    action = checked(args, action_name)
    assert action.message is not None  # noqa: S101 - each of these actions sends one
    variables: dict[str, Any] = {Variable.ABORT_REASON: action.reason} if action.reason else {}
    async with (
        _rest(environ, args.rest_address) as rest,
        _publisher(environ, args.address) as publish,
    ):
        await send_control(rest, publish, args.name, action.message, variables)
    print(f"{args.name}: {action_name} sent")
    return 0


async def pause(args: RolloutSignalArgs, environ: Mapping[str, str]) -> int:
    return await _control(args, "pause", environ)


async def resume(args: RolloutSignalArgs, environ: Mapping[str, str]) -> int:
    return await _control(args, "resume", environ)


async def abort(args: RolloutAbortArgs, environ: Mapping[str, str]) -> int:
    return await _control(args, "abort", environ)


async def promote(args: RolloutPromoteArgs, environ: Mapping[str, str]) -> int:
    return await _control(args, "promote", environ)


async def list_all(args: RolloutListArgs, environ: Mapping[str, str]) -> int:
    from workers.operate.guarded_rollouts import list_rollouts  # noqa: PLC0415

    async with _rest(environ, args.rest_address) as rest:
        found = await list_rollouts(rest)
    rows = [
        {
            "rollout": r.name,
            "processInstanceKey": r.instance.key,
            "outcome": r.outcome,
            "incident": r.instance.has_incident,
            "startDate": r.instance.start_date,
            "endDate": r.instance.end_date,
        }
        for r in found
    ]
    if args.json:
        print_json(rows)
    else:
        headers = ["rollout", "process instance", "outcome", "incident", "started", "ended"]
        print_table("guarded rollouts (newest first)", headers, [list(r.values()) for r in rows])
    return 0


#: action -> (handler, its arguments dataclass).
HANDLERS: Final[dict[str, tuple[Any, type]]] = {
    "start": (start, RolloutStartArgs),
    "status": (status, RolloutStatusArgs),
    "approve": (approve, RolloutApproveArgs),
    "pause": (pause, RolloutSignalArgs),
    "resume": (resume, RolloutSignalArgs),
    "abort": (abort, RolloutAbortArgs),
    "promote": (promote, RolloutPromoteArgs),
    "list": (list_all, RolloutListArgs),
}
