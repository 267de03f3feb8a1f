"""`canary load`: keep starting identity-verification instances (synthetic applicants)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workers.cli.common import add_json_option, print_json
from workers.errors import InputError
from workers.shutdown import stop_on_signals

if TYPE_CHECKING:
    import argparse


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "load",
        help="start identity-verification instances with made-up applicants, at a steady rate",
        description=(
            "Start instances of the identity-verification process on ZEEBE_ADDRESS with"
            " synthetic applicants, so Operate shows traffic on both branches. Runs until"
            " --count instances were started, or until SIGTERM/Ctrl-C."
        ),
    )
    parser.add_argument("--per-second", type=float, default=2.0, help="instances per second")
    parser.add_argument("--count", type=int, help="stop after this many (default: run on)")
    parser.add_argument("--seed", type=int, help="seed for the synthetic applicants")
    parser.add_argument("--address", help="gateway host:port (default: $ZEEBE_ADDRESS)")
    add_json_option(parser)
    parser.set_defaults(handler=run, arguments=LoadArgs, long_running=True)


@dataclass(frozen=True, slots=True)
class LoadArgs:
    """`canary load`, as parsed."""

    per_second: float
    count: int | None
    seed: int | None
    address: str | None
    json: bool


async def run(args: LoadArgs, environ: Mapping[str, str]) -> int:
    from workers.settings import ZeebeSettings  # noqa: PLC0415

    if not args.per_second > 0:
        raise InputError("--per-second must be greater than 0")
    if args.count is not None and args.count < 1:
        raise InputError("--count must be at least 1")
    settings = ZeebeSettings.from_env(environ, address=args.address or None)
    # Only once the input is known good: pyzeebe and gRPC take most of a second to import.
    from pyzeebe import ZeebeClient  # noqa: PLC0415

    from workers.operate.deploy import NEVER_GIVE_UP  # noqa: PLC0415
    from workers.operate.load import start_instances  # noqa: PLC0415
    from workers.runtime.gateway_watch import GatewayWatch  # noqa: PLC0415
    from workers.runtime.zeebe_connection import create_channel  # noqa: PLC0415

    async with stop_on_signals() as stop:
        channel = create_channel(settings, watch=GatewayWatch())
        try:
            stats = await start_instances(
                ZeebeClient(channel, max_connection_retries=NEVER_GIVE_UP),
                count=args.count,
                per_second=args.per_second,
                seed=args.seed,
                stop=stop,
                tenant_id=settings.tenant_id,
            )
        finally:
            await channel.close()
    if args.json:
        print_json({"started": stats.started, "failed": stats.failed})
    else:
        print(f"started {stats.started} instance(s), {stats.failed} failed to start")
    return 0 if stats.failed == 0 else 1
