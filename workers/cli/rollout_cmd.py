"""`canary rollout create|strategy|reshuffle`: manage rollouts beyond their rate.

The guarded-rollout actions (`start`, `status`, `approve`, ...) are declared by
`guarded_rollout_args` and run by `guarded_rollout_cmd`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workers.cli.common import (
    actor,
    add_change_options,
    add_database_option,
    add_json_option,
    database,
    print_json,
)
from workers.cli.guarded_rollout_args import add_guarded_actions
from workers.cli.guarded_rollout_cmd import HANDLERS
from workers.errors import InputError
from workers.routing import Strategy, format_pair, format_rate, parse_pair, parse_rate

if TYPE_CHECKING:
    import argparse


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "rollout",
        help="create a rollout, change its strategy or reshuffle it; run guarded rollouts",
        description=(
            "Manage rollouts: create one, switch sticky/random, or draw a new salt; start,"
            " watch and steer guarded rollouts (a Camunda process ramps the rate step by step"
            " and rolls back on its own)."
        ),
    )
    commands = parser.add_subparsers(metavar="ACTION", required=True)

    create = commands.add_parser("create", help="a new named rollout (starts at rate 0)")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--rate", default="0", help="initial rate (default 0)")
    create.add_argument("--strategy", choices=[s.value for s in Strategy], default="sticky")
    create.add_argument(
        "--versions",
        metavar="BASELINE:CANARY",
        default="1:2",
        help="the versions it compares (default 1:2)",
    )
    add_change_options(create)
    add_database_option(create)
    add_json_option(create)
    create.set_defaults(handler=create_rollout, arguments=RolloutCreateArgs)

    strategy = commands.add_parser(
        "strategy", help="switch between sticky (hash of the subject) and random routing"
    )
    strategy.add_argument("name", metavar="NAME")
    strategy.add_argument("strategy", choices=[s.value for s in Strategy])
    add_change_options(strategy)
    add_database_option(strategy)
    add_json_option(strategy)
    strategy.set_defaults(handler=set_strategy, arguments=RolloutStrategyArgs)

    reshuffle = commands.add_parser(
        "reshuffle", help="draw a new salt: every subject gets a new bucket"
    )
    reshuffle.add_argument("name", metavar="NAME")
    add_change_options(reshuffle)
    add_database_option(reshuffle)
    add_json_option(reshuffle)
    reshuffle.set_defaults(handler=reshuffle_rollout, arguments=RolloutReshuffleArgs)

    add_guarded_actions(commands)
    for action, (handler, arguments) in HANDLERS.items():
        commands.choices[action].set_defaults(handler=handler, arguments=arguments)


@dataclass(frozen=True, slots=True)
class RolloutCreateArgs:
    """`canary rollout create`, as parsed."""

    name: str
    rate: str
    strategy: str
    versions: str
    reason: str
    by: str | None
    database_url: str | None
    json: bool


async def create_rollout(args: RolloutCreateArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    try:
        rate = parse_rate(args.rate)
        versions = parse_pair(args.versions)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    async with database(args.database_url, environ) as conn:
        row = await rollout_store.create_rollout(
            conn,
            args.name,
            rate=rate,
            strategy=Strategy(args.strategy),
            versions=versions,
            actor=actor(args.by, environ),
            reason=args.reason,
        )
    if args.json:
        print_json(row.to_json())
    else:
        print(
            f"{row.name}: created at {format_rate(row.rate)} ({row.strategy},"
            f" {format_pair(*row.versions)})"
        )
    return 0


@dataclass(frozen=True, slots=True)
class RolloutStrategyArgs:
    """`canary rollout strategy`, as parsed."""

    name: str
    strategy: str
    reason: str
    by: str | None
    database_url: str | None
    json: bool


async def set_strategy(args: RolloutStrategyArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    async with database(args.database_url, environ) as conn:
        change = await rollout_store.set_strategy(
            conn,
            args.name,
            strategy=Strategy(args.strategy),
            actor=actor(args.by, environ),
            reason=args.reason,
        )
    if args.json:
        print_json(
            {
                "rollout": args.name,
                "old": change.before,
                "new": change.after,
                "changed": change.changed,
            }
        )
    elif change.changed:
        print(f"{args.name}: strategy {change.before} -> {change.after}")
    else:
        print(f"{args.name}: strategy already {change.after}; nothing changed")
    return 0


@dataclass(frozen=True, slots=True)
class RolloutReshuffleArgs:
    """`canary rollout reshuffle`, as parsed."""

    name: str
    reason: str
    by: str | None
    database_url: str | None
    json: bool


async def reshuffle_rollout(args: RolloutReshuffleArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    async with database(args.database_url, environ) as conn:
        change = await rollout_store.reshuffle(
            conn, args.name, actor=actor(args.by, environ), reason=args.reason
        )
    if args.json:
        print_json({"rollout": args.name, "changed": change.changed})
    else:
        print(f"{args.name}: new salt; every subject has a new bucket")
    return 0
