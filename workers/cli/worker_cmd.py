"""`canary worker [--tasks choose,v1,v2,rollout]`: run the job workers until SIGTERM."""

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workers.settings import DEFAULT_TASKS, TASK_NAMES
from workers.shutdown import stop_on_signals

if TYPE_CHECKING:
    import argparse


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run the choose-version and verification workers, or the rollout controller",
        description=(
            "Run job workers against ZEEBE_ADDRESS until SIGTERM. Configuration comes from"
            " flags and environment variables (see the README's table); they are checked at"
            " start. SIGTERM stops activation and gives in-flight jobs CANARY_SHUTDOWN_GRACE."
        ),
    )
    parser.add_argument(
        "--tasks",
        help=(
            f"comma-separated subset of {','.join(TASK_NAMES)} (default: $CANARY_TASKS, else"
            f" {','.join(DEFAULT_TASKS)}; `rollout` is the guarded-rollout controller)"
        ),
    )
    parser.add_argument("--http-port", type=int, help="health/metrics port (default 9400)")
    parser.set_defaults(handler=run, arguments=WorkerArgs, long_running=True)


def build_settings(args: "WorkerArgs", environ: Mapping[str, str]) -> Any:
    """Flags override the environment; every section is validated before anything starts."""
    from workers.settings import ServiceSettings, WorkerSettings  # noqa: PLC0415

    worker = WorkerSettings.from_env(
        environ, hostname=socket.gethostname(), tasks=args.tasks, http_port=args.http_port
    )
    return ServiceSettings.from_env(environ, worker=worker)


@dataclass(frozen=True, slots=True)
class WorkerArgs:
    """`canary worker`, as parsed."""

    tasks: str | None
    http_port: int | None


async def run(args: WorkerArgs, environ: Mapping[str, str]) -> int:
    # Settings first: a bad flag or variable is refused before pyzeebe, gRPC and the rest of
    # the runtime are imported (over 1 s on a busy machine).
    settings = build_settings(args, environ)

    import structlog  # noqa: PLC0415

    from workers.runtime.service import running_service  # noqa: PLC0415

    async with stop_on_signals() as stop, contextlib.AsyncExitStack() as stack:
        # Start-up (connecting, waiting for the rollout config) races SIGTERM: a signal
        # during it unwinds what was started and exits 0 instead of being ignored.
        starting = asyncio.create_task(stack.enter_async_context(running_service(settings)))
        if not await _first(starting, stop.wait()):
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            structlog.get_logger(__name__).info("stopped during start-up")
            return 0
        service = starting.result()
        # A job loop or background task that stopped by itself ends the process
        # non-zero, so that the orchestrator restarts it (see runtime.task_watch).
        await _first(stop.wait(), service.watch.died.wait())
        return 1 if service.watch.died.is_set() else 0


async def _first(first: Awaitable[Any], *others: Awaitable[Any]) -> bool:
    """Wait until any of the awaitables is done; True when `first` was. The rest are
    cancelled (`first` is left alone: the caller cancels or reads it)."""
    tasks = [asyncio.ensure_future(a) for a in (first, *others)]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks[1:]:
        task.cancel()
    return tasks[0].done()
