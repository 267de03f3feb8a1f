"""`canary prune --older-than 30d`: drop raw records past retention; the counters stay."""

import argparse
from typing import Any

from workers.cli.common import add_database_option, add_json_option, database, print_json


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "prune",
        help="delete recorded decisions and outcomes older than a given age",
        description=(
            "Retention: delete recorded routing decisions and verification outcomes older than"
            " --older-than, with their deduplication keys and per-second counters. The"
            " per-minute counters the report reads keep the history unless"
            " --counters-older-than is given (the rollouts and their history are never"
            " touched). Run it as the role that applies the migrations."
        ),
    )
    parser.add_argument(
        "--older-than", required=True, metavar="DURATION", help="age to keep, e.g. 30d, 12h, 2w"
    )
    parser.add_argument(
        "--counters-older-than",
        metavar="DURATION",
        help="also drop per-minute counters older than this (default: keep them), e.g. 400d",
    )
    parser.add_argument("--rollout", metavar="NAME", help="only this rollout's records")
    parser.add_argument(
        "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
    )
    add_database_option(parser)
    add_json_option(parser)
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    from workers.postgres.retention import prune  # noqa: PLC0415
    from workers.postgres.rollout_store import get_rollout  # noqa: PLC0415
    from workers.time_spans import parse_span  # noqa: PLC0415

    older_than = parse_span(args.older_than, flag="--older-than")
    counters_older_than = (
        None
        if args.counters_older_than is None
        else parse_span(args.counters_older_than, flag="--counters-older-than")
    )
    async with database(args) as conn:
        if args.rollout is not None:
            await get_rollout(conn, args.rollout)  # unknown rollout -> one clear line
        result = await prune(
            conn,
            older_than=older_than,
            rollout=args.rollout,
            dry_run=args.dry_run,
            counters_older_than=counters_older_than,
        )
    if args.json:
        print_json(
            {
                "cutoff": result.cutoff.isoformat(),
                "counters_cutoff": None
                if result.counters_cutoff is None
                else result.counters_cutoff.isoformat(),
                "dry_run": result.dry_run,
                "rows": result.rows,
            }
        )
        return 0
    verb = "would delete" if result.dry_run else "deleted"
    scope = f" of {args.rollout}" if args.rollout else ""
    rows = result.rows
    print(
        f"{verb} {rows['decisions']:,} decision(s) and {rows['outcomes']:,} outcome(s){scope}"
        f" recorded before {result.cutoff:%Y-%m-%d %H:%M:%S %Z},"
        f" {rows['dedup_keys']:,} deduplication key(s) and {rows['counter_rows']:,} counter"
        " row(s)"
    )
    if result.counters_cutoff is None:
        print("per-minute counters kept: reports over the pruned period still read them")
    return 0
