"""`canary override add|remove|list`: force named subjects onto a version."""

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workers.cli.common import (
    actor,
    add_change_options,
    add_database_option,
    add_json_option,
    database,
    print_json,
    print_table,
    printable,
)
from workers.errors import InputError
from workers.routing import parse_version
from workers.settings import DEFAULT_ROLLOUT


def _rollout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rollout", default=DEFAULT_ROLLOUT, help=f"rollout (default {DEFAULT_ROLLOUT})"
    )


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "override",
        help="force named subjects (e.g. internal testers) onto a version",
        description="Overrides win over the rate: a targeted release to named subjects.",
    )
    commands = parser.add_subparsers(metavar="ACTION", required=True)

    add = commands.add_parser("add", help="force SUBJECT onto VERSION (1 or 2)")
    add.add_argument("subject", metavar="SUBJECT", help="the subject key, e.g. an applicantId")
    add.add_argument("version", metavar="VERSION", help="1, 2, 3, ... (any version from 1)")
    _rollout_option(add)
    add_change_options(add)
    add_database_option(add)
    add_json_option(add)
    add.set_defaults(handler=add_override, arguments=OverrideAddArgs)

    remove = commands.add_parser("remove", help="let SUBJECT follow the rate again")
    remove.add_argument("subject", metavar="SUBJECT")
    _rollout_option(remove)
    add_change_options(remove)
    add_database_option(remove)
    add_json_option(remove)
    remove.set_defaults(handler=remove_override, arguments=OverrideRemoveArgs)

    list_ = commands.add_parser("list", help="the overrides of one rollout or of all")
    list_.add_argument("--rollout", default=None, help="only this rollout (default: all)")
    add_database_option(list_)
    add_json_option(list_)
    list_.set_defaults(handler=list_overrides, arguments=OverrideListArgs)


@dataclass(frozen=True, slots=True)
class OverrideAddArgs:
    """`canary override add`, as parsed."""

    subject: str
    version: str
    rollout: str
    reason: str
    by: str | None
    database_url: str | None
    json: bool


async def add_override(args: OverrideAddArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    try:
        version = parse_version(args.version)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    async with database(args.database_url, environ) as conn:
        change = await rollout_store.add_override(
            conn,
            args.rollout,
            args.subject,
            version=version,
            actor=actor(args.by, environ),
            reason=args.reason,
        )
    if args.json:
        print_json(
            {
                "rollout": args.rollout,
                "subject": args.subject.strip(),
                "old_version": change.before,
                "version": version,
                "changed": change.changed,
            }
        )
    elif change.changed:
        print(f"{args.rollout}: {printable(args.subject.strip())} now always gets v{version}")
    else:
        print(f"{args.rollout}: {printable(args.subject.strip())} already forced to v{version}")
    return 0


@dataclass(frozen=True, slots=True)
class OverrideRemoveArgs:
    """`canary override remove`, as parsed."""

    subject: str
    rollout: str
    reason: str
    by: str | None
    database_url: str | None
    json: bool


async def remove_override(args: OverrideRemoveArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    async with database(args.database_url, environ) as conn:
        change = await rollout_store.remove_override(
            conn, args.rollout, args.subject, actor=actor(args.by, environ), reason=args.reason
        )
    if args.json:
        print_json(
            {
                "rollout": args.rollout,
                "subject": args.subject.strip(),
                "old_version": change.before,
                "changed": True,
            }
        )
    else:
        print(
            f"{args.rollout}: {printable(args.subject.strip())} follows the rate again "
            f"(was forced to v{change.before})"
        )
    return 0


@dataclass(frozen=True, slots=True)
class OverrideListArgs:
    """`canary override list`, as parsed."""

    rollout: str | None
    database_url: str | None
    json: bool


async def list_overrides(args: OverrideListArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    async with database(args.database_url, environ) as conn:
        rows = await rollout_store.list_overrides(conn, args.rollout)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    if not rows:
        print("no overrides")
        return 0
    print_table(
        None,
        ["rollout", "subject", "version", "since", "by", "reason"],
        [
            [
                r.rollout,
                r.subject,
                f"v{r.version}",
                f"{r.created_at:%Y-%m-%d %H:%M:%S}",
                r.created_by,
                r.reason,
            ]
            for r in rows
        ],
    )
    return 0
