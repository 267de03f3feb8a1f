"""Spans of time typed by people on the command line: ``90s``, ``15m``, ``6h``, ``30d``, ``2w``."""

import re
from datetime import timedelta

from workers.errors import InputError

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
#: Longer than any retention or report window anyone means; keeps datetime arithmetic safe.
_MAX = timedelta(days=3660)


def parse_span(text: str, *, flag: str) -> timedelta:
    """A positive span with a unit, or `InputError` naming the flag."""
    match = _SPAN.match(text)
    if match is None:
        raise InputError(f"{flag} {text!r} is not a duration (examples: 90s, 15m, 6h, 30d, 2w)")
    seconds = float(match.group(1)) * _UNIT[match.group(2)]
    if seconds <= 0:
        raise InputError(f"{flag} must be longer than 0")
    # Compared as seconds: timedelta() itself overflows on "999999999999h" (a traceback).
    if seconds > _MAX.total_seconds():
        raise InputError(f"{flag} {text!r} is longer than ten years")
    return timedelta(seconds=seconds)
