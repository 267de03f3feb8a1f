"""`canary dev-engine`: run the in-memory Zeebe gateway double in the foreground."""

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

from workers.cli.dev_engine_extra import dev_engine_required, engine_errors_as_input
from workers.errors import InputError


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        msg = f"{text!r} is not a port number"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 <= port <= 65535:
        msg = f"{port} is not a port number (0-65535; 0 picks a free port)"
        raise argparse.ArgumentTypeError(msg)
    return port


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"{text!r} is not a non-negative whole number"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "dev-engine",
        help="run the in-memory Zeebe gateway double (tests and the offline demo only)",
        description=(
            "Serve the Zeebe gateway gRPC API and a subset of Camunda's REST API v2 from an "
            "in-memory engine that runs a BPMN subset. A test and demo tool: production runs "
            "on a real Camunda 8 cluster. Stop it with Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=_port, default=26500, help="gRPC port (default: %(default)s, Zeebe's)"
    )
    parser.add_argument(
        "--rest-port",
        type=_port,
        default=8080,
        help="REST API port (default: %(default)s, Camunda's)",
    )
    parser.add_argument(
        "--retain-finished",
        type=_count,
        default=10_000,
        metavar="N",
        help="finished instances kept in full before older ones are pruned (default: %(default)s)",
    )
    parser.add_argument(
        "--deploy",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="BPMN file to deploy at start-up (repeatable)",
    )
    parser.set_defaults(handler=run, long_running=True)


async def run(args: argparse.Namespace) -> int:
    with dev_engine_required():  # an optional extra, and --help stays light
        from zeebe_devengine import DevEngine  # noqa: PLC0415

    missing = [str(path) for path in args.deploy if not path.is_file()]
    if missing:
        msg = f"no such BPMN file: {', '.join(missing)}"
        raise InputError(msg)
    resources = [(path.name, path.read_bytes()) for path in args.deploy]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        with engine_errors_as_input():
            async with DevEngine(
                host=args.host,
                port=args.port,
                rest_port=args.rest_port,
                retained_finished=args.retain_finished,
            ) as dev:
                if resources:
                    dev.engine.deploy(resources)
                await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
