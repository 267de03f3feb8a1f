"""Calling a function value: choosing the overload, binding positional or named arguments.

A call no overload fits (an unknown name, or the wrong number or names of arguments) yields
null with ``[NO_FUNCTION_FOUND]``; a built-in refusing its arguments yields null with
``[FUNCTION_INVOCATION_FAILURE]``, as feel-scala reports them.
"""

import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import Any, Protocol

from zeebe_devengine.feel.values import Function, InvalidArgument


class Caller(Protocol):
    clock: Callable[[], dt.datetime]

    def warn(self, code: str, message: str) -> None: ...


def _positional(function: Function, args: list[Any]) -> list[Any] | None:
    count = len(function.params)
    if not function.variadic:
        return args if len(args) == count else None
    if len(args) < count - 1:
        return None
    return [*args[: count - 1], args[count - 1 :]]


def _named(function: Function, named: dict[str, Any]) -> list[Any] | None:
    if set(named) != set(function.params):
        return None
    args = [named[param] for param in function.params]
    if function.variadic and not isinstance(args[-1], list):
        args[-1] = [args[-1]]
    return args


def invoke(
    name: str,
    candidates: tuple[Function, ...],
    args: list[Any],
    named: dict[str, Any] | None,
    caller: Caller,
) -> Any:
    bound: list[Any] | None = None
    chosen: Function | None = None
    ordered = sorted(candidates, key=lambda function: function.variadic)  # exact arity first
    for function in ordered:
        bound = _positional(function, args) if named is None else _named(function, named)
        if bound is not None:
            chosen = function
            break
    if chosen is None or bound is None:
        given = len(args) if named is None else ", ".join(named)
        what = f"{given} parameters" if named is None else f"parameters '{given}'"
        caller.warn("NO_FUNCTION_FOUND", f"No function found with name '{name}' and {what}")
        return None
    try:
        if chosen.clocked:
            return chosen.body(caller.clock, *bound)
        return chosen.body(*bound)
    except (InvalidArgument, ValueError, TypeError, ArithmeticError, re.error) as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, decimal.DecimalException | OverflowError):
            reason = "the result is out of FEEL's number range"
        caller.warn("FUNCTION_INVOCATION_FAILURE", f"Failed to invoke function '{name}': {reason}")
        return None
