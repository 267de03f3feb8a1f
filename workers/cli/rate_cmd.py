"""`canary rate show|set|history`: the share of traffic that goes to a rollout's canary.

A rollout compares two versions, its baseline and its canary (1 and 2 unless it names others);
`rate set NAME VALUE --versions 2:3` moves it to the next pair in the same audited change. The
pair changes only while everyone is on one version (rate 0 or 100 %): in between it would move
live subjects to versions they were never routed to.
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
    print_table,
    printable,
)
from workers.errors import InputError
from workers.routing import format_pair, format_rate, parse_pair, parse_rate

if TYPE_CHECKING:
    import argparse


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "rate",
        help="show, set or audit the share of instances routed to the canary (v2 by default)",
        description=(
            "Show, set or audit a rollout's rate: the share of instances sent to its canary"
            " version; the rest go to its baseline (1 and 2 unless --versions says otherwise)."
        ),
    )
    commands = parser.add_subparsers(metavar="ACTION", required=True)

    show = commands.add_parser("show", help="the current rate of one rollout or of all")
    show.add_argument("name", nargs="?", metavar="NAME", help="rollout (default: all)")
    add_database_option(show)
    add_json_option(show)
    show.set_defaults(handler=show_rate, arguments=RateShowArgs)

    set_ = commands.add_parser(
        "set",
        help="change a rollout's rate; running workers follow within milliseconds",
        description="Change a rollout's rate. VALUE is a fraction (0.25) or a percentage (25%).",
    )
    set_.add_argument("name", metavar="NAME")
    set_.add_argument(
        "value", metavar="VALUE", help="0.25 or 25%%; 0 sends everyone to the baseline"
    )
    set_.add_argument(
        "--versions",
        metavar="BASELINE:CANARY",
        help="compare these versions from now on, e.g. 2:3 (only from rate 0 or 100%%)",
    )
    add_change_options(set_)
    add_database_option(set_)
    add_json_option(set_)
    set_.set_defaults(handler=set_rate, arguments=RateSetArgs)

    hist = commands.add_parser("history", help="every change of a rollout: old -> new, who, why")
    hist.add_argument("name", metavar="NAME")
    hist.add_argument("--limit", type=int, default=50, help="newest N changes (default 50)")
    add_database_option(hist)
    add_json_option(hist)
    hist.set_defaults(handler=show_history, arguments=RateHistoryArgs)


@dataclass(frozen=True, slots=True)
class RateShowArgs:
    """`canary rate show`, as parsed."""

    name: str | None
    database_url: str | None
    json: bool


async def show_rate(args: RateShowArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    async with database(args.database_url, environ) as conn:
        if args.name:
            rows = [await rollout_store.get_rollout(conn, args.name)]
        else:
            rows = await rollout_store.list_rollouts(conn)
    if args.json:
        print_json(rows[0].to_json() if args.name else [r.to_json() for r in rows])
        return 0
    if args.name:
        row = rows[0]
        print(
            f"{row.name}: {format_rate(row.rate)} of instances go to v{row.canary_version},"
            f" the rest to v{row.baseline_version} ({row.strategy})"
        )
        print(
            f"  set {row.updated_at:%Y-%m-%d %H:%M:%S %Z} by {printable(row.updated_by)}:"
            f" {printable(row.reason)}"
        )
        if row.overrides:
            print(f"  {row.overrides} override(s): see `canary override list --rollout {row.name}`")
        return 0
    print_table(
        None,
        ["rollout", "rate", "versions", "strategy", "overrides", "updated", "by", "reason"],
        [
            [
                r.name,
                format_rate(r.rate),
                format_pair(*r.versions),
                r.strategy,
                r.overrides,
                f"{r.updated_at:%Y-%m-%d %H:%M:%S}",
                r.updated_by,
                r.reason,
            ]
            for r in rows
        ],
    )
    return 0


@dataclass(frozen=True, slots=True)
class RateSetArgs:
    """`canary rate set`, as parsed."""

    name: str
    value: str
    versions: str | None
    reason: str
    by: str | None
    database_url: str | None
    json: bool


async def set_rate(args: RateSetArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    try:
        rate = parse_rate(args.value)
        versions = None if args.versions is None else parse_pair(args.versions)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    async with database(args.database_url, environ) as conn:
        before = (await rollout_store.get_rollout(conn, args.name)).versions
        change = await rollout_store.set_rate(
            conn,
            args.name,
            rate=rate,
            versions=versions,
            actor=actor(args.by, environ),
            reason=args.reason,
        )
    row = change.rollout
    if args.json:
        print_json(
            {
                "rollout": row.name,
                "old_rate": change.before,
                "new_rate": change.after,
                "old_versions": list(before),
                "new_versions": list(row.versions),
                "changed": change.changed,
            }
        )
    elif change.changed:
        old = format_rate(float(change.before or 0))
        parts = [] if change.before == rate else [f"{old} -> {format_rate(rate)}"]
        if before != row.versions:
            parts.append(f"versions {format_pair(*before)} -> {format_pair(*row.versions)}")
        print(f"{row.name}: {'; '.join(parts)} ({printable(row.reason)})")
    else:
        print(
            f"{row.name}: already at {format_rate(rate)} ({format_pair(*row.versions)});"
            " nothing changed"
        )
    return 0


def describe_change(row: Any) -> str:
    """One readable line for a history row (rates, strategy, salt, overrides)."""
    if row.change == "created":
        pair = (row.new_baseline_version, row.new_canary_version)
        versions = "" if None in pair else f", {format_pair(*pair)}"
        return f"created at {format_rate(row.new_rate)} ({row.new_strategy}{versions})"
    if row.change == "deleted":
        return f"deleted (was {format_rate(row.old_rate)})"
    if row.change.startswith("override"):
        old = "-" if row.old_version is None else f"v{row.old_version}"
        new = "-" if row.new_version is None else f"v{row.new_version}"
        return f"{row.change.replace('_', ' ')}: {row.subject} {old} -> {new}"
    parts = []
    if row.old_rate != row.new_rate:
        parts.append(f"{format_rate(row.old_rate)} -> {format_rate(row.new_rate)}")
    if row.old_strategy != row.new_strategy:
        parts.append(f"strategy {row.old_strategy} -> {row.new_strategy}")
    if row.salt_changed:
        parts.append("new salt (subjects reshuffled)")
    old_pair = (row.old_baseline_version, row.old_canary_version)
    new_pair = (row.new_baseline_version, row.new_canary_version)
    if None not in old_pair and None not in new_pair and old_pair != new_pair:
        parts.append(f"versions {format_pair(*old_pair)} -> {format_pair(*new_pair)}")
    return ", ".join(parts) or "updated"


@dataclass(frozen=True, slots=True)
class RateHistoryArgs:
    """`canary rate history`, as parsed."""

    name: str
    limit: int
    database_url: str | None
    json: bool


async def show_history(args: RateHistoryArgs, environ: Mapping[str, str]) -> int:
    from workers.postgres import rollout_store  # noqa: PLC0415

    async with database(args.database_url, environ) as conn:
        rows = await rollout_store.history(conn, args.name, limit=args.limit)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    print_table(
        f"history of {args.name} (newest first)",
        ["when", "change", "by", "login", "reason"],
        [
            [
                f"{r.changed_at:%Y-%m-%d %H:%M:%S}",
                describe_change(r),
                r.changed_by,
                r.database_user or "",
                r.reason,
            ]
            for r in rows
        ],
    )
    return 0
