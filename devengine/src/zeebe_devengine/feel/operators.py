"""FEEL's operators on values: equality, ordering, arithmetic (numbers, strings, temporal).

Nothing here raises on bad data: a mismatch yields null and a warning through `warn`, as
feel-scala does (``[NOT_COMPARABLE] Can't compare '"2"' with '2'``).
"""

import datetime as dt
import decimal
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel.temporal import YearsMonths, add_months
from zeebe_devengine.feel.values import NUMBERS, Function, Range, kind, render

Warn = Callable[[str, str], None]

_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDERINGS_AND_EQUAL: dict[str, Callable[[Any, Any], bool]] = {**_ORDERINGS, "=": operator.eq}
_ORDERED = frozenset(
    {
        "number",
        "string",
        "date",
        "time",
        "date and time",
        "days and time duration",
        "years and months duration",
    }
)
_NUMBER_OPERATIONS: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": NUMBERS.add,
    "-": NUMBERS.subtract,
    "*": NUMBERS.multiply,
    "/": NUMBERS.divide,
    "**": NUMBERS.power,
}


def _naive_and_aware(left: Any, right: Any) -> bool:
    """A local time (no zone) and a zoned one: Camunda refuses to compare them."""
    if isinstance(left, dt.time | dt.datetime) and isinstance(right, dt.time | dt.datetime):
        return (left.tzinfo is None) != (right.tzinfo is None)
    return False


def _not_comparable(warn: Warn, left: Any, right: Any) -> None:
    warn("NOT_COMPARABLE", f"Can't compare '{render(left)}' with '{render(right)}'")


_SIMPLE = (Decimal, str)


def compare(op: str, left: Any, right: Any, warn: Warn) -> bool | None:
    """``= != < <= > >=``; null when the values are of different types."""
    if type(left) is type(right) and isinstance(left, _SIMPLE):  # the common case, fast
        return (left != right) if op == "!=" else _ORDERINGS_AND_EQUAL[op](left, right)
    if op in {"=", "!="}:
        same = equal(left, right, warn)
        return same if same is None or op == "=" else not same
    if left is None or right is None:
        return None
    if kind(left) != kind(right) or kind(left) not in _ORDERED or _naive_and_aware(left, right):
        _not_comparable(warn, left, right)
        return None
    try:
        return _ORDERINGS[op](left, right)
    except TypeError:  # two times in named zones have no offset without a date
        _not_comparable(warn, left, right)
        return None


def equal(left: Any, right: Any, warn: Warn) -> bool | None:  # noqa: PLR0911 - per type
    if left is None or right is None:
        return left is None and right is None
    if kind(left) != kind(right) or _naive_and_aware(left, right):
        _not_comparable(warn, left, right)
        return None
    if isinstance(left, list):
        if len(left) != len(right):
            return False
        return all_true([equal(a, b, warn) for a, b in zip(left, right, strict=True)])
    if isinstance(left, dict):
        if set(left) != set(right):
            return False
        return all_true([equal(left[key], right[key], warn) for key in left])
    if isinstance(left, Function):
        return left is right
    return bool(left == right)


def all_true(results: list[bool | None]) -> bool | None:
    if any(result is False for result in results):
        return False
    if any(result is None for result in results):
        return None
    return True


def in_range(value: Any, bounds: Range, warn: Warn) -> bool | None:
    """Whether `value` lies in `bounds` (an end of None is unbounded)."""
    checks: list[bool | None] = []
    if bounds.start is not None:
        checks.append(compare("<=" if bounds.start_closed else "<", bounds.start, value, warn))
    if bounds.end is not None:
        checks.append(compare(">=" if bounds.end_closed else ">", bounds.end, value, warn))
    return all_true(checks)


def negate(value: Any, warn: Warn) -> Any:
    if isinstance(value, Decimal | dt.timedelta):
        return -value
    if isinstance(value, YearsMonths):
        return YearsMonths(-value.months)
    if value is not None:
        warn("INVALID_TYPE", f"Can't negate '{render(value)}'")
    return None


def arithmetic(op: str, left: Any, right: Any, warn: Warn) -> Any:
    if left is None or right is None:
        return None
    try:
        result = _numbers(op, left, right) if isinstance(left, Decimal) else None
        if result is None:
            result = _temporal(op, left, right)
    except ZeroDivisionError:
        warn("INVALID_TYPE", f"Can't divide '{render(left)}' by zero")
        return None
    except (decimal.DecimalException, ValueError, OverflowError):
        warn("INVALID_TYPE", f"Can't compute '{render(left)}' {op} '{render(right)}'")
        return None
    if result is None:
        warn("INVALID_TYPE", f"Can't apply '{op}' to '{render(left)}' and '{render(right)}'")
    return result


def _numbers(op: str, left: Decimal, right: Any) -> Any:
    if isinstance(right, Decimal):
        if op == "/" and right == 0:
            raise ZeroDivisionError
        return _NUMBER_OPERATIONS[op](left, right)
    if op == "*" and isinstance(right, dt.timedelta | YearsMonths):
        return _scale(right, left)
    return None


def _scale(duration: dt.timedelta | YearsMonths, factor: Decimal) -> Any:
    if isinstance(duration, YearsMonths):
        return YearsMonths(int(NUMBERS.multiply(Decimal(duration.months), factor)))
    micros = Decimal(duration // dt.timedelta(microseconds=1))
    return dt.timedelta(microseconds=int(NUMBERS.multiply(micros, factor)))


def _temporal(op: str, left: Any, right: Any) -> Any:
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    if op in {"+", "-"}:
        return _shift(op, left, right)
    if op == "*" and isinstance(left, dt.timedelta | YearsMonths) and isinstance(right, Decimal):
        return _scale(left, right)
    if op == "/" and isinstance(left, dt.timedelta | YearsMonths):
        if isinstance(right, Decimal):
            if right == 0:
                raise ZeroDivisionError
            return _scale(left, NUMBERS.divide(Decimal(1), right))
        if kind(right) == kind(left):
            divisor = _amount(right)
            if divisor == 0:
                raise ZeroDivisionError
            return NUMBERS.divide(_amount(left), divisor)
    return None


def _amount(duration: dt.timedelta | YearsMonths) -> Decimal:
    if isinstance(duration, YearsMonths):
        return Decimal(duration.months)
    return Decimal(duration // dt.timedelta(microseconds=1))


def _shift(op: str, left: Any, right: Any) -> Any:  # noqa: PLR0911 - one return per pairing
    sign = 1 if op == "+" else -1
    if isinstance(right, YearsMonths):
        if isinstance(left, YearsMonths):
            return YearsMonths(left.months + sign * right.months)
        if isinstance(left, dt.date):  # date and date and time
            return add_months(left, sign * right.months)
        return None
    if isinstance(right, dt.timedelta):
        return _shift_days_time(left, sign * right)
    if op == "+" and isinstance(left, dt.timedelta | YearsMonths):
        return _shift(op, right, left) if kind(right) in {"date", "date and time", "time"} else None
    if op == "-":
        return _difference(left, right)
    return None


def _shift_days_time(left: Any, delta: dt.timedelta) -> Any:
    if isinstance(left, dt.timedelta | dt.datetime):
        return left + delta
    if isinstance(left, dt.date):
        return (dt.datetime.combine(left, dt.time()) + delta).date()
    if isinstance(left, dt.time):
        return (dt.datetime.combine(dt.date(2000, 1, 1), left) + delta).timetz()
    return None


def _difference(left: Any, right: Any) -> Any:
    if kind(left) != kind(right) or _naive_and_aware(left, right):
        return None
    if isinstance(left, dt.datetime):
        return left - right
    if isinstance(left, dt.date):
        return dt.timedelta(days=(left - right).days)
    if isinstance(left, dt.time):
        day = dt.date(2000, 1, 1)
        return dt.datetime.combine(day, left) - dt.datetime.combine(day, right)
    return None
