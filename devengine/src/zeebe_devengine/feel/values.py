"""FEEL values in Python, and their passage to and from JSON (Zeebe's variable documents).

null ``None``, boolean ``bool``, number ``Decimal`` (FEEL has one number type, a 128-bit
decimal: ``0.1 + 0.2 = 0.3`` holds), string ``str``, list ``list``, context ``dict``, the
temporal values of `temporal`, `Range` and `Function`. Variables arrive as JSON and results
leave as JSON: `to_json` turns whole decimals into ints and temporal values into ISO text.
"""

import datetime as dt
import decimal
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel.temporal import YearsMonths, format_temporal

#: FEEL numbers are 128-bit decimals (34 significant digits).
NUMBERS = decimal.Context(prec=34, traps=[decimal.InvalidOperation, decimal.Overflow])

#: Whole numbers beyond int64 become floats, as in Zeebe's variable documents.
_INT_LIMIT = Decimal(2**63)


class EvaluationFailure(Exception):  # noqa: N818 - FEEL's name for it ("failure")
    """An evaluation that fails instead of yielding null (``assert``), as feel-scala does."""


class InvalidArgument(Exception):  # noqa: N818 - a built-in's answer, turned into a warning
    """A built-in cannot work with its arguments: the call yields null with a warning."""


@dataclass(frozen=True, slots=True)
class Range:
    """A range value: ``[1..5]``, ``(a..b]``; an end of None is unbounded (``< 5``)."""

    start: Any
    start_closed: bool
    end: Any
    end_closed: bool


@dataclass(frozen=True, slots=True)
class Function:
    """A function value: a built-in or ``function(a, b) ...``.

    `body` takes the evaluated arguments in `params` order; a `variadic` function's last
    parameter collects the remaining positional arguments as a list. A `clocked` body takes
    the evaluation's clock first (``now()``, ``today()``).
    """

    name: str
    params: tuple[str, ...]
    body: Callable[..., Any]
    variadic: bool = False
    clocked: bool = False


def from_json(value: Any) -> Any:
    """JSON value -> FEEL value (numbers become Decimals)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, list):
        return [from_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): from_json(item) for key, item in value.items()}
    return value


def to_json(value: Any) -> Any:
    """FEEL value -> JSON value (whole decimals become ints, temporal values ISO text)."""
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and abs(value) < _INT_LIMIT:
            return int(value)
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, Range | Function):
        return None
    text = format_temporal(value)
    return value if text is None else text


#: Python type -> FEEL type name; date and time before date (a datetime is a date).
_KINDS: tuple[tuple[type, str], ...] = (
    (type(None), "Null"),
    (bool, "boolean"),
    (Decimal, "number"),
    (str, "string"),
    (list, "list"),
    (dict, "context"),
    (dt.datetime, "date and time"),
    (dt.date, "date"),
    (dt.time, "time"),
    (dt.timedelta, "days and time duration"),
    (YearsMonths, "years and months duration"),
    (Range, "range"),
)


def kind(value: Any) -> str:
    """FEEL's name of the value's type (as ``instance of`` spells it)."""
    for python_type, name in _KINDS:
        if isinstance(value, python_type):
            return name
    return "function"


def render(value: Any) -> str:  # noqa: PLR0911 - one return per type
    """A value as FEEL prints it in messages: strings quoted, numbers plain."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}:{render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, Range):
        opening = "[" if value.start_closed else "("
        closing = "]" if value.end_closed else ")"
        return f"{opening}{render(value.start)}..{render(value.end)}{closing}"
    if isinstance(value, Function):
        return f"function {value.name}"
    text = format_temporal(value)
    return f'{kind(value)}("{text}")' if text is not None else str(value)


def format_number(value: Decimal) -> str:
    """Plain notation without a trailing fraction of zeros: 1.50 -> "1.5", 1E+2 -> "100"."""
    return f"{NUMBERS.normalize(value):f}"


def type_name(value: Any) -> str:
    """The JSON type of a value, as Zeebe names it in incident messages."""
    value = to_json(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        return "ARRAY"
    return "OBJECT"
