"""`canary stub-verifymenow`: run the VerifyMeNow stand-in until SIGINT or SIGTERM."""

import argparse
import asyncio
import math
import signal
from typing import TYPE_CHECKING, Any

from workers.errors import ConfigError, InputError

if TYPE_CHECKING:
    from workers.demo.stub.config import StubConfig

#: Per-version flags: (flag suffix, config field, help).
_RATE_FLAGS = (
    ("error-rate", "error_rate", "share of requests answered HTTP 503"),
    ("malformed-rate", "malformed_rate", "share answered 200 with a body that breaks the contract"),
    ("rejection-rate", "rejection_rate", "share of identities rejected"),
    ("unreadable-rate", "unreadable_rate", "share of documents found unreadable"),
)
#: Realistic defaults for people watching the demo; the in-process default is instant.
_LATENCY_DEFAULTS = {1: (120.0, 400.0), 2: (60.0, 200.0)}


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        msg = f"{text!r} is not a rate between 0 and 1"
        raise argparse.ArgumentTypeError(msg)
    return value


def _millis(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        msg = f"{text!r} is not a non-negative number of milliseconds"
        raise argparse.ArgumentTypeError(msg)
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        msg = f"{text!r} is not a port number (0-65535; 0 picks a free one)"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "stub-verifymenow",
        help="run the VerifyMeNow stand-in (both API versions, fault injection, admin API)",
        description=(
            "Run a stand-in for the VerifyMeNow provider. Rates are shares of all processed "
            "requests and must add up to at most 1 per version. Change them while it runs: "
            'PUT /admin/config with e.g. {"v2": {"error_rate": 1}}; counters at '
            "GET /admin/stats."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=_port, default=8090, help="port to listen on (default 8090)")
    parser.add_argument("--seed", type=int, help="seed the random draws for reproducible runs")
    for version in (1, 2):
        group = parser.add_argument_group(f"API v{version}")
        for suffix, field, text in _RATE_FLAGS:
            group.add_argument(
                f"--v{version}-{suffix}",
                dest=f"v{version}_{field}",
                type=_rate,
                default=0.0,
                metavar="RATE",
                help=f"{text} (default 0)",
            )
        median, p95 = _LATENCY_DEFAULTS[version]
        group.add_argument(
            f"--v{version}-latency-median",
            dest=f"v{version}_latency_median_ms",
            type=_millis,
            default=median,
            metavar="MS",
            help=f"median latency in milliseconds (default {median:g})",
        )
        group.add_argument(
            f"--v{version}-latency-p95",
            dest=f"v{version}_latency_p95_ms",
            type=_millis,
            default=p95,
            metavar="MS",
            help=f"95th percentile latency in milliseconds (default {p95:g})",
        )
    parser.set_defaults(handler=run, long_running=True)


def build_config(args: argparse.Namespace) -> "StubConfig":
    from workers.demo.stub.config import StubConfig, StubConfigError  # noqa: PLC0415

    fields = [f for _, f, _ in _RATE_FLAGS] + ["latency_median_ms", "latency_p95_ms"]
    changes: dict[str, Any] = {"seed": args.seed}
    for version in (1, 2):
        changes[f"v{version}"] = {f: getattr(args, f"v{version}_{f}") for f in fields}
    try:
        return StubConfig().updated(changes)
    except StubConfigError as exc:
        raise InputError(str(exc)) from None


async def run(args: argparse.Namespace) -> int:
    import structlog  # noqa: PLC0415  (keep `canary --help` light)

    from workers.demo.stub.server import VerifyMeNowStub  # noqa: PLC0415

    config = build_config(args)
    stub = VerifyMeNowStub(config, host=args.host, port=args.port)
    try:
        await stub.start()
    except OSError as exc:
        msg = f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        raise ConfigError(msg) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        print(f"VerifyMeNow stand-in listening on {stub.url}", flush=True)
        structlog.get_logger(__name__).info(
            "verifymenow stand-in started", url=stub.url, config=config.as_json()
        )
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await stub.stop()
    return 0
