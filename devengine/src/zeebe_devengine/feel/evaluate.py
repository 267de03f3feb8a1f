"""Evaluate parsed FEEL with Camunda's null semantics.

FEEL never throws on bad data: a missing variable, a missing context entry, comparing values
of different types, arithmetic on non-numbers, a division by zero or a built-in given the
wrong arguments all yield ``null``, and the evaluation records a warning, as feel-scala does.
The engine turns those warnings into incident messages (for example ``[NOT_COMPARABLE] Can't
compare '"2"' with '2'`` when a condition compares a string with a number). Only ``assert``
fails an evaluation outright (`Result.failure`).

``now()`` and ``today()`` read the `Clock` given to `evaluate` (the engine's clock), which
defaults to the system's.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zeebe_devengine.feel.ast import Node, UnaryTests
from zeebe_devengine.feel.evaluator import Evaluator
from zeebe_devengine.feel.parser import Expression
from zeebe_devengine.feel.values import EvaluationFailure, from_json, render, to_json, type_name

__all__ = [
    "Clock",
    "Lookup",
    "Result",
    "epoch_clock",
    "evaluate",
    "evaluate_value",
    "from_json",
    "lookup_in",
    "matches",
    "render",
    "system_clock",
    "to_json",
    "type_name",
]

#: Looks a variable up: (found, value). Values are JSON values (dict, list, str, int, ...).
Lookup = Callable[[str], tuple[bool, Any]]

#: The current moment, zoned (``now()``); `today()` is its date.
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def epoch_clock(now_ms: Callable[[], int]) -> Clock:
    """A Clock reading milliseconds since the epoch (the engine's scheduler), in UTC."""
    return lambda: dt.datetime.fromtimestamp(now_ms() / 1000, dt.UTC)


@dataclass(slots=True)
class Result:
    value: Any  # JSON value: None, bool, int, float, str, list, dict
    warnings: list[str] = field(default_factory=list)
    failure: str | None = None  # set when the evaluation failed (assert), value is None

    def describe_warnings(self) -> str:
        lines = ([self.failure] if self.failure else []) + self.warnings
        if not lines:
            return ""
        return "The evaluation reported the following warnings:\n" + "\n".join(lines)


def evaluate(expression: Expression, lookup: Lookup, clock: Clock | None = None) -> Result:
    """Evaluate `expression` against the variables `lookup` sees; the result is JSON."""
    warnings: list[str] = []
    try:
        value = Evaluator(lookup, warnings, clock or system_clock).eval(expression.tree)
    except EvaluationFailure as exc:
        return Result(None, warnings, failure=str(exc))
    return Result(to_json(value), warnings)


def evaluate_value(
    node: Node, lookup: Lookup, warnings: list[str], clock: Clock | None = None
) -> Any:
    """A FEEL value (not JSON: dates stay dates); raises EvaluationFailure (DMN uses this)."""
    return Evaluator(lookup, warnings, clock or system_clock).eval(node)


def matches(
    tests: UnaryTests,
    value: Any,
    lookup: Lookup,
    warnings: list[str],
    clock: Clock | None = None,
) -> bool:
    """Whether the FEEL value `value` passes the unary tests (a DMN input entry)."""
    return Evaluator(lookup, warnings, clock or system_clock).unary_tests(tests, value) is True


def lookup_in(variables: Mapping[str, Any]) -> Lookup:
    """A Lookup over one mapping (convenient for tests and simple contexts)."""

    def lookup(name: str) -> tuple[bool, Any]:
        if name in variables:
            return True, variables[name]
        return False, None

    return lookup
