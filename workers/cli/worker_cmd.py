"""`canary worker [--tasks choose,v1,v2]`: run the job workers until SIGTERM."""

import argparse
import asyncio
import os
import signal
import socket
from typing import Any

from workers.settings import TASK_NAMES


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run the choose-version and verification workers (all by default)",
        description=(
            "Run job workers against ZEEBE_ADDRESS until SIGTERM. Configuration comes from"
            " flags and environment variables (see the README's table); they are checked at"
            " start. SIGTERM stops activation and gives in-flight jobs CANARY_SHUTDOWN_GRACE."
        ),
    )
    parser.add_argument(
        "--tasks",
        help=f"comma-separated subset of {','.join(TASK_NAMES)} (default: $CANARY_TASKS, else all)",
    )
    parser.add_argument("--http-port", type=int, help="health/metrics port (default 9400)")
    parser.set_defaults(handler=run, long_running=True)


def build_settings(args: argparse.Namespace, environ: dict[str, str]) -> Any:
    """Flags override the environment; every section is validated before anything starts."""
    from workers.settings import ServiceSettings, parse_tasks  # noqa: PLC0415

    if args.tasks is not None:
        parse_tasks(args.tasks, name="--tasks")
        environ["CANARY_TASKS"] = args.tasks
    if args.http_port is not None:
        environ["CANARY_HTTP_PORT"] = str(args.http_port)
    return ServiceSettings.from_env(environ, hostname=socket.gethostname())


async def run(args: argparse.Namespace) -> int:
    from workers.runtime.service import running_service  # noqa: PLC0415

    settings = build_settings(args, dict(os.environ))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with running_service(settings) as service:
            # A job loop or background task that stopped by itself ends the process non-zero,
            # so that the orchestrator restarts it (see runtime.task_watch).
            stopped, died = (
                asyncio.create_task(stop.wait()),
                asyncio.create_task(service.watch.died.wait()),
            )
            await asyncio.wait({stopped, died}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            died.cancel()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 1 if service.watch.died.is_set() else 0
