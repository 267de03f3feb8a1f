"""Range built-ins (DMN 1.3's interval algebra): before, after, meets, met by, overlaps,
overlaps before/after, finishes, finished by, includes, during, starts, started by,
coincides. Each takes two points, a point and a range, or two ranges."""

from collections.abc import Callable
from typing import Any

from zeebe_devengine.feel.builtins.registry import builtin
from zeebe_devengine.feel.values import InvalidArgument, Range


def _point(value: Any) -> Range:
    """A point is the range [p..p]."""
    if value is None:
        msg = "expected a point or a range but found null"
        raise InvalidArgument(msg)
    return (
        value
        if isinstance(value, Range)
        else Range(start=value, start_closed=True, end=value, end_closed=True)
    )


def _before(a: Range, b: Range) -> bool:
    return bool(a.end < b.start or (a.end == b.start and not (a.end_closed and b.start_closed)))


def _meets(a: Range, b: Range) -> bool:
    return bool(a.end_closed and b.start_closed and a.end == b.start)


def _overlaps(a: Range, b: Range) -> bool:
    return bool(
        (a.end > b.start or (a.end == b.start and a.end_closed and b.start_closed))
        and (a.start < b.end or (a.start == b.end and a.start_closed and b.end_closed))
    )


def _overlaps_before(a: Range, b: Range) -> bool:
    return bool(
        (a.start < b.start or (a.start == b.start and a.start_closed and not b.start_closed))
        and (a.end > b.start or (a.end == b.start and a.end_closed and b.start_closed))
        and (a.end < b.end or (a.end == b.end and (not a.end_closed or b.end_closed)))
    )


def _finishes(a: Range, b: Range) -> bool:
    return bool(
        a.end_closed == b.end_closed
        and a.end == b.end
        and (a.start > b.start or (a.start == b.start and (not a.start_closed or b.start_closed)))
    )


def _includes(a: Range, b: Range) -> bool:
    return bool(
        (a.start < b.start or (a.start == b.start and (a.start_closed or not b.start_closed)))
        and (a.end > b.end or (a.end == b.end and (a.end_closed or not b.end_closed)))
    )


def _starts(a: Range, b: Range) -> bool:
    return bool(
        a.start == b.start
        and a.start_closed == b.start_closed
        and (a.end < b.end or (a.end == b.end and (not a.end_closed or b.end_closed)))
    )


def _coincides(a: Range, b: Range) -> bool:
    return bool(
        a.start == b.start
        and a.start_closed == b.start_closed
        and a.end == b.end
        and a.end_closed == b.end_closed
    )


def _register(name: str, relation: Callable[[Range, Range], bool], *, swap: bool) -> None:
    def body(first: Any, second: Any) -> bool:
        a, b = _point(first), _point(second)
        return relation(b, a) if swap else relation(a, b)

    builtin(name, "a", "b")(body)


for _name, _relation, _swap in (
    ("before", _before, False),
    ("after", _before, True),
    ("meets", _meets, False),
    ("met by", _meets, True),
    ("overlaps", _overlaps, False),
    ("overlaps before", _overlaps_before, False),
    ("overlaps after", _overlaps_before, True),
    ("finishes", _finishes, False),
    ("finished by", _finishes, True),
    ("includes", _includes, False),
    ("during", _includes, True),
    ("starts", _starts, False),
    ("started by", _starts, True),
    ("coincides", _coincides, False),
):
    _register(_name, _relation, swap=_swap)
