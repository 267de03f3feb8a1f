"""Temporal built-ins: the constructors date(), time(), date and time(), duration(),
years and months duration(), and now(), today(), day of week/year, week of year,
month of year, last day of month. now() and today() read the evaluation's clock."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zeebe_devengine.feel import temporal
from zeebe_devengine.feel.builtins.registry import builtin, date_like, integer, string
from zeebe_devengine.feel.values import InvalidArgument

Clock = Callable[[], dt.datetime]
T = TypeVar("T")


def _parsed(parse: Callable[[str], T], text: Any) -> T:
    try:
        return parse(string(text))
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None


@builtin("date", "from")
def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _parsed(temporal.parse_date, value)


@builtin("date", "year", "month", "day")
def _date_parts(year: Any, month: Any, day: Any) -> dt.date:
    return dt.date(integer(year), integer(month), integer(day))


@builtin("time", "from")
def _time(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.time):
        return value
    return _parsed(temporal.parse_time, value)


def _offset(offset: Any) -> dt.tzinfo | None:
    if offset is None:
        return None
    if not isinstance(offset, dt.timedelta):
        msg = "expected a days and time duration as offset"
        raise InvalidArgument(msg)
    return dt.timezone(offset)


@builtin("time", "hour", "minute", "second")
def _time_parts(hour: Any, minute: Any, second: Any) -> dt.time:
    return _time_parts_offset(hour, minute, second, None)


@builtin("time", "hour", "minute", "second", "offset")
def _time_parts_offset(hour: Any, minute: Any, second: Any, offset: Any) -> dt.time:
    if not isinstance(second, Decimal):
        msg = "expected a number as second"
        raise InvalidArgument(msg)
    micros = int((second - int(second)) * 1_000_000)
    return dt.time(integer(hour), integer(minute), int(second), micros, tzinfo=_offset(offset))


@builtin("date and time", "from")
def _date_and_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return _parsed(temporal.parse_date_time, value)


@builtin("date and time", "date", "time")
def _date_and_time_parts(day: Any, moment: Any) -> dt.datetime:
    if isinstance(moment, str):  # date and time(date, timezone)
        try:
            zone = ZoneInfo(moment)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone '{moment}'"
            raise InvalidArgument(msg) from None
        if isinstance(day, dt.datetime) and day.tzinfo is not None:
            return day.astimezone(zone)
        return dt.datetime.combine(date_like(day), dt.time(), tzinfo=zone)
    if not isinstance(moment, dt.time):
        msg = "expected a time"
        raise InvalidArgument(msg)
    base = day.date() if isinstance(day, dt.datetime) else date_like(day)
    return dt.datetime.combine(base, moment, tzinfo=moment.tzinfo)


@builtin("duration", "from")
def _duration(value: Any) -> Any:
    return _parsed(temporal.parse_duration, value)


@builtin("years and months duration", "from", "to")
def _years_and_months(start: Any, end: Any) -> temporal.YearsMonths:
    return temporal.months_between(date_like(start), date_like(end))


@builtin("now", clocked=True)
def _now(clock: Clock) -> dt.datetime:
    return clock()


@builtin("today", clocked=True)
def _today(clock: Clock) -> dt.date:
    return clock().date()


@builtin("day of week", "date")
def _day_of_week(day: Any) -> str:
    return temporal.WEEKDAYS[date_like(day).weekday()]


@builtin("day of year", "date")
def _day_of_year(day: Any) -> Decimal:
    return Decimal(date_like(day).timetuple().tm_yday)


@builtin("week of year", "date")
def _week_of_year(day: Any) -> Decimal:
    return Decimal(date_like(day).isocalendar()[1])


@builtin("month of year", "date")
def _month_of_year(day: Any) -> str:
    return temporal.MONTHS[date_like(day).month - 1]


@builtin("last day of month", "date")
def _last_day_of_month(day: Any) -> dt.date:
    value = date_like(day)
    return temporal.last_day_of_month(value.date() if isinstance(value, dt.datetime) else value)


builtin("date and time", "date", "timezone")(_date_and_time_parts)
