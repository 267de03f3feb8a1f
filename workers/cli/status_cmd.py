"""`canary status`: instances per version right now (Camunda REST API), with rate and strategy."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workers import process
from workers.cli.common import add_database_option, database_url, print_json
from workers.settings import DEFAULT_ROLLOUT

if TYPE_CHECKING:
    import argparse


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "status",
        help="instances per version now: active, completed, rejected, incidents; rate",
        description=(
            "Where the instances of each version are, as Operate counts them (Camunda REST API"
            " v2, every deployed version of the process summed), with the rollout's current"
            " rate and strategy from Postgres."
        ),
    )
    parser.add_argument(
        "--rest-address",
        metavar="URL",
        help="Camunda REST API, e.g. http://localhost:8080 (default: $CAMUNDA_REST_ADDRESS)",
    )
    parser.add_argument(
        "--rollout", default=DEFAULT_ROLLOUT, help=f"rollout (default {DEFAULT_ROLLOUT})"
    )
    parser.add_argument(
        "--process-id",
        default=process.PROCESS_ID,
        help="BPMN process id (default %(default)s)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--watch", action="store_true", help="redraw in place until Ctrl-C")
    mode.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "--interval", type=float, default=3.0, metavar="SECONDS",
        help="refresh period with --watch (default %(default)s)",
    )  # fmt: skip
    add_database_option(parser)
    parser.set_defaults(handler=run, arguments=StatusArgs)


@dataclass(frozen=True, slots=True)
class StatusArgs:
    """`canary status`, as parsed."""

    rest_address: str | None
    rollout: str
    process_id: str
    watch: bool
    json: bool
    interval: float
    database_url: str | None


async def run(args: StatusArgs, environ: Mapping[str, str]) -> int:
    import contextlib  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from workers.errors import DatabaseUnavailableError, InputError  # noqa: PLC0415
    from workers.operate.camunda_rest import CamundaRestClient  # noqa: PLC0415
    from workers.operate.status import Status, collect_status  # noqa: PLC0415
    from workers.operate.status_view import status_view, watch  # noqa: PLC0415
    from workers.postgres.connection import connect  # noqa: PLC0415
    from workers.postgres.rollout_store import get_rollout  # noqa: PLC0415
    from workers.settings import CamundaRestSettings  # noqa: PLC0415

    if not 0.5 <= args.interval <= 3600:
        raise InputError("--interval must be between 0.5 and 3600 seconds")
    settings = CamundaRestSettings.from_env(environ, address=args.rest_address or None)
    url = database_url(args.database_url, environ)

    async with CamundaRestClient(settings) as client:

        async def fetch() -> Status:
            conn = await connect(url)
            async with conn:
                rollout = await get_rollout(conn, args.rollout)
            return await collect_status(
                client,
                rollout=rollout.name,
                rate=rollout.rate,
                strategy=rollout.strategy,
                versions=rollout.versions,
                process_id=args.process_id,
            )

        if args.watch:
            # An unknown rollout will not fix itself: say so now instead of retrying forever.
            with contextlib.suppress(DatabaseUnavailableError):
                async with await connect(url) as conn:
                    await get_rollout(conn, args.rollout)
            await watch(fetch, console=Console(), interval=args.interval)
            return 0
        status = await fetch()
    if args.json:
        print_json(status.to_json())
    else:
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)
        console.print(status_view(status))
    return 0
