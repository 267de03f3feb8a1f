"""Evaluate a parsed FEEL expression with FEEL's null semantics.

FEEL never throws on bad data: a missing variable, a missing context entry, comparing values of
different types, arithmetic on non-numbers or a division by zero all yield ``null``, and the
evaluation records a warning, as Camunda's FEEL engine does. The engine turns those warnings
into incident messages (for example ``[NOT_COMPARABLE] Can't compare '"2"' with '2'`` when a
condition compares a string with a number).

Numbers are decimals (FEEL has one number type): ``0.1 + 0.2 = 0.3`` holds, and ``2 = 2.0``.
Values come from and go back to JSON: `to_json` turns whole decimals into ints.
"""

import decimal
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel.parser import (
    Arithmetic,
    Comparison,
    Expression,
    Literal,
    Logical,
    Name,
    Negate,
    Node,
    Not,
    Path,
)

#: FEEL numbers are 128-bit decimals (34 significant digits).
_CONTEXT = decimal.Context(prec=34, traps=[decimal.InvalidOperation, decimal.Overflow])

#: Whole numbers beyond int64 become floats, as in Zeebe's variable documents.
_INT_LIMIT = Decimal(2**63)

#: Looks a variable up: (found, value). Values are JSON values (dict, list, str, int, ...).
Lookup = Callable[[str], tuple[bool, Any]]


@dataclass(slots=True)
class Result:
    value: Any  # JSON value: None, bool, int, float, str, list, dict
    warnings: list[str] = field(default_factory=list)

    def describe_warnings(self) -> str:
        if not self.warnings:
            return ""
        return "The evaluation reported the following warnings:\n" + "\n".join(self.warnings)


def evaluate(expression: Expression, lookup: Lookup) -> Result:
    """Evaluate `expression` against the variables `lookup` sees."""
    warnings: list[str] = []
    value = _Evaluator(lookup, warnings).eval(expression.tree)
    return Result(to_json(value), warnings)


def lookup_in(variables: Mapping[str, Any]) -> Lookup:
    """A Lookup over one mapping (convenient for tests and simple contexts)."""

    def lookup(name: str) -> tuple[bool, Any]:
        if name in variables:
            return True, variables[name]
        return False, None

    return lookup


def from_json(value: Any) -> Any:
    """JSON value -> FEEL value (numbers become Decimals)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [from_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): from_json(item) for key, item in value.items()}
    return value


def to_json(value: Any) -> Any:
    """FEEL value -> JSON value (whole decimals become ints, others floats)."""
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and abs(value) < _INT_LIMIT:
            return int(value)
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


def render(value: Any) -> str:
    """A value as FEEL prints it in messages: strings quoted, numbers plain."""
    value = to_json(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}:{render(item)}" for key, item in value.items()) + "}"
    return str(value)


def type_name(value: Any) -> str:
    """The FEEL type of a value, as Zeebe names it in incident messages."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, Decimal | int | float):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        return "ARRAY"
    return "OBJECT"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    return "null"


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NUMBER_OPERATIONS: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": _CONTEXT.add,
    "-": _CONTEXT.subtract,
    "*": _CONTEXT.multiply,
    "/": _CONTEXT.divide,
    "**": _CONTEXT.power,
}


def _as_bool(value: Any) -> bool | None:
    """FEEL's logic is three-valued: anything but a boolean counts as null."""
    return value if isinstance(value, bool) else None


def _and(left: Any, right: Any) -> bool | None:
    operands = (_as_bool(left), _as_bool(right))
    if False in operands:
        return False
    return True if operands == (True, True) else None


def _or(left: Any, right: Any) -> bool | None:
    operands = (_as_bool(left), _as_bool(right))
    if True in operands:
        return True
    return False if operands == (False, False) else None


class _Evaluator:
    def __init__(self, lookup: Lookup, warnings: list[str]) -> None:
        self._lookup = lookup
        self._warnings = warnings

    def eval(self, node: Node) -> Any:  # noqa: PLR0911 - one return per kind of node
        match node:
            case Literal(value=value):
                return value
            case Name(name=name):
                return self._name(name)
            case Path(base=base, key=key):
                return self._path(self.eval(base), key)
            case Negate(operand=operand):
                return self._negate(self.eval(operand))
            case Not(operand=operand):
                value = _as_bool(self.eval(operand))
                return None if value is None else not value
            case Logical(op=op, left=left, right=right):
                combine = _and if op == "and" else _or
                return combine(self.eval(left), self.eval(right))
            case Comparison(op=op, left=left, right=right):
                return self._compare(op, self.eval(left), self.eval(right))
            case Arithmetic(op=op, left=left, right=right):
                return self._arithmetic(op, self.eval(left), self.eval(right))
        msg = f"unknown FEEL node {node!r}"  # pragma: no cover - the parser builds only these
        raise TypeError(msg)  # pragma: no cover

    def _warn(self, code: str, message: str) -> None:
        self._warnings.append(f"[{code}] {message}")

    def _name(self, name: str) -> Any:
        found, value = self._lookup(name)
        if not found:
            self._warn("NO_VARIABLE_FOUND", f"No variable found with name '{name}'")
            return None
        return from_json(value)

    def _negate(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return -value
        if value is not None:
            self._warn("INVALID_TYPE", f"Can't negate '{render(value)}'")
        return None

    def _path(self, base: Any, key: str) -> Any:
        if isinstance(base, dict):
            if key in base:
                return base[key]
            available = ", ".join(f"'{name}'" for name in base)
            self._warn(
                "NO_CONTEXT_ENTRY_FOUND",
                f"No context entry found with key '{key}'. Available keys: {available}",
            )
            return None
        if isinstance(base, list):
            return [self._path(item, key) for item in base]
        if base is not None:
            self._warn(
                "INVALID_TYPE",
                f"Expected a context to get '{key}' from, but found '{render(base)}'",
            )
        return None

    def _not_comparable(self, left: Any, right: Any) -> None:
        self._warn("NOT_COMPARABLE", f"Can't compare '{render(left)}' with '{render(right)}'")

    def _compare(self, op: str, left: Any, right: Any) -> bool | None:
        if op in {"=", "!="}:
            equal = self._equal(left, right)
            return equal if equal is None or op == "=" else not equal
        if left is None or right is None:
            return None
        if _kind(left) != _kind(right) or _kind(left) not in {"number", "string"}:
            self._not_comparable(left, right)
            return None
        return _ORDERINGS[op](left, right)

    def _equal(self, left: Any, right: Any) -> bool | None:
        if left is None or right is None:
            return left is None and right is None
        if _kind(left) != _kind(right):
            self._not_comparable(left, right)
            return None
        if isinstance(left, list | dict):
            return self._equal_contents(left, right)
        return bool(left == right)

    def _equal_contents(self, left: Any, right: Any) -> bool | None:
        """Lists compare element by element, contexts entry by entry."""
        if isinstance(left, list):
            if len(left) != len(right):
                return False
            pairs = list(zip(left, right, strict=True))
        else:
            if set(left) != set(right):
                return False
            pairs = [(left[key], right[key]) for key in left]
        return _all_true([self._equal(a, b) for a, b in pairs])

    def _arithmetic(self, op: str, left: Any, right: Any) -> Any:
        if left is None or right is None:
            return None
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if not isinstance(left, Decimal) or not isinstance(right, Decimal):
            self._warn(
                "INVALID_TYPE", f"Can't apply '{op}' to '{render(left)}' and '{render(right)}'"
            )
            return None
        if op == "/" and right == 0:
            self._warn("INVALID_TYPE", f"Can't divide '{render(left)}' by zero")
            return None
        try:
            return _NUMBER_OPERATIONS[op](left, right)
        except (decimal.DecimalException, ValueError):
            self._warn("INVALID_TYPE", f"Can't compute '{render(left)}' {op} '{render(right)}'")
            return None


def _all_true(results: list[bool | None]) -> bool | None:
    if any(result is False for result in results):
        return False
    if any(result is None for result in results):
        return None
    return True
