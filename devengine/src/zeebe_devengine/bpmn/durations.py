"""ISO-8601 durations for timer events (``PT30S``, ``P1DT2H``, ``PT0.5S``), in milliseconds.

Weeks, days, hours, minutes and (fractional) seconds are supported. Years and months are
refused: their length depends on the calendar, and the timers we model never need them.
"""

import re
from decimal import Decimal

from zeebe_devengine.errors import InvalidArgumentError

_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_MS = {"weeks": 604_800_000, "days": 86_400_000, "hours": 3_600_000, "minutes": 60_000}
#: Longer than any timer a test or demo needs; keeps scheduler arithmetic finite.
MAX_DURATION_MS = 100 * 365 * 86_400_000


def parse_duration_ms(text: str) -> int:
    """``"PT1M30S"`` -> 90000. Raises InvalidArgumentError with a one-line reason."""
    value = text.strip()
    match = _DURATION.match(value)
    if match is None or value == "P" or not any(match.groupdict().values()):
        msg = f"'{text}' is not an ISO-8601 duration such as PT30S or P1DT2H"
        raise InvalidArgumentError(msg)
    if match.group("years") or match.group("months"):
        msg = f"duration '{text}' uses years or months, which the dev engine does not support"
        raise InvalidArgumentError(msg)
    total = Decimal(0)
    for name, unit in _MS.items():
        if match.group(name):
            total += int(match.group(name)) * unit
    if match.group("seconds"):
        total += Decimal(match.group("seconds").replace(",", ".")) * 1000
    if total > MAX_DURATION_MS:
        msg = f"duration '{text}' is longer than the dev engine's limit of 100 years"
        raise InvalidArgumentError(msg)
    return int(total)
