"""`canary`: the one command-line entry point of the project.

Each sub-command lives in its own module exposing ``register(subparsers)``; registering only
declares arguments, so `canary --help` stays fast and heavy imports happen when a command
runs. A handler is an ``async def`` taking the parsed arguments and returning the exit code.

Errors: anything raised as `CanaryError` becomes one line on stderr and exit code 1; usage
errors (argparse) are one line and exit code 2.
"""

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from workers import __version__
from workers.errors import CanaryError

#: Sub-command modules, in the order `canary --help` lists them.
COMMAND_MODULES = (
    "workers.cli.migrate_cmd",
    "workers.cli.rate_cmd",
    "workers.cli.rollout_cmd",
    "workers.cli.override_cmd",
    "workers.cli.route_cmd",
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _configure_logging(quiet=not getattr(args, "long_running", False))
        return int(asyncio.run(args.handler(args)))
    except CanaryError as exc:
        print(f"canary: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _configure_logging(*, quiet: bool) -> None:
    """Logs go to stderr; one-shot commands only show warnings, services show info too.

    A command that runs a service sets ``long_running=True`` in its parser defaults.
    """
    import os  # noqa: PLC0415

    from workers.logs import configure_logging  # noqa: PLC0415
    from workers.settings import LoggingSettings  # noqa: PLC0415

    settings = LoggingSettings.from_env(os.environ)
    if quiet and "CANARY_LOG_LEVEL" not in os.environ:
        settings = LoggingSettings(settings.format, "warning", settings.redact_keys)
    configure_logging(settings, stream=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
