"""Pieces several commands share: the database option, JSON output, tables, the actor.

Every command module imports this one while `canary --help` is built, so psycopg and Rich
(about 0.3 s of imports together) are imported where a command first needs them.
"""

import argparse
import json
import os
import pwd
import socket
import sys
import unicodedata
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from workers.settings import DatabaseSettings, default_actor

if TYPE_CHECKING:
    import psycopg


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="Postgres of the rollout store (default: $DATABASE_URL, else the local server)",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def add_change_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", required=True, help="why (recorded in the history)")
    parser.add_argument("--by", metavar="WHO", help="who (default: $CANARY_ACTOR, else user@host)")


def database_url(given: str | None, environ: Mapping[str, str]) -> str:
    """`--database-url` when given, else DATABASE_URL, else the local server."""
    if given:
        return DatabaseSettings.from_url(given).url
    return DatabaseSettings.from_env(environ).url


def actor(given: str | None, environ: Mapping[str, str]) -> str:
    """`--by` when given, else CANARY_ACTOR, else user@host."""
    if given is not None:
        return given
    login = pwd.getpwuid(os.getuid()).pw_name
    return default_actor(environ, login=login, hostname=socket.gethostname())


@asynccontextmanager
async def database(
    given: str | None, environ: Mapping[str, str]
) -> AsyncIterator["psycopg.AsyncConnection[Any]"]:
    from workers.postgres.connection import connect  # noqa: PLC0415

    conn = await connect(database_url(given, environ))
    async with conn:
        yield conn


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def printable(value: object) -> str:
    """A stored string as it may reach a terminal: control and format characters (escape
    sequences, bidi overrides, bells) shown as ``\\xNN``/``\\uNNNN`` instead of acting.

    Reasons, actors and subjects are typed by anyone who may change a rate, and the history is
    append-only: a reason must never be able to repaint the reader's terminal.
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
        else ch
        for ch in text
    )


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table of stored values: each cell is plain text (never Rich markup) and printable."""
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    table = Table(title=title, title_justify="left", header_style="bold")
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*(Text("" if cell is None else printable(cell)) for cell in row))
    console = Console(soft_wrap=True)
    if not console.is_terminal:
        # Piped output: let rows be as wide as their content instead of 80 columns.
        console = Console(soft_wrap=True, width=200)
    console.print(table)
