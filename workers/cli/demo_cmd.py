"""`canary demo`: the offline demo on embedded defaults."""

import argparse
import os
import re
from typing import Any

from workers.cli.dev_engine_extra import dev_engine_required, engine_errors_as_input
from workers.errors import InputError


def _rate_list(text: str) -> list[float]:
    from workers.routing import parse_rate  # noqa: PLC0415

    try:
        return [parse_rate(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rate(text: str) -> float:
    from workers.routing import parse_rate  # noqa: PLC0415

    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run everything locally: dev engine, VerifyMeNow stand-in, Postgres, the workers",
        description=(
            "The offline demo: starts the dev engine (a Zeebe double for tests and demos),"
            " the VerifyMeNow stand-in and Postgres (DATABASE_URL's server, else the local"
            " one, else a throwaway cluster; the demo uses its own database canary_demo),"
            " deploys the real model, runs the real workers, starts instances and shows the"
            " share per version live, then the report."
        ),
    )
    parser.add_argument("--instances", type=int, default=500, help="instances to start (500)")
    parser.add_argument("--rate", type=_rate, default=0.2, help="share to v2 at first (20%%)")
    parser.add_argument(
        "--ramp",
        type=_rate_list,
        default=[],
        metavar="RATES",
        help="rates for equal parts of the run, e.g. 5%%,25%%,50%% (instead of --rate)",
    )
    parser.add_argument("--per-second", type=float, default=100.0, help="start rate (100/s)")
    parser.add_argument(
        "--v1-error-rate", type=_rate, default=0.25, help="v1 HTTP 503 share (25%%)"
    )
    parser.add_argument("--v2-error-rate", type=_rate, default=0.0, help="v2 HTTP 503 share (0)")
    parser.add_argument("--seed", type=int, help="seed for reproducible runs")
    parser.add_argument(
        "--database",
        default="canary_demo",
        metavar="NAME",
        help="database the demo (re)creates on the Postgres server (default %(default)s)",
    )
    parser.add_argument("--port", type=int, default=0, help="dev engine gRPC port (0: any free)")
    parser.add_argument("--rest-port", type=int, default=0, help="dev engine REST port (0: any)")
    # Retries of the flaky v1 are the point of the demo, not warnings to print over the table.
    parser.set_defaults(handler=run, log_level="error")


async def run(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415

    with dev_engine_required():  # the demo runs the dev engine, an optional extra
        from workers.demo.run import DemoOptions, run_demo  # noqa: PLC0415

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        raise InputError("--database must be a lowercase name (letters, digits, '_')")
    if args.instances < 1:
        raise InputError("--instances must be at least 1")
    if not args.per_second > 0:
        raise InputError("--per-second must be greater than 0")
    if args.v1_error_rate + 0.05 + 0.03 > 1 or args.v2_error_rate + 0.05 + 0.03 > 1:
        raise InputError("error rates above 92% leave no room for the other outcomes")
    options = DemoOptions(
        instances=args.instances,
        rate=args.rate,
        ramp=args.ramp,
        per_second=args.per_second,
        v1_error_rate=args.v1_error_rate,
        v2_error_rate=args.v2_error_rate,
        seed=args.seed,
        grpc_port=args.port,
        rest_port=args.rest_port,
        database_url=os.environ.get("DATABASE_URL") or None,
        database_name=args.database,
    )
    with engine_errors_as_input():
        result = await run_demo(options, Console())
    return 130 if result.interrupted else (1 if result.timed_out else 0)
