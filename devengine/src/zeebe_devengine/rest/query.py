"""Camunda REST v2 search semantics: filter properties, sorting and pagination.

Filter properties take a plain value (exact match) or an object of operators, as Camunda's:
strings ``$eq $neq $exists $in $notIn $like`` (``*`` and ``?`` wildcards), integers and dates
``$eq $neq $exists $gt $gte $lt $lte $in``, keys ``$eq $neq $exists $in $notIn``. Keys are
strings. Pages are ``{"from", "limit"}`` or cursors (``after``/``before`` with the opaque
``endCursor``/``startCursor`` of a previous answer). An operator or field the engine does not
know is a 400, never silently ignored.
"""

import base64
import binascii
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from zeebe_devengine.errors import InvalidArgumentError

Kind = Literal["string", "int", "key", "date", "bool"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
_OPERATORS: dict[Kind, set[str]] = {
    "string": {"$eq", "$neq", "$exists", "$in", "$notIn", "$like"},
    "key": {"$eq", "$neq", "$exists", "$in", "$notIn"},
    "int": {"$eq", "$neq", "$exists", "$gt", "$gte", "$lt", "$lte", "$in"},
    "date": {"$eq", "$neq", "$exists", "$gt", "$gte", "$lt", "$lte", "$in"},
    "bool": set(),
}


def iso_date(epoch_ms: int | None) -> str | None:
    """Epoch milliseconds -> ``2025-05-20T12:34:56.789Z`` (Camunda's date-time format)."""
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_date(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        msg = f"The filter '{field}' expects a date-time string, but got {value!r}"
        raise InvalidArgumentError(msg)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        msg = f"The filter '{field}' expects an ISO 8601 date-time, but got {value!r}"
        raise InvalidArgumentError(msg) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _like(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _normalise(kind: Kind, value: Any, field: str) -> Any:
    """A filter operand (or an item's value) in the form comparisons use."""
    if value is None:
        return None
    if kind == "key":
        if isinstance(value, bool) or not isinstance(value, str | int):
            msg = f"The filter '{field}' expects a key (a string of digits), but got {value!r}"
            raise InvalidArgumentError(msg)
        return str(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"The filter '{field}' expects an integer, but got {value!r}"
            raise InvalidArgumentError(msg)
        return value
    if kind == "date":
        return value if isinstance(value, datetime) else _parse_date(value, field)
    if kind == "bool":
        if not isinstance(value, bool):
            msg = f"The filter '{field}' expects true or false, but got {value!r}"
            raise InvalidArgumentError(msg)
        return value
    if not isinstance(value, str):
        msg = f"The filter '{field}' expects a string, but got {value!r}"
        raise InvalidArgumentError(msg)
    return value


def matches(kind: Kind, actual: Any, condition: Any, *, field: str) -> bool:
    """Does the item's value `actual` satisfy the filter property `condition`?"""
    if kind == "date" and isinstance(actual, int):
        actual = _parse_date(iso_date(actual), field)
    elif kind == "key" and actual is not None:
        actual = str(actual)
    if not isinstance(condition, dict):
        return bool(actual == _normalise(kind, condition, field))
    unknown = set(condition) - _OPERATORS[kind]
    if unknown:
        msg = f"The filter '{field}' does not support {', '.join(sorted(unknown))}"
        raise InvalidArgumentError(msg)
    return all(_operator(kind, actual, op, operand, field) for op, operand in condition.items())


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": operator.eq,
    "$neq": operator.ne,
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def _operator(kind: Kind, actual: Any, op: str, operand: Any, field: str) -> bool:
    if op == "$exists":
        if not isinstance(operand, bool):
            msg = f"The filter '{field}' expects true or false for $exists"
            raise InvalidArgumentError(msg)
        return (actual is not None) == operand
    if op in {"$in", "$notIn"}:
        if not isinstance(operand, list):
            msg = f"The filter '{field}' expects a list for {op}"
            raise InvalidArgumentError(msg)
        found = actual in [_normalise(kind, item, field) for item in operand]
        return found if op == "$in" else not found
    if op == "$like":
        if not isinstance(operand, str):
            msg = f"The filter '{field}' expects a string for $like"
            raise InvalidArgumentError(msg)
        return isinstance(actual, str) and _like(operand).fullmatch(actual) is not None
    expected = _normalise(kind, operand, field)
    if op in {"$eq", "$neq"}:
        return _ORDERINGS[op](actual, expected)
    return actual is not None and _ORDERINGS[op](actual, expected)


# -- pagination and sorting -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    offset: int
    limit: int


def _encode_cursor(offset: int) -> str:
    # Standard, padded base64: the spec's cursor pattern, which the official SDKs check.
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    offset = -1
    if isinstance(cursor, str):
        try:
            decoded = base64.b64decode(cursor, validate=True).decode()
            prefix, _, number = decoded.partition(":")
            offset = int(number) if prefix == "offset" and number.isdigit() else -1
        except (ValueError, binascii.Error, UnicodeDecodeError):
            offset = -1
    if offset < 0:
        msg = f"The cursor {cursor!r} is not one this engine issued (standard base64)"
        raise InvalidArgumentError(msg)
    return offset


def parse_page(page: Any) -> Page:
    if page is None:
        return Page(0, DEFAULT_LIMIT)
    if not isinstance(page, dict):
        msg = "'page' must be an object"
        raise InvalidArgumentError(msg)
    unknown = set(page) - {"from", "limit", "after", "before"}
    if unknown:
        msg = f"'page' does not support {', '.join(sorted(unknown))}"
        raise InvalidArgumentError(msg)
    limit = page.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_LIMIT:
        msg = f"'page.limit' must be an integer from 0 to {MAX_LIMIT}"
        raise InvalidArgumentError(msg)
    if "after" in page:
        return Page(_decode_cursor(page["after"]), limit)
    if "before" in page:
        return Page(max(_decode_cursor(page["before"]) - limit, 0), limit)
    offset = page.get("from", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        msg = "'page.from' must be a non-negative integer"
        raise InvalidArgumentError(msg)
    return Page(offset, limit)


def paginate(items: Sequence[Any], page: Page) -> tuple[Sequence[Any], dict[str, Any]]:
    selected = items[page.offset : page.offset + page.limit]
    info = {
        "totalItems": len(items),
        "hasMoreTotalItems": False,
        "startCursor": _encode_cursor(page.offset) if selected else None,
        "endCursor": _encode_cursor(page.offset + len(selected)) if selected else None,
    }
    return selected, info


def sort_items(items: list[Any], sort: Any, fields: dict[str, Callable[[Any], Any]]) -> list[Any]:
    """Stable multi-field sort; None sorts last in either direction."""
    if sort is None:
        return items
    if not isinstance(sort, list):
        msg = "'sort' must be a list of {field, order}"
        raise InvalidArgumentError(msg)
    for criterion in reversed(sort):
        field = criterion.get("field") if isinstance(criterion, dict) else None
        if not isinstance(field, str) or field not in fields:
            allowed = ", ".join(sorted(fields))
            msg = f"Each 'sort' entry needs a 'field' out of: {allowed}"
            raise InvalidArgumentError(msg)
        order = str(criterion.get("order", "ASC")).upper()
        if order not in {"ASC", "DESC"}:
            msg = "'sort.order' must be ASC or DESC"
            raise InvalidArgumentError(msg)
        getter = fields[field]
        present = [item for item in items if getter(item) is not None]
        absent = [item for item in items if getter(item) is None]
        present.sort(key=getter, reverse=order == "DESC")
        items = present + absent
    return items
