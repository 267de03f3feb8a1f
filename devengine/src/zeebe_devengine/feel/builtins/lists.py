"""List built-ins: membership, aggregates (min, max, sum, mean, ...), slicing, set-like
operations, sorting and joining. Aggregates take a list or the values themselves."""

import functools
import statistics
from collections import Counter
from decimal import Decimal
from typing import Any

from zeebe_devengine.feel.builtins.registry import (
    builtin,
    integer,
    items,
    number,
    same_kind,
    spread,
    string,
)
from zeebe_devengine.feel.operators import equal
from zeebe_devengine.feel.values import NUMBERS, Function, InvalidArgument


def _quiet(_code: str, _message: str) -> None:
    """Equality inside list functions: values of other types are simply not equal."""


def _same(left: Any, right: Any) -> bool:
    return equal(left, right, _quiet) is True


def _numbers(values: list[Any]) -> list[Decimal]:
    return [number(value) for value in spread(values)]


def _index(values: list[Any], position: Any) -> int:
    index = integer(position)
    if index == 0 or abs(index) > len(values):
        msg = f"position {index} is outside the list"
        raise InvalidArgument(msg)
    return index - 1 if index > 0 else len(values) + index


@builtin("list contains", "list", "element")
def _list_contains(values: Any, element: Any) -> bool:
    return any(_same(item, element) for item in items(values))


@builtin("count", "list")
def _count(values: Any) -> Decimal:
    return Decimal(len(items(values)))


@builtin("min", "list", variadic=True)
def _min(values: list[Any]) -> Any:
    return min(same_kind(spread(values)), default=None)


@builtin("max", "list", variadic=True)
def _max(values: list[Any]) -> Any:
    return max(same_kind(spread(values)), default=None)


@builtin("sum", "list", variadic=True)
def _sum(values: list[Any]) -> Decimal | None:
    numbers = _numbers(values)
    return functools.reduce(NUMBERS.add, numbers) if numbers else None


@builtin("product", "list", variadic=True)
def _product(values: list[Any]) -> Decimal | None:
    numbers = _numbers(values)
    return functools.reduce(NUMBERS.multiply, numbers) if numbers else None


@builtin("mean", "list", variadic=True)
def _mean(values: list[Any]) -> Decimal | None:
    numbers = _numbers(values)
    if not numbers:
        return None
    return NUMBERS.divide(functools.reduce(NUMBERS.add, numbers), Decimal(len(numbers)))


@builtin("median", "list", variadic=True)
def _median(values: list[Any]) -> Decimal | None:
    numbers = sorted(_numbers(values))
    if not numbers:
        return None
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return NUMBERS.divide(NUMBERS.add(numbers[middle - 1], numbers[middle]), Decimal(2))


@builtin("stddev", "list", variadic=True)
def _stddev(values: list[Any]) -> Decimal | None:
    numbers = _numbers(values)
    return statistics.stdev(numbers) if len(numbers) > 1 else None


@builtin("mode", "list", variadic=True)
def _mode(values: list[Any]) -> list[Decimal]:
    counts = Counter(_numbers(values))
    if not counts:
        return []
    top = max(counts.values())
    return sorted(value for value, count in counts.items() if count == top)


def _all(values: list[Any]) -> bool | None:
    flags = spread(values)
    if any(flag is False for flag in flags):
        return False
    return True if all(flag is True for flag in flags) else None


def _any(values: list[Any]) -> bool | None:
    flags = spread(values)
    if any(flag is True for flag in flags):
        return True
    return False if all(flag is False for flag in flags) else None


for _name, _body in (("and", _all), ("all", _all), ("or", _any), ("any", _any)):
    builtin(_name, "list", variadic=True)(_body)


@builtin("sublist", "list", "start position")
def _sublist(values: Any, start: Any) -> list[Any]:
    return items(values)[_index(values, start) :]


@builtin("sublist", "list", "start position", "length")
def _sublist_length(values: Any, start: Any, length: Any) -> list[Any]:
    source = items(values)
    begin = _index(source, start)
    return source[begin : begin + integer(length)]


@builtin("append", "list", "items", variadic=True)
def _append(values: Any, extra: list[Any]) -> list[Any]:
    return [*items(values), *extra]


@builtin("concatenate", "lists", variadic=True)
def _concatenate(lists: list[Any]) -> list[Any]:
    return [item for values in lists for item in items(values)]


@builtin("insert before", "list", "position", "newItem")
def _insert_before(values: Any, position: Any, new_item: Any) -> list[Any]:
    index = _index(items(values), position)
    return [*values[:index], new_item, *values[index:]]


@builtin("remove", "list", "position")
def _remove(values: Any, position: Any) -> list[Any]:
    source = items(values)
    index = _index(source, position)
    return source[:index] + source[index + 1 :]


@builtin("reverse", "list")
def _reverse(values: Any) -> list[Any]:
    return list(reversed(items(values)))


@builtin("index of", "list", "match")
def _index_of(values: Any, match: Any) -> list[Decimal]:
    return [Decimal(n) for n, item in enumerate(items(values), 1) if _same(item, match)]


def _distinct(values: list[Any]) -> list[Any]:
    kept: list[Any] = []
    for item in values:
        if not any(_same(item, seen) for seen in kept):
            kept.append(item)
    return kept


@builtin("union", "lists", variadic=True)
def _union(lists: list[Any]) -> list[Any]:
    return _distinct([item for values in lists for item in items(values)])


@builtin("distinct values", "list")
def _distinct_values(values: Any) -> list[Any]:
    return _distinct(items(values))


@builtin("duplicate values", "list")
def _duplicate_values(values: Any) -> list[Any]:
    distinct = _distinct(items(values))
    return [item for item in distinct if sum(_same(item, other) for other in values) > 1]


def _flat(values: list[Any]) -> list[Any]:
    return [leaf for item in values for leaf in (_flat(item) if isinstance(item, list) else [item])]


@builtin("flatten", "list")
def _flatten(values: Any) -> list[Any]:
    return _flat(items(values))


@builtin("sort", "list", "precedes")
def _sort(values: Any, precedes: Any) -> list[Any]:
    if not isinstance(precedes, Function):
        msg = "expected a function as 'precedes'"
        raise InvalidArgument(msg)

    def order(left: Any, right: Any) -> int:
        if precedes.body(left, right) is True:
            return -1
        return 1 if precedes.body(right, left) is True else 0

    return sorted(items(values), key=functools.cmp_to_key(order))


def _join(values: Any, delimiter: Any, prefix: Any = "", suffix: Any = "") -> str:
    texts = [string(item) for item in items(values) if item is not None]
    glue = "" if delimiter is None else string(delimiter)
    return f"{string(prefix or '')}{glue.join(texts)}{string(suffix or '')}"


builtin("string join", "list")(lambda values: _join(values, ""))
builtin("string join", "list", "delimiter")(_join)
builtin("string join", "list", "delimiter", "prefix", "suffix")(_join)


@builtin("is empty", "list")
def _is_empty(values: Any) -> bool:
    return not items(values)


@builtin("partition", "list", "size")
def _partition(values: Any, size: Any) -> list[list[Any]]:
    step = integer(size)
    if step <= 0:
        msg = "the size must be positive"
        raise InvalidArgument(msg)
    return [items(values)[n : n + step] for n in range(0, len(values), step)]
