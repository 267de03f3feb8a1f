"""`canary demo`: the offline demo on embedded defaults."""

import argparse
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

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
    parser.add_argument(
        "--guarded",
        action="store_true",
        help=(
            "a guarded rollout instead: the controller ramps 10%%-25%%-50%%-100%% with the bake"
            " in seconds; at 25%% v2 starts failing and the controller rolls back on its own"
        ),
    )
    parser.add_argument("--instances", type=int, help="instances to start (500)")
    parser.add_argument("--rate", type=_rate, help="share to v2 at first (20%%)")
    parser.add_argument(
        "--ramp",
        type=_rate_list,
        default=[],
        metavar="RATES",
        help="rates for equal parts of the run, e.g. 5%%,25%%,50%% (instead of --rate)",
    )
    parser.add_argument("--per-second", type=float, help="start rate (100/s; 50/s with --guarded)")
    parser.add_argument(
        "--v1-error-rate", type=_rate, help="v1 HTTP 503 share (25%%; 5%% with --guarded)"
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
    parser.set_defaults(handler=run, arguments=DemoArgs, log_level="error")


@dataclass(frozen=True, slots=True)
class DemoArgs:
    """`canary demo`, as parsed."""

    guarded: bool
    instances: int | None
    rate: float | None
    ramp: list[float]
    per_second: float | None
    v1_error_rate: float | None
    v2_error_rate: float
    seed: int | None
    port: int
    rest_port: int
    database: str


#: (plain demo, --guarded): what an option left out means.
_DEFAULTS: Final = {
    "per_second": (100.0, 50.0),
    # The guarded demo's v1 fails less than the plain demo's flaky 25 %: see
    # workers/demo/guarded.py (V1_ERROR_RATE).
    "v1_error_rate": (0.25, 0.05),
}


def _default(args: DemoArgs, name: str) -> float:
    given: float | None = getattr(args, name)
    plain, guarded = _DEFAULTS[name]
    return given if given is not None else (guarded if args.guarded else plain)


def _check(args: DemoArgs) -> None:
    """One line on stderr for the first bad flag, before anything starts."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        raise InputError("--database must be a lowercase name (letters, digits, '_')")
    if args.guarded:
        given = [flag for flag, value in (("--instances", args.instances), ("--rate", args.rate),
                 ("--ramp", args.ramp)) if value is not None and value != []]  # fmt: skip
        if given:
            raise InputError(
                f"--guarded ramps by itself until the rollout ends: leave out {', '.join(given)}"
            )
    if args.instances is not None and args.instances < 1:
        raise InputError("--instances must be at least 1")
    if not _default(args, "per_second") > 0:
        raise InputError("--per-second must be greater than 0")
    if _default(args, "v1_error_rate") + 0.05 + 0.03 > 1 or args.v2_error_rate + 0.05 + 0.03 > 1:
        raise InputError("error rates above 92% leave no room for the other outcomes")


async def run(args: DemoArgs, environ: Mapping[str, str]) -> int:
    _check(args)  # before the imports below: the demo's stack takes a second or more
    from rich.console import Console  # noqa: PLC0415

    from workers.settings import DatabaseSettings  # noqa: PLC0415

    with dev_engine_required():  # the demo runs the dev engine, an optional extra
        from workers.demo.guarded import run_guarded_demo  # noqa: PLC0415
        from workers.demo.run import DemoOptions, run_demo  # noqa: PLC0415

    database = DatabaseSettings.from_env_if_set(environ)
    options = DemoOptions(
        instances=500 if args.instances is None else args.instances,
        rate=0.2 if args.rate is None else args.rate,
        ramp=args.ramp,
        per_second=_default(args, "per_second"),
        v1_error_rate=_default(args, "v1_error_rate"),
        v2_error_rate=args.v2_error_rate,
        seed=args.seed,
        grpc_port=args.port,
        rest_port=args.rest_port,
        database_url=None if database is None else database.url,
        database_name=args.database,
    )
    with engine_errors_as_input():
        if args.guarded:
            guarded = await run_guarded_demo(options, Console())
            if guarded.interrupted:
                return 130
            return 0 if guarded.outcome is not None else 1
        result = await run_demo(options, Console())
    return 130 if result.interrupted else (1 if result.timed_out else 0)
