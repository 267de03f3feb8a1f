"""`canary dev-engine`: run the in-memory Zeebe gateway double in the foreground."""

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers.cli.dev_engine_extra import dev_engine_required, engine_errors_as_input


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
    parser.set_defaults(handler=run, arguments=DevEngineArgs, long_running=True)


@dataclass(frozen=True, slots=True)
class DevEngineArgs:
    """`canary dev-engine`, as parsed."""

    host: str
    port: int
    rest_port: int
    retain_finished: int
    deploy: list[Path]


async def run(args: DevEngineArgs, _environ: Mapping[str, str]) -> int:
    with dev_engine_required():  # an optional extra, and --help stays light
        from zeebe_devengine.cli import read_models, serve  # noqa: PLC0415

    # The engine's own serve loop (signals, the serving line, deploy first): one for both
    # commands. Its errors (a missing file, a refused model, a port in use) are one line.
    with engine_errors_as_input():
        await serve(
            host=args.host,
            port=args.port,
            rest_port=args.rest_port,
            retained_finished=args.retain_finished,
            resources=read_models(args.deploy),
            prog="canary dev-engine",
        )
    return 0
