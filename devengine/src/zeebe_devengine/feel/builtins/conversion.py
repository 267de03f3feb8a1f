"""Conversion built-ins: string(), number(), context() (the temporal constructors are in
`builtins.temporal`)."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from zeebe_devengine.feel.builtins.registry import builtin, context, items, string
from zeebe_devengine.feel.temporal import format_temporal
from zeebe_devengine.feel.values import InvalidArgument, format_number, render

_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@builtin("string", "from")
def _string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format_number(value)
    temporal = format_temporal(value)
    return temporal if temporal is not None else render(value)


def _number(text: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        msg = f"'{text}' is not a number"
        raise InvalidArgument(msg)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        msg = f"'{text}' is not a number"
        raise InvalidArgument(msg) from None


@builtin("number", "from")
def _number_from(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else _number(string(value))


@builtin("number", "from", "grouping separator", "decimal separator")
def _number_separators(value: Any, grouping: Any, decimal: Any) -> Decimal:
    text = string(value)
    if grouping is not None:
        if string(grouping) not in {" ", ",", "."} or grouping == decimal:
            msg = f"'{grouping}' is not a valid grouping separator"
            raise InvalidArgument(msg)
        text = text.replace(grouping, "")
    if decimal is not None:
        if string(decimal) not in {",", "."}:
            msg = f"'{decimal}' is not a valid decimal separator"
            raise InvalidArgument(msg)
        text = text.replace(decimal, ".")
    return _number(text)


@builtin("context", "entries")
def _context(entries: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in items(entries):
        pair = context(entry)
        if "key" not in pair or "value" not in pair:
            msg = "each entry needs a 'key' and a 'value'"
            raise InvalidArgument(msg)
        result[string(pair["key"])] = pair["value"]
    return result
