"""`canary route SUBJECT`: which version a subject gets now, and why."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workers.cli.common import add_database_option, add_json_option, database, print_json
from workers.errors import InputError
from workers.routing import BUCKETS, Rule, decide, format_rate
from workers.settings import DEFAULT_ROLLOUT

if TYPE_CHECKING:
    import argparse


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "route",
        help="which version SUBJECT gets now, its bucket and the rule that decided",
        description="Answer 'why did this applicant get v2?' from the current rollout config.",
    )
    parser.add_argument("subject", metavar="SUBJECT", help="the subject key, e.g. an applicantId")
    parser.add_argument(
        "--rollout", default=DEFAULT_ROLLOUT, help=f"rollout (default {DEFAULT_ROLLOUT})"
    )
    add_database_option(parser)
    add_json_option(parser)
    parser.set_defaults(handler=run, arguments=RouteArgs)


@dataclass(frozen=True, slots=True)
class RouteArgs:
    """`canary route`, as parsed."""

    subject: str
    rollout: str
    database_url: str | None
    json: bool


async def run(args: RouteArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres.rollout_store import get_rollout, load_configs  # noqa: PLC0415

    subject = args.subject.strip()
    if not subject:
        raise InputError("SUBJECT must not be blank")
    async with database(args.database_url, environ) as conn:
        await get_rollout(conn, args.rollout)  # unknown rollout -> one clear line
        config = (await load_configs(conn))[args.rollout]
    decision = decide(config, subject)
    if args.json:
        print_json(
            {
                "rollout": config.name,
                "subject": subject,
                "version": decision.version,
                "bucket": decision.bucket,
                "rule": decision.rule.value,
                "rate": config.rate,
                "strategy": config.strategy.value,
            }
        )
        return 0
    print(f"{subject} gets v{decision.version} under {config.name}")
    if decision.rule is Rule.OVERRIDE:
        print(f"  rule: override (forced to v{decision.version}; the rate does not apply)")
    elif decision.rule is Rule.RANDOM:
        print(
            f"  rule: random (a new draw per decision; this draw {decision.bucket:.6f} vs rate "
            f"{format_rate(config.rate)}; the next instance may differ)"
        )
    else:
        bucket = decision.bucket or 0.0
        side = "<" if decision.version == config.canary_version else ">="
        print(
            f"  rule: sticky (bucket {bucket:.6f} {side} rate {format_rate(config.rate)}; "
            f"it stays on v{config.canary_version} from rate"
            f" {format_rate((round(bucket * BUCKETS) + 1) / BUCKETS)})"
        )
    return 0
