"""Properties of temporal values and ranges (``d.year``, ``t.time offset``, ``r.start``)."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel.temporal import YearsMonths, time_offset, timezone_name
from zeebe_devengine.feel.values import Range

_DATE: dict[str, Callable[[Any], Any]] = {
    "year": lambda v: Decimal(v.year),
    "month": lambda v: Decimal(v.month),
    "day": lambda v: Decimal(v.day),
    "weekday": lambda v: Decimal(v.isoweekday()),
}
_TIME: dict[str, Callable[[Any], Any]] = {
    "hour": lambda v: Decimal(v.hour),
    "minute": lambda v: Decimal(v.minute),
    "second": lambda v: Decimal(v.second),
    "time offset": time_offset,
    "timezone": timezone_name,
}


def _days_time(value: dt.timedelta, key: str) -> Any:
    micros = value // dt.timedelta(microseconds=1)
    sign = -1 if micros < 0 else 1
    seconds = abs(micros) // 1_000_000
    parts = {
        "days": seconds // 86_400,
        "hours": seconds // 3600 % 24,
        "minutes": seconds // 60 % 60,
        "seconds": seconds % 60,
    }
    return Decimal(sign * parts[key]) if key in parts else None


def property_of(value: Any, key: str) -> tuple[bool, Any]:  # noqa: PLR0911 - one per type
    """(found, value) for a property of a non-context value."""
    if isinstance(value, dt.datetime):
        table = {**_DATE, **_TIME}
        return (True, table[key](value)) if key in table else (False, None)
    if isinstance(value, dt.date):
        return (True, _DATE[key](value)) if key in _DATE else (False, None)
    if isinstance(value, dt.time):
        return (True, _TIME[key](value)) if key in _TIME else (False, None)
    if isinstance(value, dt.timedelta):
        found = key in {"days", "hours", "minutes", "seconds"}
        return found, _days_time(value, key)
    if isinstance(value, YearsMonths):
        sign = -1 if value.months < 0 else 1
        years, months = divmod(abs(value.months), 12)
        parts = {"years": sign * years, "months": sign * months}
        return (True, Decimal(parts[key])) if key in parts else (False, None)
    if isinstance(value, Range):
        parts = {
            "start": value.start,
            "end": value.end,
            "start included": value.start_closed,
            "end included": value.end_closed,
        }
        return (True, parts[key]) if key in parts else (False, None)
    return False, None
