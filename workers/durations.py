"""The one grammar for durations people type: a number and a unit, ``250ms`` to ``2w``.

Settings (``CANARY_CONFIG_REFRESH=30s``) and command-line spans (``--since 6h``,
``--older-than 30d``) read the same words; each caller keeps its own error wording and
limits: a setting may omit the unit (seconds), a span must say it and lie within ten years.
"""

import re
from datetime import timedelta

from workers.errors import InputError

#: re.ASCII: a bare `\d` also matches Arabic-Indic and fullwidth digits, which float() reads,
#: so an Arabic-Indic `5h` passed as 5 hours; durations read ASCII decimals only, as rates do.
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$", re.ASCII)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0, "w": 604_800.0}
#: Longer than any retention or report window anyone means; keeps datetime arithmetic safe.
_MAX_SPAN = timedelta(days=3660)


def duration_seconds(text: str, *, unit_required: bool = False) -> float | None:
    """Seconds written in `text`, or None when it is not a duration (a bare number is seconds
    unless `unit_required`)."""
    match = _DURATION.match(text)
    if match is None or (unit_required and match.group(2) is None):
        return None
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]


def parse_span(text: str, *, flag: str) -> timedelta:
    """A positive span with a unit, or `InputError` naming the flag."""
    seconds = duration_seconds(text, unit_required=True)
    if seconds is None:
        raise InputError(f"{flag} {text!r} is not a duration (examples: 90s, 15m, 6h, 30d, 2w)")
    if seconds > _MAX_SPAN.total_seconds():
        raise InputError(f"{flag} {text!r} is longer than ten years")
    span = timedelta(seconds=seconds)
    if span <= timedelta(0):
        raise InputError(f"{flag} must be longer than 0")
    return span
