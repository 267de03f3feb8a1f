"""FEEL's temporal values: how they are parsed from strings, printed, and computed with.

Representation (Python's own types where they fit):
- date: `datetime.date`
- time: `datetime.time` (no tzinfo: local; tzinfo: a fixed offset or a zone id)
- date and time: `datetime.datetime` (naive: local; aware: a fixed offset or a zone id)
- days and time duration: `datetime.timedelta`
- years and months duration: `YearsMonths` (a whole number of months)

Values print as feel-scala prints them: ``2019-09-17``, ``10:30:00+01:00``,
``2019-09-17T10:30:00@Europe/Berlin``, ``P1DT12H``, ``P1Y2M``.
"""

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATE = r"(?P<year>-?\d{4,9})-(?P<month>\d\d)-(?P<day>\d\d)"
_TIME = (
    r"(?P<hour>\d\d):(?P<minute>\d\d)(?::(?P<second>\d\d)(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?:(?P<utc>Z)|(?P<offset>[+-]\d\d:\d\d(?::\d\d)?))?(?:@(?P<zone>[A-Za-z][\w/+\-]*))?"
)
_DATE_RE = re.compile(_DATE)
_TIME_RE = re.compile(_TIME)
_DATE_TIME_RE = re.compile(f"{_DATE}(?:T{_TIME})?")
_DAY_TIME_RE = re.compile(
    r"(?P<sign>-)?P(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d{1,9})?)S)?)?"
)
_YEARS_MONTHS_RE = re.compile(r"(?P<sign>-)?P(?=\d)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, slots=True, order=True)
class YearsMonths:
    """A years and months duration, kept as a signed number of months."""

    months: int


def _zone(match: re.Match[str]) -> dt.tzinfo | None:
    if match["zone"]:
        try:
            return ZoneInfo(match["zone"])
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone '{match['zone']}'"
            raise ValueError(msg) from None
    if match["utc"]:
        return dt.UTC
    if match["offset"]:
        sign = -1 if match["offset"][0] == "-" else 1
        parts = [int(part) for part in match["offset"][1:].split(":")]
        seconds = parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)
        return dt.timezone(dt.timedelta(seconds=sign * seconds))
    return None


def _time(match: re.Match[str]) -> dt.time:
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    return dt.time(
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        int(fraction),
        tzinfo=_zone(match),
    )


def parse_date(text: str) -> dt.date:
    match = _DATE_RE.fullmatch(text)
    if match is None:
        msg = f"'{text}' is not a date (yyyy-MM-dd)"
        raise ValueError(msg)
    return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))


def parse_time(text: str) -> dt.time:
    match = _TIME_RE.fullmatch(text)
    if match is None:
        msg = f"'{text}' is not a time (HH:mm:ss)"
        raise ValueError(msg)
    return _time(match)


def parse_date_time(text: str) -> dt.datetime:
    match = _DATE_TIME_RE.fullmatch(text)
    if match is None:
        msg = f"'{text}' is not a date and time (yyyy-MM-ddTHH:mm:ss)"
        raise ValueError(msg)
    day = dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    moment = _time(match) if match["hour"] else dt.time()
    return dt.datetime.combine(day, moment, tzinfo=moment.tzinfo)


def parse_duration(text: str) -> dt.timedelta | YearsMonths:
    match = _YEARS_MONTHS_RE.fullmatch(text)
    if match is not None:
        months = int(match["years"] or 0) * 12 + int(match["months"] or 0)
        return YearsMonths(-months if match["sign"] else months)
    match = _DAY_TIME_RE.fullmatch(text)
    if match is None or text.rstrip("-") in {"P", "PT"} or text.endswith("T"):
        msg = f"'{text}' is not a duration (ISO 8601, e.g. P1DT2H or P1Y2M)"
        raise ValueError(msg)
    delta = dt.timedelta(
        days=int(match["days"] or 0),
        hours=int(match["hours"] or 0),
        minutes=int(match["minutes"] or 0),
        seconds=float(Decimal(match["seconds"] or 0)),
    )
    return -delta if match["sign"] else delta


def parse_temporal(text: str) -> object:
    """The value of ``@"..."``: a duration, a date and time, a date or a time."""
    if text.lstrip("-").startswith("P"):
        return parse_duration(text)
    if "T" in text:
        return parse_date_time(text)
    if _DATE_RE.fullmatch(text):
        return parse_date(text)
    return parse_time(text)


# -- printing -------------------------------------------------------------------------------


def _format_offset(zone: dt.tzinfo | None, when: dt.datetime | None) -> str:
    if zone is None:
        return ""
    if isinstance(zone, ZoneInfo):
        return f"@{zone.key}"
    offset = zone.utcoffset(when)
    if offset is None or offset == dt.timedelta(0):
        return "Z"
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    tail = f":{secs:02d}" if secs else ""
    return f"{sign}{hours:02d}:{minutes:02d}{tail}"


def _format_clock(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def format_time(value: dt.time) -> str:
    return _format_clock(value) + _format_offset(value.tzinfo, None)


def format_date_time(value: dt.datetime) -> str:
    return f"{format_date(value)}T{_format_clock(value)}{_format_offset(value.tzinfo, value)}"


def format_days_time(value: dt.timedelta) -> str:
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    seconds, micro = divmod(abs(micros), 1_000_000)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{days}D" if days else ""
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micro:
        clock += f"{seconds}" + (f".{micro:06d}".rstrip("0") if micro else "") + "S"
    if clock:
        text += "T" + clock
    return f"{sign}P{text or 'T0S'}"


def format_years_months(value: YearsMonths) -> str:
    sign = "-" if value.months < 0 else ""
    years, months = divmod(abs(value.months), 12)
    text = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
    return f"{sign}P{text}"


def format_temporal(value: object) -> str | None:
    """The ISO text of a temporal value, or None for any other value."""
    if isinstance(value, dt.datetime):
        return format_date_time(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, dt.time):
        return format_time(value)
    if isinstance(value, dt.timedelta):
        return format_days_time(value)
    if isinstance(value, YearsMonths):
        return format_years_months(value)
    return None


# -- arithmetic -----------------------------------------------------------------------------


def add_months(value: dt.date, months: int) -> dt.date:
    """`value` moved by whole months; the day is clamped to the month's end (Jan 31 + 1M)."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def last_day_of_month(value: dt.date) -> dt.date:
    return value.replace(day=calendar.monthrange(value.year, value.month)[1])


def months_between(start: dt.date, end: dt.date) -> YearsMonths:
    """Whole months from `start` to `end` (``years and months duration``)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    start_rest = (start.day, start.timetz() if isinstance(start, dt.datetime) else dt.time())
    end_rest = (end.day, end.timetz() if isinstance(end, dt.datetime) else dt.time())
    if months > 0 and end_rest < start_rest:
        months -= 1
    elif months < 0 and end_rest > start_rest:
        months += 1
    return YearsMonths(months)


def time_offset(value: dt.time | dt.datetime) -> dt.timedelta | None:
    zone = value.tzinfo
    if zone is None:
        return None
    if isinstance(value, dt.datetime):
        return value.utcoffset()
    return None if isinstance(zone, ZoneInfo) else zone.utcoffset(None)


def timezone_name(value: dt.time | dt.datetime) -> str | None:
    zone = value.tzinfo
    return zone.key if isinstance(zone, ZoneInfo) else None
