"""Numeric built-ins: rounding (decimal, floor, ceiling, round ...), abs, modulo, sqrt, log,
exp, odd, even, random number. Numbers are 34-digit decimals, as in feel-scala."""

import datetime as dt
import decimal
import functools
import random
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel.builtins.registry import builtin, integer, number
from zeebe_devengine.feel.temporal import YearsMonths
from zeebe_devengine.feel.values import NUMBERS, InvalidArgument, render


def _round(value: Any, scale: Any, mode: str) -> Decimal:
    places = integer(scale)
    return number(value).quantize(Decimal(1).scaleb(-places), rounding=mode, context=NUMBERS)


# name -> rounding mode; floor and ceiling also take the number alone (scale 0)
_ROUNDINGS = {
    "decimal": decimal.ROUND_HALF_EVEN,
    "floor": decimal.ROUND_FLOOR,
    "ceiling": decimal.ROUND_CEILING,
    "round up": decimal.ROUND_UP,
    "round down": decimal.ROUND_DOWN,
    "round half up": decimal.ROUND_HALF_UP,
    "round half down": decimal.ROUND_HALF_DOWN,
}
for _name, _mode in _ROUNDINGS.items():
    builtin(_name, "n", "scale")(functools.partial(_round, mode=_mode))
    if _name in {"floor", "ceiling"}:
        builtin(_name, "n")(functools.partial(_round, scale=Decimal(0), mode=_mode))


@builtin("abs", "n")
def _abs(n: Any) -> Any:
    if isinstance(n, dt.timedelta):
        return abs(n)
    if isinstance(n, YearsMonths):
        return YearsMonths(abs(n.months))
    return abs(number(n))


@builtin("modulo", "dividend", "divisor")
def _modulo(dividend: Any, divisor: Any) -> Decimal:
    if number(divisor) == 0:
        msg = "division by zero"
        raise InvalidArgument(msg)
    quotient = NUMBERS.divide(number(dividend), divisor).to_integral_value(decimal.ROUND_FLOOR)
    return NUMBERS.subtract(dividend, NUMBERS.multiply(divisor, quotient))


@builtin("sqrt", "number")
def _sqrt(n: Any) -> Decimal:
    if number(n) < 0:
        msg = f"cannot take the square root of '{render(n)}'"
        raise InvalidArgument(msg)
    return NUMBERS.sqrt(n)


@builtin("log", "number")
def _log(n: Any) -> Decimal:
    if number(n) <= 0:
        msg = f"cannot take the logarithm of '{render(n)}'"
        raise InvalidArgument(msg)
    return NUMBERS.ln(n)


@builtin("exp", "number")
def _exp(n: Any) -> Decimal:
    return NUMBERS.exp(number(n))


@builtin("odd", "number")
def _odd(n: Any) -> bool:
    value = number(n)
    return value == value.to_integral_value() and int(value) % 2 == 1


@builtin("even", "number")
def _even(n: Any) -> bool:
    value = number(n)
    return value == value.to_integral_value() and int(value) % 2 == 0


@builtin("random number")
def _random_number() -> Decimal:
    return Decimal(repr(random.random()))
