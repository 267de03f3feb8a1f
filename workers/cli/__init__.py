"""`canary`: the one command-line entry point of the project.

Each sub-command lives in its own module exposing ``register(subparsers)``; registering only
declares arguments, so `canary --help` stays fast and heavy imports happen when a command
runs. A handler is an ``async def`` taking its command's arguments (a frozen dataclass the
module declares with ``set_defaults(arguments=...)``, built from the parsed Namespace in
`typed_arguments`, the one place that reads it) and the environment, and returning the exit
code. `main` is where the process environment enters: it is handed to the
handlers once, and only `workers.settings` reads variables from it.

Errors: anything raised as `CanaryError` becomes one line on stderr and exit code 1; usage
errors (argparse) are one line and exit code 2.
"""

import argparse
import asyncio
import dataclasses
import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from workers import __version__
from workers.errors import CanaryError

#: Sub-command modules, in the order `canary --help` lists them.
COMMAND_MODULES = (
    "workers.cli.demo_cmd",
    "workers.cli.worker_cmd",
    "workers.cli.deploy_cmd",
    "workers.cli.migrate_cmd",
    "workers.cli.rate_cmd",
    "workers.cli.override_cmd",
    "workers.cli.route_cmd",
    "workers.cli.rollout_cmd",
    "workers.cli.status_cmd",
    "workers.cli.report_cmd",
    "workers.cli.prune_cmd",
    "workers.cli.load_cmd",
    "workers.cli.dev_engine_cmd",
    "workers.cli.stub_cmd",
)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line, as for every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="canary",
        description="Canary routing for Camunda 8: route a share of process instances to v2.",
    )
    parser.add_argument("--version", action="version", version=f"canary {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", metavar="COMMAND", required=True, parser_class=OneLineParser
    )
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        _configure_logging(
            environ,
            default_level="info" if getattr(args, "long_running", False) else "warning",
            level=getattr(args, "log_level", None),
        )
        return int(asyncio.run(args.handler(typed_arguments(args), environ)))
    except CanaryError as exc:
        print(f"canary: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        message = _database_error(exc)
        if message is None:
            raise
        print(f"canary: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def typed_arguments(args: argparse.Namespace) -> Any:
    """The handler's frozen dataclass, filled from the parsed Namespace by field name."""
    cls = args.arguments
    return cls(**{field.name: getattr(args, field.name) for field in dataclasses.fields(cls)})


def _database_error(exc: Exception) -> str | None:
    """One line for a database error no command expected (e.g. a database never migrated)."""
    import psycopg  # noqa: PLC0415

    if isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName):
        return "the rollout store has no schema here yet: run `canary migrate` first"
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        first = str(exc).strip().splitlines()[0]
        return f"the database refused: {first} (is this the worker's read-only login?)"
    if isinstance(exc, psycopg.OperationalError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"lost the connection to Postgres: {first}"
    if isinstance(exc, psycopg.Error):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"database error: {first}"
    return None


def _configure_logging(
    environ: Mapping[str, str], *, default_level: str, level: str | None
) -> None:
    """Logs go to stderr; one-shot commands only show warnings, services show info too.

    A command that runs a service sets ``long_running=True`` in its parser defaults; one with
    its own display (the demo) sets ``log_level``. CANARY_LOG_LEVEL wins over both.
    """
    from workers.logs import configure_logging  # noqa: PLC0415
    from workers.settings import LoggingSettings  # noqa: PLC0415

    settings = LoggingSettings.from_env(environ, default_level=level or default_level)
    configure_logging(settings, stream=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
