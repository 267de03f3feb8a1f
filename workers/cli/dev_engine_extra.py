"""The dev engine, an optional extra (`camunda-canary[demo]`): loaded lazily, missing in one line.

Only `canary demo` and `canary dev-engine` use it; they import it inside these context managers,
so the rest of the product (and the worker image, which does not have it) never does.
"""

import contextlib
from collections.abc import Iterator

from workers.errors import CanaryError, InputError

ENGINE_PACKAGE = "zeebe_devengine"
MISSING = "the dev engine is not installed: pip install 'camunda-canary[demo]'"


class DevEngineMissingError(CanaryError):
    """`zeebe-devengine` is not installed in this environment."""


@contextlib.contextmanager
def dev_engine_required() -> Iterator[None]:
    """Import the dev engine (or what imports it) inside; its absence becomes one line."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != ENGINE_PACKAGE:
            raise
        raise DevEngineMissingError(MISSING) from None


@contextlib.contextmanager
def engine_errors_as_input() -> Iterator[None]:
    """The engine's own errors (a port in use, an invalid model) as one-line command errors."""
    with dev_engine_required():
        from zeebe_devengine.errors import DevEngineError  # noqa: PLC0415

    try:
        yield
    except DevEngineError as exc:
        # Zeebe's deployment errors span lines; a command error is one line.
        raise InputError(" ".join(str(exc).split())) from None
