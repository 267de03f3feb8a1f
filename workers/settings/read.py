"""How one variable's text becomes a value, or one `ConfigError` line that names it.

Every settings section reads through these, so the same mistake reads the same everywhere.
"""

import math
import re
from collections.abc import Mapping

from workers.durations import duration_seconds
from workers.errors import ConfigError

_ROLLOUT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def parse_duration(text: str, *, name: str) -> float:
    """``"30"``, ``"30s"``, ``"250ms"``, ``"5m"``, ``"1h"`` -> seconds (`workers.durations`)."""
    seconds = duration_seconds(text)
    if seconds is None:
        msg = f"{name}={text!r} is not a duration (examples: 30s, 250ms, 5m)"
        raise ConfigError(msg)
    return seconds


def parse_bool(text: str, *, name: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    msg = f"{name}={text!r} is not a boolean (true/false)"
    raise ConfigError(msg)


def check_rollout_name(name: str) -> str:
    """Rollout names are short lowercase identifiers (the database enforces the same)."""
    if not _ROLLOUT_NAME.match(name):
        msg = f"rollout name {name!r} is invalid: use lowercase letters, digits, '.', '_', '-'"
        raise ConfigError(msg)
    return name


def text(environ: Mapping[str, str], name: str, default: str) -> str:
    """The variable's value, stripped; `default` when unset or blank."""
    value = environ.get(name, "").strip()
    return value or default


def seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    return parse_duration(value, name=name) if value else default


def positive_int(environ: Mapping[str, str], name: str, default: int, *, maximum: int) -> int:
    """A whole number in 1..`maximum`: a value past the range is a typo, refused at start
    (CANARY_MAX_JOBS=5000000000 once overflowed protobuf's int32 in every poll)."""
    value = text(environ, name, str(default))
    if not (value.isascii() and value.isdigit()):
        msg = f"{name}={value!r} is not a whole number"
        raise ConfigError(msg)
    number = int(value)
    if not 1 <= number <= maximum:
        msg = f"{name}={value} is out of range (1 to {maximum:,})"
        raise ConfigError(msg)
    return number


def bounded_duration(
    environ: Mapping[str, str], name: str, default: float, *, maximum: float
) -> float:
    value = seconds(environ, name, default)
    if value > maximum:
        msg = f"{name} must be at most {maximum:g} s"
        raise ConfigError(msg)
    return value


def positive_duration(environ: Mapping[str, str], name: str, default: float) -> float:
    value = seconds(environ, name, default)
    if not math.isfinite(value) or value <= 0:
        msg = f"{name} must be greater than 0"
        raise ConfigError(msg)
    return value


def first(environ: Mapping[str, str], *names: str) -> str | None:
    """The first of several alias variables that is set: CAMUNDA_* names come before ZEEBE_*
    ones everywhere, the order pyzeebe and Camunda's Python SDK use."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def name_of(environ: Mapping[str, str], *names: str) -> str:
    """Which alias the user set (for messages), else the first one."""
    return next((n for n in names if environ.get(n, "").strip()), names[0])


def port_number(value: str, *, name: str) -> int:
    # isdigit() alone takes "²", which int() refuses: ASCII digits only (issue 16, item 11).
    if not (value.isascii() and value.isdigit()) or not 0 <= int(value) < 65536:
        msg = f"{name}={value!r} is not a port number"
        raise ConfigError(msg)
    return int(value)
