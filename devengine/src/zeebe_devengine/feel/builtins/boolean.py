"""Boolean and miscellaneous built-ins: not, is defined, get or else, assert, is."""

from typing import Any

from zeebe_devengine.feel.builtins.registry import builtin
from zeebe_devengine.feel.values import EvaluationFailure, kind


@builtin("not", "negand")
def _not(negand: Any) -> bool | None:
    return (not negand) if isinstance(negand, bool) else None


@builtin("is defined", "value")
def _is_defined(_value: Any) -> bool:
    # The evaluator answers `is defined(x)` itself (a missing x is false); a value that
    # reaches this body exists, and null counts as defined.
    return True


@builtin("get or else", "value", "default")
def _get_or_else(value: Any, default: Any) -> Any:
    return default if value is None else value


@builtin("assert", "value", "condition")
def _assert(value: Any, condition: Any) -> Any:
    if condition is not True:
        msg = "Assertion failure: the condition is not fulfilled"
        raise EvaluationFailure(msg)
    return value


@builtin("assert", "value", "condition", "cause")
def _assert_with_cause(value: Any, condition: Any, cause: Any) -> Any:
    if condition is not True:
        raise EvaluationFailure(f"Assertion failure: {cause}")
    return value


@builtin("is", "value1", "value2")
def _is(value1: Any, value2: Any) -> bool:
    if kind(value1) != kind(value2):
        return False
    zone = getattr(value1, "tzinfo", None), getattr(value2, "tzinfo", None)
    return bool(value1 == value2) and zone[0] == zone[1]
