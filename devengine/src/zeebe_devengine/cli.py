"""`zeebe-devengine`: serve the dev engine (gRPC and REST) in the foreground until a signal.

    zeebe-devengine [--host 127.0.0.1] [--port 26500] [--rest-port 8080] [--deploy FILE ...]

Errors are one line on stderr (``zeebe-devengine: error: ...``): exit 2 for bad arguments,
1 when the engine cannot start or a model given with ``--deploy`` is refused.
"""

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import structlog

from zeebe_devengine.core.engine import DEFAULT_RETAINED_FINISHED
from zeebe_devengine.errors import DevEngineError, InvalidArgumentError
from zeebe_devengine.server import DEFAULT_GRPC_PORT, DEFAULT_REST_PORT, DevEngine
from zeebe_devengine.version import __version__

PROG = "zeebe-devengine"


def _number(text: str, *, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def _port(text: str) -> int:
    return _number(text, low=0, high=65535, what="a port number (0-65535; 0 picks a free port)")


def _count(text: str) -> int:
    return _number(text, low=0, high=sys.maxsize, what="a non-negative whole number")


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, as every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=PROG,
        description=(
            "Serve the Zeebe gateway gRPC API and a subset of Camunda's REST API v2 from an "
            "in-memory engine that runs a BPMN subset. A test and demo tool, not Zeebe. "
            "Stop it with Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_GRPC_PORT, help="gRPC port (%(default)s)"
    )
    parser.add_argument(
        "--rest-port", type=_port, default=DEFAULT_REST_PORT, help="REST API port (%(default)s)"
    )
    parser.add_argument(
        "--retain-finished",
        type=_count,
        default=DEFAULT_RETAINED_FINISHED,
        metavar="N",
        help="finished instances kept in full before older ones are pruned (%(default)s)",
    )
    parser.add_argument(
        "--deploy",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="BPMN file to deploy at start-up (repeatable)",
    )
    return parser


async def serve(
    *,
    host: str,
    port: int,
    rest_port: int,
    retained_finished: int,
    resources: Sequence[tuple[str, bytes]],
    prog: str = PROG,
) -> None:
    """Serve until SIGINT or SIGTERM; deploy `resources` first (DevEngineError if refused).

    The one serve loop: this command's and `canary dev-engine`'s (which passes its `prog`).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with DevEngine(
            host=host, port=port, rest_port=rest_port, retained_finished=retained_finished
        ) as dev:
            if resources:
                dev.engine.deploy(resources)
            # The bound ports (port 0 picks free ones), for people and for scripts to read.
            print(f"{prog}: serving gRPC on {dev.grpc_address}, REST on {dev.rest_url}", flush=True)
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def read_models(paths: Sequence[Path]) -> list[tuple[str, bytes]]:
    """(name, content) of each BPMN file; InvalidArgumentError naming the missing ones."""
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise InvalidArgumentError(f"no such BPMN file: {', '.join(missing)}")
    return [(path.name, path.read_bytes()) for path in paths]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # stdout carries the serving line; the engine's own log lines go to stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    try:
        asyncio.run(
            serve(
                host=args.host,
                port=args.port,
                rest_port=args.rest_port,
                retained_finished=args.retain_finished,
                resources=read_models(args.deploy),
            )
        )
    except DevEngineError as exc:
        # Deployment errors span lines, as Zeebe's do; a command error is one line.
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    return 0
