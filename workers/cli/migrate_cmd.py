"""`canary migrate`: bring the rollout store's schema up to date."""

import argparse
from typing import Any

from workers.cli.common import add_database_option, add_json_option, database, print_json


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="apply the database migrations (idempotent, safe to run concurrently)",
        description="Apply the numbered SQL migrations that the database does not have yet.",
    )
    add_database_option(parser)
    add_json_option(parser)
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    from workers.postgres.migrations import migrate  # noqa: PLC0415  (keep `canary --help` light)

    async with database(args) as conn:
        result = await migrate(conn)
    if args.json:
        print_json(
            {
                "applied": [f"{m.version:04d}_{m.name}" for m in result.applied],
                "current": result.current,
                "unknown": result.unknown,
            }
        )
    elif result.applied:
        for migration in result.applied:
            print(f"applied {migration.version:04d}_{migration.name}")
        print(f"schema at version {result.current}")
    else:
        print(f"schema up to date (version {result.current})")
    return 0
