"""How a built-in is declared (`builtin`), and the argument checks the families share.

A check that fails raises InvalidArgument: the call yields null with a
``[FUNCTION_INVOCATION_FAILURE]`` warning naming the function, as feel-scala reports it.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from zeebe_devengine.feel.values import Function, InvalidArgument, kind, render

REGISTRY: dict[str, list[Function]] = {}

Body = TypeVar("Body", bound=Callable[..., Any])


def builtin(
    name: str, *params: str, variadic: bool = False, clocked: bool = False
) -> Callable[[Body], Body]:
    """Register the decorated body as an overload of the built-in `name`."""

    def register(body: Body) -> Body:
        REGISTRY.setdefault(name, []).append(Function(name, params, body, variadic, clocked))
        return body

    return register


def _refuse(expected: str, value: Any) -> InvalidArgument:
    return InvalidArgument(f"expected {expected} but found '{render(value)}'")


def number(value: Any) -> Decimal:
    if not isinstance(value, Decimal):
        raise _refuse("a number", value)
    return value


def integer(value: Any) -> int:
    if not isinstance(value, Decimal) or value != value.to_integral_value():
        raise _refuse("a whole number", value)
    return int(value)


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise _refuse("a string", value)
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _refuse("a boolean", value)
    return value


def items(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _refuse("a list", value)
    return value


def context(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _refuse("a context", value)
    return value


def date_like(value: Any) -> dt.date:
    """A date, or a date and time."""
    if not isinstance(value, dt.date):
        raise _refuse("a date", value)
    return value


def spread(values: list[Any]) -> list[Any]:
    """Variadic list functions take ``f([1, 2])`` as well as ``f(1, 2)``."""
    if len(values) == 1 and isinstance(values[0], list):
        return list(values[0])
    return values


def same_kind(values: list[Any]) -> list[Any]:
    """Values that can be ordered together (min, max, sort keys)."""
    kinds = {kind(value) for value in values}
    if len(kinds) > 1 or kinds & {"Null", "boolean", "list", "context", "function", "range"}:
        msg = f"cannot order the values {render(values)}"
        raise InvalidArgument(msg)
    return values
